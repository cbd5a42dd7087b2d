/**
 * A change is acknowledged only once it is on disk: the store commits without
 * syncing on the event loop, then syncs in the background (store/wal-sync.ts),
 * and every successful answer to a change waits for that sync.
 */
import type { FastifyInstance, onSendAsyncHookHandler } from 'fastify';
import type { Control } from '../control/index.ts';
import { errorResponses } from '../schemas/responses.ts';
import { apiError } from '../vocabulary/errors.ts';
import { onMutationRoutes } from './cross-site.ts';

export function acknowledgeWhenDurable(app: FastifyInstance, control: Control): void {
  const durable: onSendAsyncHookHandler = async (request, reply, payload) => {
    if (reply.statusCode >= 400) return payload;
    try {
      await control.store.synced();
    } catch (error) {
      request.log.fatal({ err: error }, 'the database could not be synced to disk');
      throw apiError('STORE_FAILED', `the change was made but could not be written to disk (${(error as Error).message}); restart the daemon`);
    }
    return payload;
  };
  onMutationRoutes(app, (route) => {
    route.onSend = [...[route.onSend ?? []].flat(), durable];
    // Every change of the REST API is stored, so it can meet a full disk (the Xen API answers in its own terms).
    const response = route.schema?.response as Record<number, unknown> | undefined;
    if (response !== undefined && route.url.startsWith('/api/v1/')) route.schema = { ...route.schema, response: { ...response, ...errorResponses(507) } };
  });
}
