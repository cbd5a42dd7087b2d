/**
 * GET /api/v1/events: server-sent events of every change the control layer
 * publishes. A small hand-written stream (the only maintained Fastify 5 SSE
 * plugin needs a newer Node than this project supports). Streams are ended
 * before the server closes, so a graceful shutdown never waits on them.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ControlEvent } from '../../control/index.ts';
import { responses } from '../../schemas/responses.ts';
import { streamUsage, usageStreamQuery } from '../usage-stream.ts';
import { doc } from './route-docs.ts';

const HEARTBEAT_MS = 15_000;

const format = (event: ControlEvent): string =>
  `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify({ at_ns: event.at_ns, ...event.data })}\n\n`;

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const closers = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of closers) close();
  });

  app.get('/events', {
    schema: {
      ...doc(
        'streamEvents',
        'events',
        'Stream changes',
        'Server-sent events: one per lifecycle, parameter or membership change. `event` is the type ' +
          '(e.g. domain.started, domain.sched, scheduling-domain.member-added); `data` is JSON with `at_ns` (simulated time) and the details. ' +
          'A client reconnecting with `Last-Event-ID` first gets the events it missed (the last 1024 are kept).',
      ),
      querystring: Type.Object({ ...usageStreamQuery }),
      headers: Type.Object({
        'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'The last event id this client saw (sent by EventSource when it reconnects).' })),
      }),
      response: responses({
        200: Type.Unsafe<string>({
          description: 'The event stream; it stays open.',
          content: { 'text/event-stream': { schema: Type.String({ description: 'Server-sent events.' }) } },
        }),
      }),
    },
  }, async (request, reply) => {
    const stopUsage = streamUsage(app.control.usage, request.query.usage_ms, (frame) => reply.raw.write(frame));
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(': connected\n\n');
    // A reconnecting EventSource sends the last id it saw: replay what it missed, as far as it is kept.
    const lastSeen = request.headers['last-event-id'];
    if (lastSeen !== undefined) for (const event of app.control.events.since(Number(lastSeen))) raw.write(format(event));
    const unsubscribe = app.control.events.subscribe((event) => raw.write(format(event)));
    const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const close = (): void => {
      clearInterval(heartbeat);
      stopUsage();
      unsubscribe();
      closers.delete(close);
      if (!raw.writableEnded) raw.end();
    };
    closers.add(close);
    request.raw.on('close', close);
  });
};
