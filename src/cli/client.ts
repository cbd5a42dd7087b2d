/**
 * The daemon's API as the tool sees it: openapi-fetch over the types generated
 * from openapi.yaml (`npm run sdk`). The tool imports nothing else of the daemon.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/api-types.ts';
import { CliError } from './errors.ts';
import { socketPathOf, unixSocketFetch } from './unix-socket-fetch.ts';

export type Api = Client<paths>;
export type Schemas = components['schemas'];
export type Domain = Schemas['Domain'];
export type SchedulingDomain = Schemas['SchedulingDomain'];

export const DEFAULT_URL = 'http://127.0.0.1:8000';

export interface Connection {
  readonly url: string;
  readonly api: Api;
}

/** `url` is the daemon's http(s) URL, or `unix:/path` for its local socket (where no token is needed). */
export function connect(url: string, token: string | undefined): Connection {
  const headers: Record<string, string> = token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` };
  const socketPath = socketPathOf(url);
  if (socketPath !== undefined) return { url, api: createClient<paths>({ baseUrl: 'http://localhost', headers, fetch: unixSocketFetch(socketPath) }) };
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

/** One line for a daemon that could not be reached (not running, wrong URL), or undefined for other errors. */
export function unreachable(error: unknown, url: string): string | undefined {
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') return undefined;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return `cannot reach nemesisd at ${url}${why === undefined ? '' : ` (${why})`}: is it running? (--url or NEMESIS_URL)`;
}
