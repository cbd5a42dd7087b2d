/**
 * An oversized body gets its 413 even from a client that writes the whole
 * body before reading the answer: the daemon reads the rest and throws it
 * away (up to a bound) instead of closing the socket under the client.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { drainRefusedBodies } from '../../src/http/refused-bodies.ts';
import { build } from '../helpers.ts';

const BODY_BYTES = 5 * 1024 * 1024;
/** A body that goes on well past the drain bound. */
const LONG_BODY_BYTES = 32 * 1024 * 1024;

/** Write `head` and the whole `body` on one connection, then `after`, and read everything the daemon answers until it goes quiet. */
function writeThenRead(port: number, head: string, body: Buffer, after = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      // The second answer (after `after`), or the only one: done when its body has come.
      const answers = answer.split('HTTP/1.1 ').length - 1;
      if (answers >= (after === '' ? 1 : 2) && /\r\n\r\n[^]*\}$/.test(answer)) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    // Everything is written before anything is read: the socket only reads once its writes have drained.
    socket.pause();
    socket.write(head);
    socket.write(body, () => {
      socket.write(after, () => socket.resume());
    });
  });
}

describe('refused bodies', () => {
  it('a 5 MiB POST gets 413 PAYLOAD_TOO_LARGE, 20 times out of 20, and the connection serves the next request', async (t) => {
    const daemon = await build(t);
    const url = await daemon.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(url);
    const body = Buffer.alloc(BODY_BYTES, 'a');
    const head = `POST /api/v1/domains HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${BODY_BYTES}\r\n\r\n`;
    const next = 'GET /api/v1/domains/0 HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n';
    for (let i = 0; i < 20; i += 1) {
      const answer = await writeThenRead(Number(port), head, body, next);
      const [refused, served] = answer.split(/(?=HTTP\/1\.1 )/);
      assert.match(refused!, /^HTTP\/1\.1 413 /);
      assert.match(refused!, /"code":"PAYLOAD_TOO_LARGE"/);
      assert.doesNotMatch(refused!, /connection: close/i);
      assert.match(served!, /^HTTP\/1\.1 200 /);
      assert.match(served!, /"name":"Domain-0"/);
    }
    // And with Node's own fetch, which writes the body before it reads.
    for (let i = 0; i < 20; i += 1) {
      const response = await fetch(`${url}/api/v1/domains`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(response.status, 413);
      assert.equal(((await response.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
    }
    // Nothing was created.
    assert.deepEqual(((await daemon.request('GET', '/api/v1/domains')).body as Array<{ name: string }>).map((d) => d.name), ['Domain-0']);
  });

  it('reads no more than the bound: a chunked body that goes on past it gets its 413, then the connection is closed', async (t) => {
    const app = Fastify({ bodyLimit: 1024 });
    drainRefusedBodies(app, 64 * 1024, 30_000);
    app.post('/', async () => 'never');
    t.after(() => app.close());
    // What the daemon read from the connection, when it closed it.
    const read = new Promise<number>((resolve) => app.server.on('connection', (socket: Socket) => socket.on('close', () => resolve(socket.bytesRead))));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write('POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
    // 16 KiB chunks, 32 MiB in all unless the connection fails first.
    const chunk = Buffer.from(`4000\r\n${'a'.repeat(0x4000)}\r\n`);
    let failed = false;
    for (let sent_bytes = 0; !failed && sent_bytes < LONG_BODY_BYTES; sent_bytes += 0x4000) {
      await new Promise<void>((resolve) => socket.write(chunk, (error) => resolve(void (failed = error !== undefined && error !== null))));
    }
    const read_bytes = await read;
    socket.destroy();
    assert.match(answer, /^HTTP\/1\.1 413 /);
    // The bound, plus what one read of the socket brings at most.
    assert.ok(read_bytes < 64 * 1024 + 256 * 1024, `the daemon read ${read_bytes} bytes`);
  });
});
