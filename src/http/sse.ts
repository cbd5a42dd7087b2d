/**
 * Server-sent event streams that cannot make the daemon buffer without bound.
 * Each stream honours its socket's backpressure: once `write()` says the
 * socket is full, messages wait in a queue of bounded size until `drain`;
 * past the bound the queue is dropped, the client gets `events-lost` and the
 * stream ends. A hub admits streams within an overall and a per-address limit.
 * (Hand-written: `@fastify/sse` awaits `drain` per message, which bounds
 * nothing by itself, so the bounded queue would be needed on top anyway.)
 */
import type { ServerResponse } from 'node:http';
import { apiError } from '../vocabulary/errors.ts';
import type { StreamLimits } from '../vocabulary/streams.ts';

/** How long an overflowed stream's last bytes may wait for a client that does not read, before its socket is destroyed. */
const LINGER_MS = 5_000;

export interface SseMessage {
  readonly id?: string;
  readonly event: string;
  readonly data: unknown;
}

export const formatMessage = (message: SseMessage): string =>
  `${message.id === undefined ? '' : `id: ${message.id}\n`}event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;

export interface SseStream {
  /** Queue a message; once the stream has overflowed or closed, nothing. */
  send(message: SseMessage): void;
  /** A comment line (heartbeat), only when nothing is waiting. */
  comment(text: string): void;
  /** Run `cleanup` once when the stream ends, for whatever reason. */
  onClose(cleanup: () => void): void;
  close(): void;
  /** Bytes waiting in this stream's queue (not yet handed to the socket). */
  readonly queuedBytes: number;
}

export interface OverflowNotice {
  /** The message the client gets last, telling it what it lost. */
  lost(): SseMessage;
}

function openStream(raw: ServerResponse, queueLimitBytes: number, notice: OverflowNotice): SseStream {
  const queue: string[] = [];
  let queuedBytes = 0;
  let blocked = false;
  let closed = false;
  const cleanups: (() => void)[] = [];

  const finish = (): void => {
    if (closed) return;
    closed = true;
    queue.length = 0;
    queuedBytes = 0;
    for (const cleanup of cleanups) cleanup();
  };
  const write = (text: string): void => {
    blocked = !raw.write(text);
  };
  const overflow = (): void => {
    finish();
    raw.end(formatMessage(notice.lost()));
    // A client that never reads never takes those last bytes: do not keep its socket for ever.
    const linger = setTimeout(() => raw.destroy(), LINGER_MS);
    linger.unref();
    raw.once('close', () => clearTimeout(linger));
  };
  raw.on('drain', () => {
    blocked = false;
    while (!blocked && queue.length > 0) {
      const text = queue.shift()!;
      queuedBytes -= Buffer.byteLength(text);
      write(text);
    }
  });
  raw.once('close', finish);

  return {
    send(message) {
      if (closed) return;
      const text = formatMessage(message);
      if (!blocked) return write(text);
      queue.push(text);
      queuedBytes += Buffer.byteLength(text);
      if (queuedBytes > queueLimitBytes) overflow();
    },
    comment(text) {
      if (!closed && !blocked) write(`: ${text}\n\n`);
    },
    onClose(cleanup) {
      cleanups.push(cleanup);
    },
    close() {
      finish();
      if (!raw.writableEnded) raw.end();
    },
    get queuedBytes() {
      return queuedBytes;
    },
  };
}

export interface StreamHub {
  /** Open a stream for a client, or throw TOO_MANY_STREAMS. Headers (`headers`, the reply's so far, and the stream's) are written at once. */
  open(raw: ServerResponse, address: string, notice: OverflowNotice, headers?: Readonly<Record<string, string | number | string[] | undefined>>): SseStream;
  /** End every stream (before the server closes, so shutdown does not wait on them). */
  closeAll(): void;
  readonly size: number;
  /** Bytes waiting in all streams' queues. */
  readonly queuedBytes: number;
}

export function createStreamHub(limits: StreamLimits): StreamHub {
  const streams = new Set<SseStream>();
  const perAddress = new Map<string, number>();
  const release = (address: string): void => {
    const left = (perAddress.get(address) ?? 1) - 1;
    if (left === 0) perAddress.delete(address);
    else perAddress.set(address, left);
  };
  return {
    open(raw, address, notice, headers = {}) {
      if (streams.size >= limits.total) throw apiError('TOO_MANY_STREAMS', `${limits.total} event streams are open; no more are accepted`);
      const mine = perAddress.get(address) ?? 0;
      if (mine >= limits.perClient) {
        throw apiError('TOO_MANY_STREAMS', `${address} has ${limits.perClient} event streams open; no more are accepted from it`);
      }
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) raw.setHeader(name, value);
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        // A stream ends only when the daemon drops it (slow client, shutdown): then the connection goes too.
        connection: 'close',
        'x-accel-buffering': 'no',
      });
      const stream = openStream(raw, limits.queueBytes, notice);
      streams.add(stream);
      perAddress.set(address, mine + 1);
      stream.onClose(() => {
        streams.delete(stream);
        release(address);
      });
      return stream;
    },
    closeAll() {
      for (const stream of streams) stream.close();
    },
    get size() {
      return streams.size;
    },
    get queuedBytes() {
      let total = 0;
      for (const stream of streams) total += stream.queuedBytes;
      return total;
    },
  };
}
