/**
 * The HTTP application as a plugin: schemas, OpenAPI, error handling, auth
 * and routes. It never listens; `nemesisd.ts` does (and tests call `inject`).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { LogController, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import type { Control } from './control/index.ts';
import { requireBearerToken } from './http/auth.ts';
import { installErrorHandlers } from './http/error-handler.ts';
import { countRequests, createMetrics } from './http/metrics.ts';
import { swaggerOptions } from './http/openapi.ts';
import { domainRoutes } from './http/routes/domains.ts';
import { eventRoutes } from './http/routes/events.ts';
import { hostRoutes } from './http/routes/host.ts';
import { schedulingDomainRoutes } from './http/routes/scheduling-domains.ts';
import { systemRoutes } from './http/routes/system.ts';
import { webRoutes } from './http/web.ts';
import { NAMED_SCHEMAS } from './schemas/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    control: Control;
  }
}

const DEBUG_LEVELS = new Set(['debug', 'trace']);

export interface AppOptions {
  readonly control: Control;
  readonly version: string;
  /** When set, every /api/v1 request needs `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
}

/** Instance options: strict validation (no coercion, unknown properties rejected) and quiet logs. */
export function serverOptions(logLevel: string): FastifyServerOptions {
  return {
    logger: { level: logLevel },
    // One line per request at info would cost a fifth of the throughput; they are logged at debug.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, discriminator: true } },
    return503OnClosing: true,
  };
}

export const app: FastifyPluginAsync<AppOptions> = async (fastify, options) => {
  fastify.decorate('control', options.control);
  for (const schema of NAMED_SCHEMAS) fastify.addSchema(schema);
  installErrorHandlers(fastify);
  if (DEBUG_LEVELS.has(fastify.log.level)) {
    fastify.addHook('onResponse', async (request, reply) => {
      request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    });
  }
  const registry = createMetrics(options.control);
  countRequests(fastify, registry);

  await fastify.register(swagger, swaggerOptions(options.version));
  await fastify.register(swaggerUi, { routePrefix: '/docs' });
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  await fastify.register(systemRoutes, { registry });
  await fastify.register(webRoutes);
  await fastify.register(
    async (api) => {
      requireBearerToken(api, options.token);
      await api.register(hostRoutes);
      await api.register(domainRoutes);
      await api.register(schedulingDomainRoutes);
      await api.register(eventRoutes);
    },
    { prefix: '/api/v1' },
  );
};
