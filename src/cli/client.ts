/**
 * The daemon's API as the tool sees it: openapi-fetch over the types generated
 * from openapi.yaml (`npm run sdk`). The tool imports nothing else of the daemon.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/api-types.ts';
import { CliError } from './errors.ts';

export type Api = Client<paths>;
export type Schemas = components['schemas'];
export type Domain = Schemas['Domain'];
export type SchedulingDomain = Schemas['SchedulingDomain'];

export const DEFAULT_URL = 'http://127.0.0.1:8000';

export interface Connection {
  readonly url: string;
  readonly api: Api;
}

export function connect(url: string, token: string | undefined): Connection {
  const headers: Record<string, string> = token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` };
  return { url, api: createClient<paths>({ baseUrl: url.replace(/\/+$/, ''), headers }) };
}

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
