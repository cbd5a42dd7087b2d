/** Response maps: the success shape plus every error a route can give, all with descriptions. */
import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox';
import type { ErrorResponse as ErrorShape } from './common.ts';

const ERROR_DESCRIPTIONS = {
  400: 'Bad input (schema, range, or a rule between fields); `field` names it.',
  401: 'Missing or wrong bearer token.',
  404: 'No such domain, vCPU or scheduling domain.',
  409: 'The request conflicts with the current state (power state, name, group rules).',
  500: 'The daemon failed; nothing was changed.',
  503: 'Not now, nothing was changed: the database is locked by another process (STORE_BUSY); retry after `Retry-After` seconds.',
} as const;
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** A response that carries a `$ref`d schema and its own description. */
export const described = <T>(schema: TUnsafe<T>, description: string): TUnsafe<T> =>
  Type.Unsafe<T>({ ...schema, description });

const errorResponse = (status: ErrorStatus): TUnsafe<ErrorShape> =>
  Type.Unsafe<ErrorShape>({ $ref: 'Error#', description: ERROR_DESCRIPTIONS[status] });

/** Every /api/v1 route can answer 400 (bad input), 401 (token), 500 and 503. */
export function responses<S extends Record<number, TSchema>>(success: S, ...errors: ErrorStatus[]) {
  const all: ErrorStatus[] = [400, 401, ...errors, 500, 503];
  const errorMap = Object.fromEntries(all.map((status) => [status, errorResponse(status)])) as Record<ErrorStatus, TUnsafe<ErrorShape>>;
  return { ...success, ...errorMap };
}

/** 204 No Content. */
export const NoContent = Type.Unsafe<undefined>({ type: 'null', description: 'Done; no body.' });
