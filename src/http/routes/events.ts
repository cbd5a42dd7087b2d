/**
 * GET /api/v1/events: server-sent events of every change the control layer
 * publishes, optionally filtered by type and by domain. Streams go through
 * the hub (`../sse.ts`): bounded per-client queues and stream limits. Each
 * source of messages is one small block in the handler (the change feed
 * today), so another periodic source is one more block.
 * GET /api/v1/events/history: the same kept events as a JSON list, in pages.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { apiError } from '../../vocabulary/errors.ts';
import { EVENT_ID_PATTERN, matchesFilter, parseTypePatterns, type EventFilter, type LostReason } from '../../control/events.ts';
import type { ControlEvent } from '../../control/index.ts';
import { DomainRefParam, PageCursor, PageLimit, ref } from '../../schemas/common.ts';
import { ChangeEventList, ChangeEventPage } from '../../schemas/event.ts';
import { responses } from '../../schemas/responses.ts';
import { answerPage, decodeEventCursor, encodeEventCursor, listOrPage } from '../pages.ts';
import type { SseMessage, StreamHub } from '../sse.ts';
import { usageFeed, usageStreamQuery } from '../usage-stream.ts';
import { doc } from './route-docs.ts';
import { clientOf } from '../local-requests.ts';

const HEARTBEAT_MS = 15_000;

const changeMessage = (event: ControlEvent): SseMessage => ({ id: event.id, event: event.type, data: { at_ns: event.at_ns, ...event.data } });
const changeItem = (event: ControlEvent) => ({ id: event.id, type: event.type, data: { at_ns: event.at_ns, ...event.data } });

const eventFilterQuery = {
  types: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 1024,
    pattern: '^[a-z.*-]+(,[a-z.*-]+)*$',
    description: 'Only these event types: a comma-separated list of types or prefixes ending in `*` (e.g. `domain.*,scheduling-domain.*`).',
    examples: ['domain.*,scheduling-domain.*'],
  })),
  domain: Type.Optional(DomainRefParam('Only events about this domain (domid or name): as the domain, a scheduling domain\'s master or a member.')),
};

const EventsQuery = Type.Object({ ...eventFilterQuery, ...usageStreamQuery }, { additionalProperties: false });

const HistoryQuery = Type.Object({ ...eventFilterQuery, limit: Type.Optional(PageLimit), cursor: Type.Optional(PageCursor) }, { additionalProperties: false });

const DESCRIPTION =
  'Server-sent events: one per lifecycle, parameter or membership change. `event` is the type ' +
  '(e.g. domain.started, domain.sched, scheduling-domain.member-added); `data` is JSON with `at_ns` (simulated time) and the details; ' +
  '`id` is `<boot>-<seq>`, unique across daemon restarts. ' +
  'A client reconnecting with `Last-Event-ID` first gets the events it missed (the last 1024 are kept); when that cannot be known ' +
  '(an id from before a restart, or older than what is kept) it gets one `events-lost` event (`data.reason`: `other-boot` or `too-old`) ' +
  'and then the changes from now on. A client that does not read is sent `events-lost` (`slow-client`) and disconnected once ' +
  'about 1 MiB waits for it. At most NEMESIS_MAX_STREAMS streams are open in all and NEMESIS_MAX_STREAMS_PER_CLIENT per client ' +
  'address (503 `TOO_MANY_STREAMS` past them). HEAD answers the headers at once and opens no stream.';

const HISTORY_DESCRIPTION =
  'The kept events (the last 1024, the ones `Last-Event-ID` replays), oldest first, as the stream sends them: `id`, `type` (the stream\'s `event`) and `data`. ' +
  'The same filters as the stream (`types`, `domain`). In a bare array; or, with `limit`, one page `{items, next}` with a `Link` header (rel="next") to the next. ' +
  'A walk from page to page sees every event after its cursor exactly once and in order, new ones included, until a page says `next: null`; ' +
  'when some events after the cursor are no longer kept (the daemon keeps the last 1024, and none from before a restart), the answer is `410 EVENTS_LOST` rather than a page with a gap: start again without a cursor. ' +
  'To go on live, open `GET /events` with the last item\'s `id` as `Last-Event-ID`: the stream starts right after it.';

const LOST_MESSAGES: Record<LostReason, string> = {
  'other-boot': 'the cursor is from before the daemon restarted, whose events are not kept: start again without a cursor, and re-read the state you follow',
  'too-old': 'some events after the cursor are no longer kept (the last 1024 are), so a page after it would skip them: start again without a cursor, and re-read the state you follow',
};

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

  app.get('/events/history', {
    schema: {
      ...doc('listEvents', 'events', 'List the kept events', HISTORY_DESCRIPTION),
      querystring: HistoryQuery,
      response: responses({ 200: listOrPage(ref(ChangeEventList), ref(ChangeEventPage), 'The kept events that match (a bare array), or one page of them (with `limit`).') }, 404, 410),
    },
  }, async (request, reply) => {
    const { limit: limitText, cursor, ...filters } = request.query;
    const limit = limitText === undefined ? undefined : Number(limitText);
    const kept = events.page(decodeEventCursor(cursor), filterOf(filters), limit);
    if (kept.lost) throw apiError('EVENTS_LOST', LOST_MESSAGES[kept.reason], { field: 'cursor' });
    const page = { items: kept.page.items.map(changeItem), next_after: kept.page.next_after };
    return answerPage(request, reply, page, limit, (seq) => encodeEventCursor(`${events.boot}-${seq}`));
  });

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
    const stream = streams.open(reply.raw, clientOf(request), { lost: () => lost('slow-client') }, reply.getHeaders());
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
