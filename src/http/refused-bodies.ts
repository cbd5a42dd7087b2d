/**
 * A refused body still gets its answer. Fastify refuses an oversized body
 * with `Connection: close`, and Node then closes the socket as soon as the
 * 413 is written, with the rest of the body unread: the kernel answers the
 * client's next bytes with a reset, and a client that writes its whole body
 * before reading (Node's fetch, most libraries) often sees a broken pipe
 * instead of the 413. So the rest is read and thrown away, up to a bound in
 * bytes and time, and the connection is kept: past the bound the socket is
 * closed, as before.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** The most of a refused body read and thrown away (bytes). */
export const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
/** The longest a refused body is read for (ms). */
export const MAX_DRAIN_MS = 30_000;

/** Read `request` to its end and discard it; close the connection once more than `max_bytes` came, or after `max_ms`. */
function drain(request: IncomingMessage, max_bytes: number, max_ms: number): void {
  let received_bytes = 0;
  const close = (): void => void request.socket.destroy();
  const timer = setTimeout(close, max_ms);
  timer.unref();
  request.on('data', (chunk: Buffer) => {
    received_bytes += chunk.length;
    if (received_bytes > max_bytes) {
      clearTimeout(timer);
      close();
    }
  });
  request.once('end', () => clearTimeout(timer));
  request.once('close', () => clearTimeout(timer));
  request.resume();
}

export function drainRefusedBodies(fastify: FastifyInstance, max_bytes = MAX_DRAIN_BYTES, max_ms = MAX_DRAIN_MS): void {
  // A callback hook, not an async one: every answer passes through it, and a promise per answer costs a turn of the microtask queue.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode === 413 && !request.raw.complete && !(Number(request.headers['content-length'] ?? Number.NaN) > max_bytes)) {
      reply.removeHeader('connection');
      drain(request.raw, max_bytes, max_ms);
    }
    done(null, payload);
  });
}
