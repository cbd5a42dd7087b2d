/**
 * `Idempotency-Key` on every POST under /api/v1 (each one does something new
 * each time it is sent): the control layer keeps the first successful answer,
 * and a retry with the same key is answered it again, with
 * `Idempotent-Replayed: true`, without running the request. This module only
 * translates: the key and the request in, the answer out.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler, preHandlerHookHandler, RouteOptions } from 'fastify';
import type { Control, KeptAnswer } from '../control/index.ts';
import { errorResponses } from '../schemas/responses.ts';
import { invalidArgument } from '../vocabulary/errors.ts';
import { addHeaderParameters } from './conditional.ts';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** The answer's headers a replay repeats. */
const REPLAYED_HEADERS = ['location', 'etag', 'content-type'] as const;

const IDEMPOTENCY_KEY = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[\\x21-\\x7e]+$',
    description:
      'A key of the client\'s choosing (a UUID, say), new for each new request: a retry with the same key gets the first successful answer again (with `Idempotent-Replayed: true`) and nothing is done twice. Kept 24 h; the same key with another path or body is 422.',
  }),
);

/** JSON with its object keys sorted, so two sends of one body compare equal whatever the key order (JSON.stringify's own walk: no recursion of ours). */
function canonical(value: unknown): string {
  const sorted = (_key: string, inner: unknown): unknown =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner;
  try {
    return JSON.stringify(value, sorted) ?? 'null';
  } catch {
    throw invalidArgument('body', 'is nested too deeply to be compared for Idempotency-Key');
  }
}

const isKeyedRoute = (route: RouteOptions): boolean =>
  [route.method].flat().includes('POST') && route.url.startsWith('/api/v1/');

export function installIdempotencyKeys(app: FastifyInstance, control: Pick<Control, 'idempotency'>): void {
  const first = new WeakMap<FastifyRequest, (answer: KeptAnswer) => void>();

  // Callback hooks, not async ones: most changes come without a key, and a promise per request would be all they cost.
  const lookUp: preHandlerHookHandler = (request: FastifyRequest, reply: FastifyReply, done) => {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return done();
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) return done(invalidArgument('Idempotency-Key', 'must be 1..255 visible ASCII characters'));
    let started: ReturnType<Control['idempotency']['start']>;
    try {
      started = control.idempotency.start(key, `${request.method} ${request.url} ${canonical(request.body ?? null)}`);
    } catch (error) {
      return done(error as Error);
    }
    if (started.kind === 'first') {
      first.set(request, (answer) => started.finish(answer));
      return done();
    }
    // A replay answers here (the handler does not run): Fastify takes the reply sent from a callback hook that does not call done.
    started.answer.then(
      (answer) => void reply.code(answer.status).headers({ ...answer.headers, 'idempotent-replayed': 'true' }).send(answer.body),
      (error: unknown) => done(error as Error),
    );
  };

  const keep: onSendHookHandler<unknown> = (request, reply, payload, done) => {
    const finish = first.get(request);
    if (finish === undefined) return done(null, payload);
    first.delete(request);
    const headers = Object.fromEntries(
      REPLAYED_HEADERS.flatMap((name) => {
        const value = reply.getHeader(name);
        return value === undefined ? [] : [[name, String(value)]];
      }),
    );
    finish({ status: reply.statusCode, headers, body: typeof payload === 'string' ? payload : '' });
    done(null, payload);
  };

  app.addHook('onRoute', (route) => {
    if (!isKeyedRoute(route)) return;
    addHeaderParameters(route, { 'idempotency-key': IDEMPOTENCY_KEY });
    const schema = (route.schema ??= {});
    schema.response = { ...(schema.response as object | undefined), ...errorResponses(422) };
    route.preHandler = [...[route.preHandler ?? []].flat(), lookUp];
    // Before the answer waits for the disk (durable-changes.ts), so the kept answer is on disk with the change.
    route.onSend = [keep, ...[route.onSend ?? []].flat()];
  });
}
