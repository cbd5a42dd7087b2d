import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';
import { openStream, portOf } from './sse-client.ts';

/** A request over a real socket, with exactly the headers given (Host included). */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false, setHost: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('cross-site protection', () => {
  it('refuse a text/plain or form body on a change, and change nothing', async (t) => {
    const d = await build(t);
    await d.request('POST', '/api/v1/domains', { name: 'web', start: true });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await d.app.inject({ method: 'POST', url: '/api/v1/domains/web/destroy', headers: { 'content-type': type }, payload: 'x=1' });
      assert.equal(res.statusCode, 415, type);
      assert.deepEqual(res.json(), { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', error: 'Unsupported Media Type', message: `a body must be application/json, got ${type}` });
    }
    assert.equal((await d.request('GET', '/api/v1/domains/web')).body.state, 'running');
  });

  it('accept application/json with no body where the operation takes none', async (t) => {
    const d = await build(t);
    await d.request('POST', '/api/v1/domains', { name: 'web' });
    const res = await d.app.inject({ method: 'POST', url: '/api/v1/domains/web/start', headers: { 'content-type': 'application/json' } });
    assert.deepEqual([res.statusCode, res.json().state], [200, 'running']);
    // Where a body is needed, an empty one is still bad input.
    const create = await d.app.inject({ method: 'POST', url: '/api/v1/domains', headers: { 'content-type': 'application/json' } });
    assert.deepEqual([create.statusCode, create.json().code], [400, 'INVALID_ARGUMENT']);
  });

  it('refuse a Host that is not this daemon (DNS rebinding); accept IPs, loopback names, HOST and NEMESIS_ALLOWED_HOSTS', async (t) => {
    const d = await build(t, { bindHost: '0.0.0.0', allowedHosts: ['nemesis.lab.example'] });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const port = portOf(d.app);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `192.0.2.7:${port}`, `NEMESIS.lab.example:${port}`, 'nemesis.lab.example']) {
      const res = await raw(port, 'GET', '/api/v1/host', { host });
      assert.equal(res.status, 200, host);
    }
    const rebound = await raw(port, 'GET', '/api/v1/domains', { host: `attacker.example:${port}` });
    assert.equal(rebound.status, 403);
    assert.deepEqual(JSON.parse(rebound.body), {
      statusCode: 403,
      code: 'HOST_NOT_ALLOWED',
      error: 'Forbidden',
      message: 'Host attacker.example is not a name of this daemon; add it to NEMESIS_ALLOWED_HOSTS if it is',
    });
    // Outside /api/v1 too: a rebound page must not read metrics or docs either.
    assert.equal((await raw(port, 'GET', '/metrics', { host: 'attacker.example' })).status, 403);
  });

  it('refuse a change from a page of another origin; accept its own origin and clients that send none', async (t) => {
    const d = await build(t);
    const create = (origin?: string) =>
      d.app.inject({
        method: 'POST',
        url: '/api/v1/domains',
        headers: { host: '127.0.0.1:8000', 'content-type': 'application/json', ...(origin === undefined ? {} : { origin }) },
        payload: { name: `d${Math.abs(origin?.length ?? 0)}` },
      });
    const evil = await create('http://evil.example');
    assert.deepEqual(evil.json(), { statusCode: 403, code: 'ORIGIN_NOT_ALLOWED', error: 'Forbidden', message: 'a change from a page of http://evil.example is refused' });
    assert.equal((await create('null')).statusCode, 403);
    assert.equal((await create('http://127.0.0.1:9999')).statusCode, 403);
    assert.equal((await d.request('GET', '/api/v1/domains')).body.length, 1); // only Domain-0: nothing was created
    assert.equal((await create('http://127.0.0.1:8000')).statusCode, 201);
    assert.equal((await create()).statusCode, 201);
    // Reads are not changes: a page's GET is answered (the browser keeps the answer from the page without CORS).
    const read = await d.app.inject({ method: 'GET', url: '/api/v1/host', headers: { origin: 'http://evil.example' } });
    assert.equal(read.statusCode, 200);
  });

  it('send security headers on every response, with a CSP that /docs loads under', async (t) => {
    const d = await build(t);
    for (const url of ['/api/v1/host', '/healthz', '/no/such/route', '/docs/', '/docs/static/swagger-ui-bundle.js']) {
      const res = await d.app.inject({ method: 'GET', url });
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN', url);
      assert.match(res.headers['content-security-policy']?.toString() ?? '', /default-src 'self'.*frame-ancestors 'none'.*script-src 'self'/, url);
    }
    // The page references only its own scripts and styles (no inline script the policy would block), and they are served.
    const page = await d.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /<script>(?!\s*<\/script>)|<script(?![^>]*\bsrc=)[^>]*>\s*\S/);
    const assets = [...page.body.matchAll(/(?:src|href)="\.\/(static\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 5, assets.join());
    for (const asset of assets) {
      const res = await d.app.inject({ method: 'GET', url: `/docs/${asset}` });
      assert.equal(res.statusCode, 200, asset);
    }
    // The initializer fetches the spec from its own origin (connect-src 'self').
    assert.equal((await d.app.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200);
  });

  it('send the security headers on an event stream too (which writes its own headers)', async (t) => {
    const d = await build(t);
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openStream(d.app, '/api/v1/events');
    try {
      assert.equal(stream.response.headers['content-type'], 'text/event-stream; charset=utf-8');
      assert.equal(stream.response.headers['x-content-type-options'], 'nosniff');
      assert.match(String(stream.response.headers['content-security-policy']), /default-src 'self'/);
    } finally {
      stream.close();
    }
  });
});
