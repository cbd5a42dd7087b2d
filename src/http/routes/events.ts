/**
 * GET /api/v1/events: server-sent events of every change the control layer
 * publishes, optionally filtered by type and by domain. Streams go through
 * the hub (`../sse.ts`): bounded per-client queues and stream limits. Each
 * source of messages is one small block in the handler (the change feed
 * today), so another periodic source is one more block.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { apiError } from '../../vocabulary/errors.ts';
import { EVENT_ID_PATTERN, matchesFilter, parseTypePatterns, type EventFilter, type LostReason } from '../../control/events.ts';
import type { ControlEvent } from '../../control/index.ts';
import { DomainRefParam } from '../../schemas/common.ts';
import { responses } from '../../schemas/responses.ts';
import type { SseMessage, StreamHub } from '../sse.ts';
import { usageFeed, usageStreamQuery } from '../usage-stream.ts';
import { doc } from './route-docs.ts';
import { clientOf } from '../local-requests.ts';

const HEARTBEAT_MS = 15_000;

const changeMessage = (event: ControlEvent): SseMessage => ({ id: event.id, event: event.type, data: { at_ns: event.at_ns, ...event.data } });

const EventsQuery = Type.Object({
  types: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 1024,
    pattern: '^[a-z.*-]+(,[a-z.*-]+)*$',
    description: 'Only these event types: a comma-separated list of types or prefixes ending in `*` (e.g. `domain.*,scheduling-domain.*`).',
    examples: ['domain.*,scheduling-domain.*'],
  })),
  domain: Type.Optional(DomainRefParam('Only events about this domain (domid or name): as the domain, a scheduling domain\'s master or a member.')),
  ...usageStreamQuery,
}, { additionalProperties: false });

const DESCRIPTION =
  'Server-sent events: one per lifecycle, parameter or membership change. `event` is the type ' +
  '(e.g. domain.started, domain.sched, scheduling-domain.member-added); `data` is JSON with `at_ns` (simulated time) and the details; ' +
  '`id` is `<boot>-<seq>`, unique across daemon restarts. ' +
  'A client reconnecting with `Last-Event-ID` first gets the events it missed (the last 1024 are kept); when that cannot be known ' +
  '(an id from before a restart, or older than what is kept) it gets one `events-lost` event (`data.reason`: `other-boot` or `too-old`) ' +
  'and then the changes from now on. A client that does not read is sent `events-lost` (`slow-client`) and disconnected once ' +
  'about 1 MiB waits for it. At most NEMESIS_MAX_STREAMS streams are open in all and NEMESIS_MAX_STREAMS_PER_CLIENT per client ' +
  'address (503 `TOO_MANY_STREAMS` past them). HEAD answers the headers at once and opens no stream.';

export const eventRoutes: FastifyPluginAsyncTypebox<{ streams: StreamHub }> = async (app, { streams }) => {
  const { events } = app.control;
  app.addHook('preClose', async () => streams.closeAll());

  const lost = (reason: LostReason | 'slow-client'): SseMessage => ({
    id: events.lastId,
    event: 'events-lost',
    data: { at_ns: app.control.host.info().clock.now_ns, reason },
  });

  function filterOf(query: { types?: string | undefined; domain?: string | undefined }): EventFilter {
    let filter: EventFilter = {};
    if (query.types !== undefined) {
      const parsed = parseTypePatterns(query.types);
      if ('bad' in parsed) throw apiError('INVALID_ARGUMENT', `querystring/types: "${parsed.bad}" names no event type`, { field: 'types' });
      filter = { types: parsed.types };
    }
    if (query.domain !== undefined) filter = { ...filter, domid: app.control.domains.get(query.domain).id };
    return filter;
  }

  app.get('/events', {
    schema: {
      ...doc('streamEvents', 'events', 'Stream changes', DESCRIPTION),
      querystring: EventsQuery,
      headers: Type.Object({
        'last-event-id': Type.Optional(Type.String({
          pattern: EVENT_ID_PATTERN,
          description: 'The last event id this client saw, `<boot>-<seq>` (sent by EventSource when it reconnects).',
        })),
      }),
      response: responses({
        200: Type.Unsafe<string>({
          description: 'The event stream; it stays open.',
          content: { 'text/event-stream': { schema: Type.String({ description: 'Server-sent events.' }) } },
        }),
      }, 404),
    },
  }, async (request, reply) => {
    const filter = filterOf(request.query);
    const usage = usageFeed(app.control.usage, request.query.usage_ms);
    if (request.method === 'HEAD') return reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-cache').send('');
    const stream = streams.open(reply.raw, clientOf(request), { lost: () => lost('slow-client') });
    reply.hijack();
    stream.comment('connected');

    // Changes: what a reconnecting client missed (or that it lost some), then live ones.
    const lastSeen = request.headers['last-event-id'];
    if (lastSeen !== undefined) {
      const missed = events.since(lastSeen);
      if (missed.lost) stream.send(lost(missed.reason));
      else for (const event of missed.events) if (matchesFilter(event, filter)) stream.send(changeMessage(event));
    }
    stream.onClose(events.subscribe((event) => {
      if (matchesFilter(event, filter)) stream.send(changeMessage(event));
    }));

    const heartbeat = setInterval(() => stream.comment('heartbeat'), HEARTBEAT_MS);
    heartbeat.unref();
    stream.onClose(() => clearInterval(heartbeat));
    if (usage !== undefined) stream.onClose(usage(stream));
  });
};
