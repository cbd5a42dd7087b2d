/**
 * What the daemon logs about requests: every line of a request carries its
 * id (Fastify's child logger, echoed as `x-request-id`), every change is
 * logged at info with its operation, target and outcome, and secrets never
 * reach a log (the authorization header, token-like query parameters).
 */
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { isMutation } from './cross-site.ts';
import { clientOf } from './local-requests.ts';

const SECRET_KEY = /token|secret|password|key|auth/i;

/** `/x?token=abc&n=1` → `/x?token=[redacted]&n=1`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const pairs = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    return eq !== -1 && SECRET_KEY.test(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=[redacted]` : pair;
  });
  return `${url.slice(0, q + 1)}${pairs.join('&')}`;
}

/** The logger's options: level, where to, redaction. */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    ...(stream === undefined ? {} : { stream }),
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization'], censor: '[redacted]' },
    serializers: {
      req: (request: FastifyRequest) => ({ method: request.method, url: redactUrl(request.url), remoteAddress: clientOf(request) }),
    },
  };
}

const DEBUG_LEVELS = new Set(['debug', 'trace']);

/** Outcome of a request as the error handler saw it (a catalogue code), for the mutation line. */
const outcomes = new WeakMap<FastifyRequest, string>();
export const noteErrorCode = (request: FastifyRequest, code: string): void => void outcomes.set(request, code);

export function logRequests(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });
  const debug = DEBUG_LEVELS.has(app.log.level);
  app.addHook('onResponse', (request, reply, done) => {
    if (isMutation(request.method)) {
      request.log.info({
        operation: (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId ?? null,
        target: request.params,
        status: reply.statusCode,
        outcome: outcomes.get(request) ?? 'ok',
      }, 'mutation');
    } else if (debug) {
      request.log.debug({ method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    }
    done();
  });
}
