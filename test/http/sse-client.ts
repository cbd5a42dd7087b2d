/** A minimal SSE client for tests: open a stream over a real socket and take events as they come. */
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export interface OpenStream {
  readonly response: IncomingMessage;
  /** The next `count` events (waits for them). */
  take(count: number): Promise<SseEvent[]>;
  close(): void;
}

export const portOf = (app: FastifyInstance): number => (app.server.address() as AddressInfo).port;

export function parseBlock(block: string): SseEvent | undefined {
  const fields = new Map<string, string>();
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    fields.set(line.slice(0, colon), line.slice(colon + 2));
  }
  const event = fields.get('event');
  if (event === undefined) return undefined;
  return { id: fields.get('id'), event, data: JSON.parse(fields.get('data') ?? '{}') as Record<string, unknown> };
}

export function openStream(
  app: FastifyInstance,
  path: string,
  options: { headers?: Record<string, string>; localAddress?: string } = {},
): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: portOf(app), path, headers: options.headers ?? {}, agent: false, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
    req.on('error', reject);
    req.on('response', (response) => {
      if (response.statusCode !== 200) return resolve({ response, take: () => Promise.reject(new Error('no stream')), close: () => req.destroy() });
      const queue: SseEvent[] = [];
      let waiting: (() => void) | undefined;
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const event = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event !== undefined) queue.push(event);
        }
        waiting?.();
      });
      resolve({
        response,
        async take(count) {
          while (queue.length < count) await new Promise<void>((wake) => (waiting = wake));
          return queue.splice(0, count);
        },
        close: () => req.destroy(),
      });
    });
    req.end();
  });
}

/** The whole body of a finished response. */
export async function bodyOf(response: IncomingMessage): Promise<string> {
  let body = '';
  response.setEncoding('utf8');
  for await (const chunk of response) body += chunk as string;
  return body;
}
