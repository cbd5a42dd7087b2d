/**
 * What the daemon logs about requests: every line of a request carries its
 * id (Fastify's child logger, echoed as `x-request-id`), every change is
 * logged at info with its operation, target and outcome, and secrets never
 * reach a log (the authorization header, token-like query parameters).
 * Lines to standard output are gathered and written together (see
 * `batchedStdout`), so a change's line costs its request no system call.
 */
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { destination } from 'pino';
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

/** The longest a line waits before it is written (ms). */
const LOG_FLUSH_MS = 50;
/** Gathered lines are written at once from this many characters. */
const LOG_BATCH_CHARS = 8 * 1024;

/**
 * Standard output as pino's asynchronous destination, one per process: lines are
 * gathered and written together, at most LOG_FLUSH_MS after the first of them or
 * once LOG_BATCH_CHARS are gathered, because a write to a pipe wakes its reader
 * (journald, a collector, a terminal), which cost a change a tenth of a millisecond
 * per line when each line was written on its own. Pino writes what is gathered
 * synchronously when the process exits (an uncaught error included); a SIGKILL or a
 * crash of V8 itself loses the lines of the last LOG_FLUSH_MS at most.
 */
let stdoutDestination: ReturnType<typeof destination> | undefined;
function batchedStdout(): ReturnType<typeof destination> {
  stdoutDestination ??= destination({ dest: 1, sync: false, minLength: LOG_BATCH_CHARS, periodicFlush: LOG_FLUSH_MS });
  return stdoutDestination;
}

/** The logger's options: level, where to (standard output, batched, unless `stream` is given), redaction. */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    stream: stream ?? batchedStdout(),
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
  // Every line of a closed app is out before close() resolves (a shutdown's last lines, and tests that read standard output).
  app.addHook('onClose', (_app, done) => {
    if (stdoutDestination === undefined) done();
    else stdoutDestination.flush(() => done());
  });
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
