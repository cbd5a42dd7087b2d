/** Response maps: the success shape plus every error a route can give, all with descriptions. */
import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { ERROR_CATALOGUE } from '../vocabulary/errors.ts';
import type { ErrorResponse as ErrorShape } from './common.ts';

const ERROR_DESCRIPTIONS = {
  400: 'Bad input (schema, range, or a rule between fields; `field` names it), or a request that could not be parsed.',
  401: 'Missing or wrong bearer token.',
  403: 'Refused as a cross-site request: Host or Origin.',
  404: 'No such route, domain, vCPU, scheduling domain, member, cpupool or trace.',
  408: 'The request was not received in time.',
  409: 'The request conflicts with the current state (power state, name, group rules, cpupool rules, a trace already recording, a full replay log) or asks what the host does not support.',
  412: 'A precondition failed: the resource is no longer at the version `If-Match` names (another client changed it). Nothing was changed; read it again (its `ETag` is the new version) and retry.',
  410: 'Gone: what the cursor goes on from is no longer kept, so a page after it would silently skip some; start again without a cursor.',
  413: 'The body is too large, or a what-if asks for more simulation than one request may.',
  414: 'A path parameter is too long.',
  415: 'The body is not JSON.',
  422: 'The `Idempotency-Key` was used before for another request (another path or body): nothing was done. A new request needs a new key.',
  429: 'Too many changes from this client, or a what-if of its own still running; `Retry-After` says when to retry.',
  431: 'The headers are too large.',
  500: 'The daemon failed. `INTERNAL`, `STORE_IO_ERROR`: nothing was changed. `STORE_FAILED`: the change was made but may not be on disk; restart the daemon.',
  503: 'Not now, nothing was changed: the database is locked by another process, the daemon is shutting down or overloaded, or there are too many event streams; retry after `Retry-After` seconds where given.',
  507: 'The disk holding the database is full; nothing was changed. Free space on it: changes are stored again as soon as there is room.',
} as const;
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** A response that carries a `$ref`d schema and its own description. */
export const described = <T>(schema: TUnsafe<T>, description: string): TUnsafe<T> =>
  Type.Unsafe<T>({ ...schema, description });

/** The catalogue's codes with this status, so the spec names every code a client can meet. */
const codesFor = (status: number): string =>
  Object.entries(ERROR_CATALOGUE)
    .filter(([, entry]) => entry.status === status)
    .map(([code]) => `\`${code}\``)
    .join(', ');

const errorResponse = (status: ErrorStatus): TUnsafe<ErrorShape> =>
  Type.Unsafe<ErrorShape>({ $ref: 'Error#', description: `${ERROR_DESCRIPTIONS[status]} Codes: ${codesFor(status)}.` });

/** What any /api/v1 request can meet before its route runs: parsing, protection, the token, shutdown. */
const ALWAYS: readonly ErrorStatus[] = [400, 401, 403, 408, 413, 414, 415, 429, 431, 500, 503];

/** Every /api/v1 route can answer the statuses in ALWAYS, plus those it names. */
export function responses<S extends Record<number, TSchema>>(success: S, ...errors: ErrorStatus[]) {
  return { ...success, ...errorResponses(...[...ALWAYS, ...errors].sort((a, b) => a - b)) };
}

/** The error responses for `statuses` alone (routes outside /api/v1, without its token). */
export const errorResponses = (...statuses: ErrorStatus[]): Record<ErrorStatus, TUnsafe<ErrorShape>> =>
  Object.fromEntries(statuses.map((status) => [status, errorResponse(status)])) as Record<ErrorStatus, TUnsafe<ErrorShape>>;

/** 204 No Content. */
export const NoContent = Type.Unsafe<undefined>({ type: 'null', description: 'Done; no body.' });
