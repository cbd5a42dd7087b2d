/**
 * The daemon's API as the tool sees it: openapi-fetch over the types generated
 * from openapi.yaml (`npm run sdk`). The tool imports nothing else of the daemon.
 */
import { randomUUID } from 'node:crypto';
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/api-types.ts';
import { CliError } from './errors.ts';
import { socketPathOf, unixSocketFetch } from './unix-socket-fetch.ts';

export type Api = Client<paths>;
export type Schemas = components['schemas'];
export type Domain = Schemas['Domain'];
export type SchedulingDomain = Schemas['SchedulingDomain'];
export type Cpupool = Schemas['Cpupool'];

export const DEFAULT_URL = 'http://127.0.0.1:8000';

export interface Connection {
  readonly url: string;
  readonly api: Api;
}

/** `url` is the daemon's http(s) URL, or `unix:/path` for its local socket (where no token is needed). */
export function connect(url: string, token: string | undefined): Connection {
  const headers: Record<string, string> = token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` };
  const socketPath = socketPathOf(url);
  if (socketPath !== undefined) return { url, api: createClient<paths>({ baseUrl: 'http://localhost', headers, fetch: retrying(unixSocketFetch(socketPath)) }) };
  return { url, api: createClient<paths>({ baseUrl: url.replace(/\/+$/, ''), headers, fetch: retrying(fetch) }) };
}

/** Retries of a POST whose answer was lost (the connection dropped) or that the daemon asked to retry (503). */
const POST_RETRIES = 2;
/** The longest Retry-After the tool waits for before retrying. */
const MAX_RETRY_AFTER_S = 5;

/** The connection dropped after the request may have reached the daemon (not refused: then nothing was sent). */
const answerLost = (error: unknown): boolean => {
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return error instanceof TypeError && code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== 'ENOENT';
};

/**
 * Every POST carries an Idempotency-Key, so it can be retried safely: when the
 * connection drops before the answer, or the daemon answers 503 (busy
 * database, overload) with a short Retry-After, the same request goes again
 * with the same key, and the daemon does it at most once.
 */
const retrying =
  (send: (request: Request) => Promise<Response>) =>
  async (request: Request): Promise<Response> => {
    if (request.method !== 'POST') return send(request);
    if (!request.headers.has('idempotency-key')) request.headers.set('idempotency-key', randomUUID());
    for (let attempt = 0; ; attempt++) {
      const sent = attempt < POST_RETRIES ? request.clone() : request;
      try {
        const response = await send(sent);
        const wait_s = Number(response.headers.get('retry-after') ?? NaN);
        if (response.status !== 503 || attempt >= POST_RETRIES || !(wait_s <= MAX_RETRY_AFTER_S)) return response;
        await new Promise((resolve) => setTimeout(resolve, wait_s * 1000));
      } catch (error) {
        if (attempt >= POST_RETRIES || !answerLost(error)) throw error;
      }
    }
  };

type Result<T> = { data?: T; error?: Schemas['Error'] | undefined; response: Response };

/**
 * The data of a successful answer, or a CliError with the daemon's own message
 * (it names the domain, group or vCPU). `fetch` failing is left to `unreachable`.
 */
export async function call<T>(connection: Connection, request: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await request;
  if (response.ok) return data as T;
  if (response.status === 401) {
    throw new CliError(`nemesisd at ${connection.url} refused the token (wrong or missing): give --token or set NEMESIS_TOKEN`);
  }
  const message = typeof error === 'object' && error !== null && typeof error.message === 'string' ? error.message : response.statusText;
  throw new CliError(message);
}

/**
 * The data of a successful answer and the resource's version (its ETag), for a
 * write that must not overwrite another client's change: give the version back
 * as `ifMatch(etag)` and the daemon refuses (412, its message says so) when
 * the resource changed between the read and the write.
 */
export async function callVersioned<T>(connection: Connection, request: Promise<Result<T>>): Promise<{ data: T; etag: string | undefined }> {
  const result = await request;
  const data = await call(connection, Promise.resolve(result));
  return { data, etag: result.response.headers.get('etag') ?? undefined };
}

/** The If-Match header for a version read by `callVersioned` (none when the daemon gave no ETag). */
export const ifMatch = (etag: string | undefined): { 'if-match'?: string } => (etag === undefined ? {} : { 'if-match': etag });

/** One line for a daemon that could not be reached (not running, wrong URL), or undefined for other errors. */
export function unreachable(error: unknown, url: string): string | undefined {
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') return undefined;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return `cannot reach nemesisd at ${url}${why === undefined ? '' : ` (${why})`}: is it running? (--url or NEMESIS_URL)`;
}
