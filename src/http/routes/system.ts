/** Outside /api/v1: health (never a token) and metrics (the token when one is set, unless NEMESIS_METRICS_PUBLIC=1). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { onRequestHookHandler } from 'fastify';
import type { Registry } from 'prom-client';
import { ref } from '../../schemas/common.ts';
import { Health } from '../../schemas/host.ts';
import { described, errorResponses } from '../../schemas/responses.ts';

export interface SystemOptions {
  readonly registry: Registry;
  /** The check /metrics runs first, when it needs the token. */
  readonly metricsAuth?: onRequestHookHandler | undefined;
}

export const systemRoutes: FastifyPluginAsyncTypebox<SystemOptions> = async (app, { registry, metricsAuth }) => {
  app.get('/healthz', {
    schema: {
      operationId: 'getHealth',
      tags: ['system'],
      summary: 'Health check',
      description:
        'Answers while the daemon serves requests; `degraded` (still 200) while changes cannot be stored. ' +
        'Like every route it refuses a Host header that is not a name of the daemon (403) and answers 503 while shutting down.',
      security: [],
      response: { 200: described(ref(Health), 'The daemon is up.'), ...errorResponses(403, 503) },
    },
  }, async () => app.control.health());

  app.get('/metrics', {
    schema: {
      operationId: 'getMetrics',
      tags: ['system'],
      summary: 'Prometheus metrics',
      description:
        'Domains by state, CPU time per domain, the simulated clock, tick-loop lag and skipped time, HTTP requests. ' +
        'Needs the bearer token when NEMESIS_TOKEN is set, unless NEMESIS_METRICS_PUBLIC=1.',
      security: [{ bearerAuth: [] }, {}],
      produces: ['text/plain'],
      response: {
        200: Type.String({ description: 'Prometheus text exposition format.', 'x-response-description': 'The metrics.' }),
        401: Type.Unsafe({ $ref: 'Error#', description: 'Missing or wrong bearer token.' }),
      },
    },
    ...(metricsAuth === undefined ? {} : { onRequest: metricsAuth }),
  }, async (_request, reply) => {
    void reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
};
