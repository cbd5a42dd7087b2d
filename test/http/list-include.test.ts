/**
 * What a list adds on request (`include=version,total`) and the `cpupool`
 * filter: the extras a paged client such as the dashboard needs to show a
 * page, its count, and to send `If-Match` with the version it showed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';

const etagVersion = (etag: unknown): number => Number(/"([0-9]+)"/.exec(String(etag))?.[1]);

describe('lists: include=version,total and the cpupool filter', () => {
  it('include=version gives each domain the version of its ETag; include=total counts every match across pages', async (t) => {
    const d = await build(t, { pcpus: 4 });
    for (const name of ['web1', 'web2', 'db1', 'web3']) assert.equal((await d.request('POST', '/api/v1/domains', { name })).status, 201);
    assert.equal((await d.request('PUT', '/api/v1/domains/web2/sched', { weight: 512 })).status, 200);

    const page = await d.request('GET', '/api/v1/domains?limit=2&name=web&include=version,total');
    assert.equal(page.status, 200);
    assert.deepEqual(page.body.items.map((x: { name: string }) => x.name), ['web1', 'web2']);
    assert.equal(page.body.total, 3, 'web1, web2 and web3 match; db1 does not');
    for (const item of page.body.items) {
      assert.equal(item.version, etagVersion((await d.request('GET', `/api/v1/domains/${item.name}`)).headers['etag']), item.name);
    }
    assert.ok(page.body.items[1].version > page.body.items[0].version, 'the weight change gave web2 a later version');
    // The Link keeps include, so the next page has the same shape.
    assert.match(String(page.headers['link']), /include=version%2Ctotal/);
    const last = await d.request('GET', `/api/v1/domains?limit=2&name=web&include=total&cursor=${page.body.next}`);
    assert.deepEqual([last.body.items.map((x: { name: string }) => x.name), last.body.next, last.body.total], [['web3'], null, 3]);
    assert.equal(last.body.items[0].version, undefined, 'no version unless asked for');

    // Without limit: the bare array, with versions when asked.
    const all = await d.request('GET', '/api/v1/domains?include=version');
    assert.ok(Array.isArray(all.body));
    assert.deepEqual(all.body.map((x: { version: unknown }) => typeof x.version), Array(5).fill('number'));
    assert.equal((await d.request('GET', '/api/v1/domains?include=colour')).status, 400);

    const groups = await d.request('GET', '/api/v1/scheduling-domains?limit=10&include=version,total');
    assert.deepEqual([groups.body.items, groups.body.total], [[], 0]);
    assert.equal((await d.request('POST', '/api/v1/scheduling-domains', { master: 'web1', members: [{ domain: 'db1' }] })).status, 201);
    const group = (await d.request('GET', '/api/v1/scheduling-domains?include=version')).body[0];
    assert.equal(group.version, etagVersion((await d.request('GET', '/api/v1/scheduling-domains/web1')).headers['etag']));
  });

  it('cpupool filters domains by the pool they live in; moving one honours If-Match and its event carries the new version', async (t) => {
    const d = await build(t, { pcpus: 4 });
    for (const name of ['a', 'b', 'c']) assert.equal((await d.request('POST', '/api/v1/domains', { name })).status, 201);
    assert.equal((await d.request('DELETE', '/api/v1/cpupools/Pool-0/pcpus/3')).status, 200);
    assert.equal((await d.request('POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [3] })).status, 201);

    const events: { type: string; data: { version?: number } }[] = [];
    d.control.events.subscribe((event) => events.push(event as (typeof events)[number]));
    const seen = await d.request('GET', '/api/v1/domains/b');
    const stale = String(seen.headers['etag']);
    const moved = await d.request('PUT', '/api/v1/domains/b/cpupool', { cpupool: 'batch' }, { 'if-match': stale });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.cpupool, 'batch');
    const again = await d.request('PUT', '/api/v1/domains/b/cpupool', { cpupool: 'Pool-0' }, { 'if-match': stale });
    assert.deepEqual([again.status, again.body.code], [412, 'PRECONDITION_FAILED']);
    assert.equal((await d.request('GET', '/api/v1/domains/b')).body.cpupool, 'batch', 'the refused move changed nothing');

    const inBatch = await d.request('GET', '/api/v1/domains?cpupool=batch');
    assert.deepEqual(inBatch.body.map((x: { name: string }) => x.name), ['b']);
    const inPool0 = await d.request('GET', '/api/v1/domains?cpupool=0&limit=10&include=total');
    assert.deepEqual([inPool0.body.items.map((x: { name: string }) => x.name), inPool0.body.total], [['Domain-0', 'a', 'c'], 3]);
    const unknown = await d.request('GET', '/api/v1/domains?cpupool=nowhere');
    assert.deepEqual([unknown.status, unknown.body.code], [404, 'NO_SUCH_CPUPOOL']);

    const moves = events.filter((event) => event.type === 'domain.cpupool');
    assert.deepEqual(moves.map((event) => event.data.version), [etagVersion(moved.headers['etag'])]);
  });
});
