/**
 * `fetch` over a Unix domain socket, for `--url unix:/path`: openapi-fetch
 * takes any fetch, and Node's own cannot dial a socket file. Request and
 * Response are the web's, so the rest of the tool does not know the
 * difference; an answer's body streams as it arrives.
 */
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';

const UNIX_URL = /^unix:(?:\/\/)?(.+)$/;

/** The socket path of a `unix:/path` (or `unix:///path`) URL, or undefined for any other URL. */
export function socketPathOf(url: string): string | undefined {
  return UNIX_URL.exec(url)?.[1];
}

/** Statuses whose answers have no body (a Response refuses one). */
const NO_BODY = new Set([204, 205, 304]);

export function unixSocketFetch(socketPath: string): (input: Request) => Promise<Response> {
  return async (input) => {
    const body = input.body === null ? undefined : Buffer.from(await input.arrayBuffer());
    const url = new URL(input.url);
    const headers: Record<string, string> = { host: 'localhost', ...Object.fromEntries(input.headers) };
    if (body !== undefined) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest({ socketPath, method: input.method, path: `${url.pathname}${url.search}`, headers }, (answer) => {
        const status = answer.statusCode ?? 500;
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(answer.headers)) for (const one of [value ?? []].flat()) answerHeaders.append(name, one);
        const empty = NO_BODY.has(status) || input.method === 'HEAD';
        if (empty) answer.resume();
        const stream = empty ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>);
        resolve(new Response(stream, { status, statusText: answer.statusMessage ?? '', headers: answerHeaders }));
      });
      // As fetch fails: a TypeError whose cause is the system's error (ENOENT, ECONNREFUSED, EACCES), which the tool reports.
      outgoing.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
      input.signal.addEventListener('abort', () => outgoing.destroy(input.signal.reason as Error), { once: true });
      outgoing.end(body);
    });
  };
}
