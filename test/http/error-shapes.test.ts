import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import { describe, it, mock } from 'node:test';
import { ERROR_CATALOGUE, type ErrorCode } from '../../src/vocabulary/errors.ts';
import { build } from '../helpers.ts';
import { portOf } from './sse-client.ts';

/** The documented shape, with a catalogue code whose status is the response's. */
function assertShape(status: number, body: Record<string, unknown>, code: ErrorCode): void {
  assert.equal(status, ERROR_CATALOGUE[code].status);
  assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode']);
  assert.deepEqual([body['statusCode'], body['code'], body['error']], [status, code, STATUS_CODES[status]]);
  assert.equal(typeof body['message'], 'string');
}

/** Send raw bytes over one connection and read everything the server answers until it closes. */
async function exchange(port: number, ...writes: string[]): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  for (const data of writes) socket.write(data);
  let text = '';
  socket.setEncoding('utf8');
  for await (const chunk of socket) text += chunk as string;
  return text;
}

/** The status and JSON body of each HTTP/1.1 response in a stream of them (each body ends with a newline). */
function responsesIn(text: string): { status: number; body: Record<string, unknown> }[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n[\s\S]*?\r\n\r\n(\{[^\r]*?\})\n(?=HTTP\/1\.1|$)/g)].map((m) => ({
    status: Number(m[1]),
    body: JSON.parse(m[2]!) as Record<string, unknown>,
  }));
}

describe('every error has the documented shape and a catalogue code', () => {
  it('413 PAYLOAD_TOO_LARGE, 414 URI_TOO_LONG, 415 UNSUPPORTED_MEDIA_TYPE, 404 NOT_FOUND', async (t) => {
    const d = await build(t);
    const big = await d.app.inject({ method: 'POST', url: '/api/v1/domains', headers: { 'content-type': 'application/json' }, payload: `{"name":"${'x'.repeat(2 * 1024 * 1024)}"}` });
    assertShape(big.statusCode, big.json(), 'PAYLOAD_TOO_LARGE');
    const long = await d.app.inject({ method: 'GET', url: `/api/v1/domains/${'a'.repeat(200)}` });
    assertShape(long.statusCode, long.json(), 'URI_TOO_LONG');
    const xml = await d.app.inject({ method: 'PUT', url: '/api/v1/scheduler', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
    assertShape(xml.statusCode, xml.json(), 'UNSUPPORTED_MEDIA_TYPE');
    const none = await d.app.inject({ method: 'GET', url: '/api/v2/nothing' });
    assertShape(none.statusCode, none.json(), 'NOT_FOUND');
  });

  it("Node's parser errors: 400 MALFORMED_REQUEST and 431 HEADERS_TOO_LARGE", async (t) => {
    const d = await build(t);
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const [garbage] = responsesIn(await exchange(portOf(d.app), 'NOT HTTP AT ALL\r\n\r\n'));
    assertShape(garbage!.status, garbage!.body, 'MALFORMED_REQUEST');
    const [huge] = responsesIn(await exchange(portOf(d.app), `GET /healthz HTTP/1.1\r\nHost: localhost\r\nx-big: ${'y'.repeat(20_000)}\r\n\r\n`));
    assertShape(huge!.status, huge!.body, 'HEADERS_TOO_LARGE');
  });

  it('503 SHUTTING_DOWN for a request that arrives while the daemon closes', async (t) => {
    const d = await build(t);
    await d.request('POST', '/api/v1/domains', { name: 'a', start: true });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const advance = JSON.stringify({ ms: 3_600_000 });
    const socket = connect(portOf(d.app), '127.0.0.1');
    const received = (async () => {
      let text = '';
      socket.setEncoding('utf8');
      for await (const chunk of socket) text += chunk as string;
      return text;
    })();
    const arrived = new Promise((resolve) => d.app.server.once('request', resolve));
    socket.write(`POST /api/v1/host/clock/advance HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${advance.length}\r\n\r\n${advance}`);
    await arrived; // the long advance is in flight: the connection is busy
    const closed = d.close();
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const [first, second] = responsesIn(await received);
    assert.equal(first?.status, 200);
    assertShape(second!.status, second!.body, 'SHUTTING_DOWN');
    await closed;
  });

  it('429 RATE_LIMITED with Retry-After past the changes allowed per minute; reads are not limited', async (t) => {
    const d = await build(t, { rateLimitPerMinute: 3 });
    for (const name of ['a', 'b', 'c']) assert.equal((await d.request('POST', '/api/v1/domains', { name })).status, 201);
    const limited = await d.request('POST', '/api/v1/domains', { name: 'd' });
    assertShape(limited.status, limited.body, 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    // The allowance spans every kind of change, not one per route.
    const otherRoute = await d.request('PUT', '/api/v1/domains/a/sched', { weight: 512 });
    assertShape(otherRoute.status, otherRoute.body, 'RATE_LIMITED');
    assert.equal((await d.request('GET', '/api/v1/domains')).body.length, 4); // Domain-0, a, b, c: d was not created
    // Another client address has its own allowance.
    const other = await d.app.inject({ method: 'POST', url: '/api/v1/domains', remoteAddress: '192.0.2.1', payload: { name: 'e' } });
    assert.equal(other.statusCode, 201);
  });

  it('503 OVERLOADED with Retry-After while the daemon is under pressure', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset()); // before the daemon closes
    const d = await build(t, { maxHeapUsedBytes: 1 });
    assert.equal((await d.request('GET', '/healthz')).status, 200); // not sampled yet
    mock.timers.tick(1000); // the overload check samples the heap: above 1 byte
    const overloaded = await d.request('GET', '/healthz');
    assertShape(overloaded.status, overloaded.body, 'OVERLOADED');
    assert.equal(overloaded.headers['retry-after'], '5');
  });

  it('503 OVERLOADED while the event loop lags past the limit over a second, not for the start-up samples, and answers again once it catches up', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    let lag_ms = 1500;
    const eventLoop = { takeWindowMean_ms: () => lag_ms, takeSummary: () => assert.fail('not scraped'), close: () => undefined };
    const d = await build(t, { maxEventLoopDelay_ms: 1000, eventLoop });
    mock.timers.tick(1000);
    mock.timers.tick(1000);
    assert.equal((await d.request('GET', '/healthz')).status, 200, 'the first two samples after start-up measure start-up');
    mock.timers.tick(1000);
    const overloaded = await d.request('GET', '/api/v1/domains');
    assertShape(overloaded.status, overloaded.body, 'OVERLOADED');
    assert.equal(overloaded.body.message, 'the daemon is overloaded (eventLoopDelay); retry in 5 s');
    assert.equal(overloaded.headers['retry-after'], '5');
    lag_ms = 1000;
    mock.timers.tick(1000);
    assert.equal((await d.request('GET', '/api/v1/domains')).status, 200, 'at the limit is not past it');
  });
});
