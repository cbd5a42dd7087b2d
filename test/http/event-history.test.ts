/**
 * GET /api/v1/events/history: the kept events as a JSON list, exactly as the
 * stream sends them, with the stream's filters and the pages of every list;
 * what a cursor guarantees while events are added, and a clear 410 when the
 * events after it are no longer kept.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_HISTORY } from '../../src/control/events.ts';
import { encodeCursor, encodeEventCursor } from '../../src/http/pages.ts';
import { build } from '../helpers.ts';
import { openStream } from './sse-client.ts';

interface Item {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}
interface Page {
  readonly items: Item[];
  readonly next: string | null;
}

const seqOf = (item: Item): number => Number(item.id.slice(item.id.lastIndexOf('-') + 1));

describe('/api/v1/events/history', () => {
  it('lists the kept events as the stream sends them, with its filters, in pages; the last id goes on live as Last-Event-ID', async (t) => {
    const d = await build(t, { pcpus: 2 });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    await d.request('POST', '/api/v1/domains', { name: 'a', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'b' });
    await d.request('PUT', '/api/v1/domains/a/sched', { cap: 10 });
    await d.request('POST', '/api/v1/domains/nobody/start'); // fails: no event
    await d.request('POST', '/api/v1/scheduling-domains/a/members', { domain: 'b' });

    const all = await d.request('GET', '/api/v1/events/history');
    assert.equal(all.status, 200);
    const items = all.body as Item[];
    assert.deepEqual(items.map((e) => e.type), ['domain.created', 'domain.started', 'domain.created', 'domain.sched', 'scheduling-domain.created', 'scheduling-domain.member-added']);
    assert.deepEqual(items.map(seqOf), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(items[3]!.data, { at_ns: 0, domain: 1, name: 'a', weight: 256, cap: 10, version: items[3]!.data['version'] });
    // The same events the stream replays from its start, field for field.
    const replay = await openStream(d.app, '/api/v1/events', { headers: { 'last-event-id': `${d.control.events.boot}-0` } });
    assert.deepEqual((await replay.take(6)).map((e) => ({ id: e.id, type: e.event, data: e.data })), items);
    replay.close();

    assert.deepEqual((await d.request('GET', '/api/v1/events/history?types=domain.created')).body.map((e: Item) => e.data['name']), ['a', 'b']);
    assert.deepEqual((await d.request('GET', '/api/v1/events/history?domain=b')).body.map((e: Item) => e.type), ['domain.created', 'scheduling-domain.member-added'], 'b as the domain, then as a member');

    const first = await d.request('GET', '/api/v1/events/history?limit=2&types=domain.*');
    assert.deepEqual(first.body.items, items.slice(0, 2));
    assert.equal(first.headers['link'], `</api/v1/events/history?limit=2&types=domain.*&cursor=${first.body.next as string}>; rel="next"`);
    const second = await d.request('GET', `/api/v1/events/history?limit=2&types=domain.*&cursor=${first.body.next as string}`);
    assert.deepEqual(second.body, { items: items.slice(2, 4), next: null }, 'the last page says so');
    assert.equal(second.headers['link'], undefined);

    for (const query of ['limit=0', 'limit=1001', 'cursor=abc', `cursor=${encodeCursor(3)}`, `cursor=${encodeEventCursor('abc-007')}`, 'types=nothing', 'usage_ms=1000']) {
      const refused = await d.request('GET', `/api/v1/events/history?${query}`);
      assert.deepEqual([refused.status, refused.body.code], [400, 'INVALID_ARGUMENT'], query);
    }
    assert.deepEqual([(await d.request('GET', '/api/v1/events/history?domain=nobody')).body.code], ['NO_SUCH_DOMAIN']);

    // Read the history, then go on live from its last id: the stream starts right after it.
    const live = await openStream(d.app, '/api/v1/events', { headers: { 'last-event-id': items.at(-1)!.id } });
    await d.request('POST', '/api/v1/domains/b/start');
    assert.deepEqual((await live.take(1)).map((e) => [e.event, e.id]), [['domain.started', `${d.control.events.boot}-7`]]);
    live.close();
  });

  it('a walk sees every event after its cursor exactly once, in order, new ones included; a cursor whose events are no longer kept is 410 EVENTS_LOST', async (t) => {
    const d = await build(t, { pcpus: 2 });
    let made = 0;
    const make = (count: number): void => {
      for (let i = 0; i < count; i++) d.control.domains.create({ name: `d${made++}` });
    };
    make(300);
    const seen: number[] = [];
    let cursor: string | null = null;
    let firstCursor: string | undefined;
    do {
      const page: { status: number; body: Page } = await d.request('GET', `/api/v1/events/history?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`);
      assert.equal(page.status, 200);
      seen.push(...page.body.items.map(seqOf));
      cursor = page.body.next;
      firstCursor ??= cursor ?? undefined;
      if (made < 600) make(60); // events keep coming during the walk
    } while (cursor !== null);
    assert.deepEqual(seen, Array.from({ length: 600 }, (_, i) => i + 1), 'each event once, in order, up to the last made before the last page');

    // The ring drops the oldest: a cursor that events after it were dropped from is refused, not answered with a gap.
    make(EVENT_HISTORY);
    const lost = await d.request('GET', `/api/v1/events/history?limit=100&cursor=${firstCursor!}`);
    assert.deepEqual([lost.status, lost.body.code, lost.body.field], [410, 'EVENTS_LOST', 'cursor']);
    assert.match(lost.body.message, /no longer kept \(the last 1024 are\).*start again without a cursor/);
    // Without a cursor: the kept ones, the oldest first; a cursor just before the oldest kept still answers.
    const kept = (await d.request('GET', '/api/v1/events/history')).body as Item[];
    assert.deepEqual([kept.length, seqOf(kept[0]!), seqOf(kept.at(-1)!)], [EVENT_HISTORY, 600 + 1, 600 + EVENT_HISTORY]);
    const edge = await d.request('GET', `/api/v1/events/history?limit=1&cursor=${encodeEventCursor(`${d.control.events.boot}-600`)}`);
    assert.deepEqual([edge.status, edge.body.items.map(seqOf)], [200, [601]]);
    const older = await d.request('GET', `/api/v1/events/history?limit=1&cursor=${encodeEventCursor(`${d.control.events.boot}-599`)}`);
    assert.equal(older.status, 410);
    // A cursor from another life of the daemon (another boot id).
    const otherBoot = await d.request('GET', `/api/v1/events/history?cursor=${encodeEventCursor('0bad0000-3')}`);
    assert.deepEqual([otherBoot.status, otherBoot.body.code], [410, 'EVENTS_LOST']);
    assert.match(otherBoot.body.message, /before the daemon restarted/);
  });
});
