/**
 * Bearer-token authentication for /api/v1 (NEMESIS_TOKEN). Tokens are
 * compared in constant time so response timing does not leak them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { apiError } from '../control/errors.ts';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function requireBearerToken(scope: FastifyInstance, token: string | undefined): void {
  if (token === undefined || token === '') return;
  const expected = digest(token);
  scope.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    if (match === null || !timingSafeEqual(digest(match[1] ?? ''), expected)) {
      throw apiError('UNAUTHORIZED', match === null ? 'an Authorization: Bearer <token> header is required' : 'wrong bearer token');
    }
  });
}
