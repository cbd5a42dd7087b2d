/**
 * The HTTP application as a plugin: schemas, OpenAPI, error handling,
 * protection (cross-site, security headers, rate limit, overload), auth and
 * routes. It never listens; `nemesisd.ts` does (and tests call `inject`).
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import type { Control } from './control/index.ts';
import { apiError } from './vocabulary/errors.ts';
import { bearerCheck, requireBearerToken } from './http/auth.ts';
import { installConditionalRequests } from './http/conditional.ts';
import { installCrossSiteGuard, onMutationRoutes } from './http/cross-site.ts';
import { installIdempotencyKeys } from './http/idempotency.ts';
import { acknowledgeWhenDurable } from './http/durable-changes.ts';
import { clientErrorHandler, frameworkErrors, installErrorHandlers } from './http/error-handler.ts';
import { endJsonAnswersWithNewline } from './http/json-newline.ts';
import { loggerOptions, logRequests } from './http/logging.ts';
import { drainRefusedBodies } from './http/refused-bodies.ts';
import { countRequests, createMetrics } from './http/metrics.ts';
import { swaggerOptions } from './http/openapi.ts';
import { buildSerializerOncePerProcess } from './http/serializers.ts';
import { cpupoolRoutes } from './http/routes/cpupools.ts';
import { domainRoutes } from './http/routes/domains.ts';
import { eventRoutes } from './http/routes/events.ts';
import { hostRoutes } from './http/routes/host.ts';
import { labRoutes } from './http/routes/lab.ts';
import { schedulingDomainRoutes } from './http/routes/scheduling-domains.ts';
import { systemRoutes } from './http/routes/system.ts';
import { usageRoutes } from './http/routes/usage.ts';
import { installSecurityHeaders } from './http/security-headers.ts';
import { traceRoutes } from './http/routes/trace.ts';
import type { StreamHub } from './http/sse.ts';
import { webRoutes } from './http/web.ts';
import { xenApiRoutes } from './http/routes/xenapi.ts';
import { NAMED_SCHEMAS } from './schemas/index.ts';
import { AJV_OPTIONS } from './schemas/validation.ts';
import { clientOf } from './http/local-requests.ts';
import { monitorEventLoop, type EventLoopMonitor } from './runtime/event-loop-delay.ts';

declare module 'fastify' {
  interface FastifyInstance {
    control: Control;
  }
}

export interface AppOptions {
  readonly control: Control;
  readonly version: string;
  /** When set, every /api/v1 request (and /metrics) needs `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** NEMESIS_METRICS_PUBLIC: /metrics without the token. */
  readonly metricsPublic?: boolean | undefined;
  /** HOST, and NEMESIS_ALLOWED_HOSTS: the names the Host header may carry besides IPs and loopback names. */
  readonly bindHost?: string | undefined;
  readonly allowedHosts?: readonly string[] | undefined;
  /** The event streams (limits and queues). */
  readonly streams: StreamHub;
  /** Changes per minute per client address (0: no limit). */
  readonly rateLimitPerMinute?: number | undefined;
  /** Answer 503 OVERLOADED while the event loop lags more than this (0: never). */
  readonly maxEventLoopDelay_ms?: number | undefined;
  /** Answer 503 OVERLOADED while the heap is above this (0: never; for tests of the overload path). */
  readonly maxHeapUsedBytes?: number | undefined;
  /** The event-loop delay monitor (default: a real one, closed with the app; tests give a fake). */
  readonly eventLoop?: EventLoopMonitor | undefined;
}

/** Seconds a client is asked to wait when the daemon is overloaded. */
const OVERLOAD_RETRY_AFTER_S = 5;
/** How often the overload check samples the event-loop delay and the heap. */
const PRESSURE_SAMPLE_MS = 1_000;
/** Samples after start-up not held against the daemon: they measure start-up's own work (schema compilation, listen), not load. */
const PRESSURE_GRACE_SAMPLES = 2;

/**
 * Instance options: strict validation (no coercion, unknown properties
 * rejected), quiet and redacted logs, and every error before routing in the
 * catalogue's shape.
 */
export function serverOptions(logLevel: string, logStream?: NodeJS.WritableStream): FastifyServerOptions {
  return {
    logger: loggerOptions(logLevel, logStream),
    // One line per request at info would cost a fifth of the throughput; reads are logged at debug, changes at info.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { ...AJV_OPTIONS } },
    schemaController: { compilersFactory: { buildSerializer: buildSerializerOncePerProcess } },
    // Shutdown answers 503 SHUTTING_DOWN from the app (Fastify's own 503 has no catalogue code).
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler,
  };
}

/** Rate limit on changes per client address, and 503 while the event loop lags. */
async function loadProtection(fastify: FastifyInstance, options: AppOptions, eventLoop: EventLoopMonitor): Promise<void> {
  const perMinute = options.rateLimitPerMinute ?? 0;
  if (perMinute > 0) {
    // Only changes are limited, so reads skip the limiter's hook altogether; one store, so the limit is per client across all changes.
    await fastify.register(rateLimit, {
      global: false,
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: clientOf,
      errorResponseBuilder: (_request, context) =>
        apiError('RATE_LIMITED', `more than ${context.max} changes a minute from this address; retry in ${Math.ceil(context.ttl / 1000)} s`),
    });
    const limit = fastify.rateLimit();
    onMutationRoutes(fastify, (route) => (route.onRequest = [...[route.onRequest ?? []].flat(), limit]));
  }
  refuseWhenOverloaded(fastify, eventLoop, options.maxEventLoopDelay_ms ?? 0, options.maxHeapUsedBytes ?? 0);
}

/**
 * 503 OVERLOADED while the event loop's mean delay over the last second, or
 * the heap, is above its limit (0: no limit). Sampled once a second, so a
 * request pays one comparison.
 */
function refuseWhenOverloaded(fastify: FastifyInstance, eventLoop: EventLoopMonitor, maxEventLoopDelay_ms: number, maxHeapUsedBytes: number): void {
  if (maxEventLoopDelay_ms === 0 && maxHeapUsedBytes === 0) return;
  let overload: 'eventLoopDelay' | 'heapUsedBytes' | null = null;
  let graceSamples: number | null = null;
  fastify.addHook('onReady', (done) => {
    graceSamples = PRESSURE_GRACE_SAMPLES;
    done();
  });
  const sample = (): void => {
    const lag_ms = eventLoop.takeWindowMean_ms();
    const settled = graceSamples === 0;
    if (graceSamples !== null && graceSamples > 0) graceSamples--;
    if (maxEventLoopDelay_ms > 0 && settled && lag_ms > maxEventLoopDelay_ms) overload = 'eventLoopDelay';
    else if (maxHeapUsedBytes > 0 && process.memoryUsage().heapUsed > maxHeapUsedBytes) overload = 'heapUsedBytes';
    else overload = null;
    timer = setTimeout(sample, PRESSURE_SAMPLE_MS).unref();
  };
  let timer = setTimeout(sample, PRESSURE_SAMPLE_MS).unref();
  fastify.addHook('onClose', (_instance, done) => {
    clearTimeout(timer);
    done();
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (overload === null) return done();
    void reply.header('retry-after', OVERLOAD_RETRY_AFTER_S);
    done(apiError('OVERLOADED', `the daemon is overloaded (${overload}); retry in ${OVERLOAD_RETRY_AFTER_S} s`));
  });
}

export const app: FastifyPluginAsync<AppOptions> = async (fastify, options) => {
  fastify.decorate('control', options.control);
  for (const schema of NAMED_SCHEMAS) fastify.addSchema(schema);
  installErrorHandlers(fastify);
  installSecurityHeaders(fastify);
  endJsonAnswersWithNewline(fastify);
  drainRefusedBodies(fastify);
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (_request, _reply, done) => {
    done(closing ? apiError('SHUTTING_DOWN', 'the daemon is shutting down') : undefined);
  });
  const bindHost = options.bindHost ?? '127.0.0.1';
  installCrossSiteGuard(fastify, { bindHost, allowedHosts: options.allowedHosts ?? [] });
  logRequests(fastify);
  acknowledgeWhenDurable(fastify, options.control);
  installConditionalRequests(fastify, options.control);
  installIdempotencyKeys(fastify, options.control);
  const eventLoop = options.eventLoop ?? monitorEventLoop();
  if (options.eventLoop === undefined) {
    fastify.addHook('onClose', (_instance, done) => {
      eventLoop.close();
      done();
    });
  }
  await loadProtection(fastify, options, eventLoop);
  const registry = createMetrics(options.control, eventLoop);
  countRequests(fastify, registry);

  await fastify.register(swagger, swaggerOptions(options.version));
  await fastify.register(swaggerUi, { routePrefix: '/docs' });
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  await fastify.register(systemRoutes, { registry, metricsAuth: options.metricsPublic === true ? undefined : bearerCheck(options.token) });
  await fastify.register(webRoutes);
  await fastify.register(xenApiRoutes, { token: options.token, address: bindHost });
  await fastify.register(
    async (api) => {
      requireBearerToken(api, options.token);
      await api.register(controlRoutes);
      await api.register(eventRoutes, { streams: options.streams });
      await api.register(labRoutes);
      await api.register(traceRoutes);
    },
    { prefix: '/api/v1' },
  );
};

/** The resources a request can change or read, which a what-if copy also serves (src/lab/what-if-copy.ts). */
export const controlRoutes: FastifyPluginAsync = async (api) => {
  await api.register(hostRoutes);
  await api.register(domainRoutes);
  await api.register(schedulingDomainRoutes);
  await api.register(cpupoolRoutes);
  await api.register(usageRoutes);
};
