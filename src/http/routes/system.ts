/** Outside /api/v1 and without a token: health and metrics. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Registry } from 'prom-client';
import { ref } from '../../schemas/common.ts';
import { Health } from '../../schemas/host.ts';
import { described } from '../../schemas/responses.ts';

export const systemRoutes: FastifyPluginAsyncTypebox<{ registry: Registry }> = async (app, { registry }) => {
  app.get('/healthz', {
    schema: {
      operationId: 'getHealth',
      tags: ['system'],
      summary: 'Health check',
      description: 'Answers while the daemon serves requests; `degraded` (still 200) while changes cannot be stored.',
      security: [],
      response: { 200: described(ref(Health), 'The daemon is up.') },
    },
  }, async () => app.control.health());

  app.get('/metrics', {
    schema: {
      operationId: 'getMetrics',
      tags: ['system'],
      summary: 'Prometheus metrics',
      description: 'Domains by state, CPU time per domain, the simulated clock, tick-loop lag and skipped time, HTTP requests.',
      security: [],
      produces: ['text/plain'],
      response: { 200: Type.String({ description: 'Prometheus text exposition format.', 'x-response-description': 'The metrics.' }) },
    },
  }, async (_request, reply) => {
    void reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
};
