/**
 * Bearer-token authentication for /api/v1 (NEMESIS_TOKEN), and for /metrics
 * unless NEMESIS_METRICS_PUBLIC=1 (not on the local socket, whose file
 * permissions decide who may connect). Tokens are compared in constant time so
 * response timing does not leak them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { apiError } from '../vocabulary/errors.ts';
import { viaLocalSocket } from './local-requests.ts';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** A constant-time test of whether a string is the token, its digest made once (the bearer check, and XenAPI's login password). */
export function tokenMatcher(token: string): (given: string) => boolean {
  const expected = digest(token);
  return (given) => timingSafeEqual(digest(given), expected);
}

/** An onRequest hook that refuses requests without the token; undefined when no token is configured. */
export function bearerCheck(token: string | undefined): onRequestHookHandler | undefined {
  if (token === undefined || token === '') return undefined;
  const isToken = tokenMatcher(token);
  return (request, _reply, done) => {
    // On the local socket, the socket file's permissions decided who may connect.
    if (viaLocalSocket(request.raw)) return done();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    if (match === null || !isToken(match[1] ?? '')) {
      done(apiError('UNAUTHORIZED', match === null ? 'an Authorization: Bearer <token> header is required' : 'wrong bearer token'));
    } else {
      done();
    }
  };
}

export function requireBearerToken(scope: FastifyInstance, token: string | undefined): void {
  const check = bearerCheck(token);
  if (check !== undefined) scope.addHook('onRequest', check);
}
