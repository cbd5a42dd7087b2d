import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { build } from '../helpers.ts';

/** The raw answer: status, content type, declared length and the body's bytes. */
async function raw(t: TestContext, requests: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: string; headers?: Record<string, string> }[]) {
  const d = await build(t);
  const answers = [];
  for (const request of requests) {
    const response = await d.app.inject({ ...request, headers: { 'content-type': 'application/json', ...request.headers } });
    answers.push({ what: `${request.method} ${request.url} → ${response.statusCode}`, type: String(response.headers['content-type']), length: Number(response.headers['content-length']), body: response.rawPayload });
  }
  return { d, answers };
}

describe('JSON answers', () => {
  it('end with one newline, counted in content-length, whatever their status and route (REST, errors, the Xen API over JSON-RPC)', async (t) => {
    const { answers } = await raw(t, [
      { method: 'GET', url: '/healthz' },
      { method: 'GET', url: '/api/v1/host' },
      { method: 'POST', url: '/api/v1/domains', payload: JSON.stringify({ name: 'guest' }) },
      { method: 'GET', url: '/api/v1/domains' },
      { method: 'PUT', url: '/api/v1/domains/guest/sched', payload: JSON.stringify({ cap: 20 }) },
      { method: 'GET', url: '/api/v1/domains/nobody' },
      { method: 'GET', url: '/no/such/route' },
      { method: 'POST', url: '/api/v1/domains', payload: '{"name":', headers: {} },
      { method: 'POST', url: '/api/v1/domains', payload: 'name=x', headers: { 'content-type': 'text/plain' } },
      { method: 'POST', url: '/jsonrpc', payload: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'session.login_with_password', params: ['root', ''] }) },
      { method: 'POST', url: '/jsonrpc', payload: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'no.such_method', params: [] }) },
    ]);
    for (const { what, type, length, body } of answers) {
      assert.match(type, /^application\/json/, what);
      assert.equal(body.at(-1), 0x0a, `${what} ends with a newline`);
      assert.notEqual(body.at(-2), 0x0a, `${what} ends with one newline`);
      assert.equal(length, body.length, `${what}: content-length counts it`);
      assert.doesNotThrow(() => JSON.parse(body.toString('utf8')), what);
    }
    assert.deepEqual(
      answers.map((a) => a.what.split(' → ')[1]),
      ['200', '200', '201', '200', '200', '404', '404', '400', '415', '200', '200'],
    );
  });

  it('leave what is not JSON as it was: metrics and the page', async (t) => {
    const { answers } = await raw(t, [
      { method: 'GET', url: '/metrics' },
      { method: 'GET', url: '/' },
    ]);
    assert.match(answers[0]!.type, /^text\/plain/);
    assert.match(answers[1]!.type, /^text\/html/);
    const page = answers[1]!.body.toString('utf8');
    assert.ok(page.trimEnd().endsWith('</html>'));
  });

  it('end each one on its own line over a real connection, as curl shows them', async (t) => {
    const d = await build(t);
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = d.app.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.end('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    const [head = '', body = ''] = text.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200 OK/);
    assert.equal(body, '{"status":"ok","now_ns":0,"store":"ok"}\n');
    assert.match(head, new RegExp(`content-length: ${Buffer.byteLength(body)}\\r?$`, 'mi'));
  });
});
