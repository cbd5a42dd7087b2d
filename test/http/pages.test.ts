import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';

interface Page {
  readonly items: { id: number; name: string; state: string }[];
  readonly next: string | null;
}

describe('pages and filters of lists', () => {
  it('without limit a list is the bare array it always was; with limit, pages with next and a Link header', async (t) => {
    const d = await build(t);
    for (const name of ['web1', 'web2', 'db1', 'web3']) await d.request('POST', '/api/v1/domains', { name, start: name !== 'web2' });
    const all = await d.request('GET', '/api/v1/domains');
    assert.ok(Array.isArray(all.body));
    assert.deepEqual(all.body.map((x: { name: string }) => x.name), ['Domain-0', 'web1', 'web2', 'db1', 'web3']);
    assert.equal(all.headers['link'], undefined);

    const first = await d.request('GET', '/api/v1/domains?limit=2&name=web');
    assert.deepEqual(first.body.items.map((x: { name: string }) => x.name), ['web1', 'web2']);
    assert.equal(typeof first.body.next, 'string');
    assert.equal(first.headers['link'], `</api/v1/domains?limit=2&name=web&cursor=${first.body.next}>; rel="next"`);
    const second = await d.request('GET', `/api/v1/domains?limit=2&name=web&cursor=${first.body.next}`);
    assert.deepEqual(second.body, { items: [all.body[4]], next: null }, 'the last page says so');
    assert.equal(second.headers['link'], undefined);

    assert.deepEqual((await d.request('GET', '/api/v1/domains?state=halted')).body.map((x: { name: string }) => x.name), ['web2'], 'filters without limit: the bare array');
    await d.request('POST', '/api/v1/scheduling-domains', { master: 'web1', members: [{ domain: 'db1' }] });
    assert.deepEqual((await d.request('GET', '/api/v1/domains?scheduling_domain=web1&state=running')).body.map((x: { name: string }) => x.name), ['web1', 'db1']);
    assert.equal((await d.request('GET', '/api/v1/domains?scheduling_domain=web2')).body.code, 'NO_SUCH_SCHEDULING_DOMAIN');
    assert.equal((await d.request('GET', '/api/v1/domains?scheduling_domain=nobody')).body.code, 'NO_SUCH_DOMAIN');
    for (const query of ['limit=0', 'limit=1001', 'limit=x', 'cursor=abc', 'cursor=YWZ0ZXI6LTE', 'state=gone', 'colour=red']) {
      const refused = await d.request('GET', `/api/v1/domains?${query}`);
      assert.deepEqual([refused.status, refused.body.code], [400, 'INVALID_ARGUMENT'], query);
    }

    const groups = await d.request('GET', '/api/v1/scheduling-domains?limit=1&active=true');
    assert.deepEqual(groups.body.items.map((g: { master: number }) => g.master), [1]);
    assert.equal(groups.body.next, null);
    assert.ok(Array.isArray((await d.request('GET', '/api/v1/scheduling-domains')).body));
  });

  it('cpupools page by id and filter by scheduler, with their versions and count when asked', async (t) => {
    const d = await build(t, { pcpus: 4 });
    for (const pcpu of [1, 2, 3]) await d.request('DELETE', `/api/v1/cpupools/Pool-0/pcpus/${pcpu}`);
    for (const [name, sched, pcpu] of [['a', 'credit2', 1], ['b', 'credit', 2], ['c', 'credit2', 3]] as const) {
      assert.equal((await d.request('POST', '/api/v1/cpupools', { name, sched, pcpus: [pcpu] })).status, 201);
    }
    assert.deepEqual((await d.request('GET', '/api/v1/cpupools')).body.map((p: { name: string }) => p.name), ['Pool-0', 'a', 'b', 'c'], 'without limit: the bare array');
    const first = await d.request('GET', '/api/v1/cpupools?limit=1&sched=credit2&include=version,total');
    assert.deepEqual([first.body.items.map((p: { name: string }) => p.name), first.body.total], [['a'], 2]);
    assert.equal(first.body.items[0].version, Number(String((await d.request('GET', '/api/v1/cpupools/a')).headers['etag']).replaceAll('"', '')));
    assert.equal(first.headers['link'], `</api/v1/cpupools?limit=1&sched=credit2&include=version%2Ctotal&cursor=${first.body.next}>; rel="next"`);
    const second = await d.request('GET', `/api/v1/cpupools?limit=1&sched=credit2&cursor=${first.body.next}`);
    assert.deepEqual([second.body.items.map((p: { name: string }) => p.name), second.body.next], [['c'], null]);
    for (const query of ['limit=0', 'sched=rtds', 'cursor=abc', 'name=a']) {
      const refused = await d.request('GET', `/api/v1/cpupools?${query}`);
      assert.deepEqual([refused.status, refused.body.code], [400, 'INVALID_ARGUMENT'], query);
    }
  });

  it('a paged walk over 10,000 domains sees each domain that exists throughout exactly once while domains are made and deleted', async (t) => {
    const d = await build(t);
    const COUNT = 10_000;
    for (let i = 0; i < COUNT; i++) d.control.domains.create({ name: `d${i}` });
    const before = new Set(d.control.domains.list().map((x) => x.id));
    const deleted = new Set<number>();
    const made = new Set<number>();
    const seen = new Map<number, number>();
    let url: string | null = '/api/v1/domains?limit=250';
    let pages = 0;
    let cursor: string | null = null;
    while (url !== null) {
      const page: { body: Page; headers: Record<string, unknown> } = await d.request('GET', url);
      for (const item of page.body.items) seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
      pages++;
      cursor = page.body.next;
      url = cursor === null ? null : `/api/v1/domains?limit=250&cursor=${cursor}`;
      assert.equal(page.headers['link'] === undefined, cursor === null);
      if (cursor === null) break;
      // Churn between pages: delete one domain behind the cursor and one ahead, make two.
      const ids = [...before].filter((id) => id !== 0 && !deleted.has(id));
      for (const victim of [ids[(pages * 37) % ids.length]!, ids[ids.length - 1 - ((pages * 53) % 500)]!]) {
        d.control.domains.remove(String(victim));
        deleted.add(victim);
      }
      for (let k = 0; k < 2; k++) made.add(d.control.domains.create({ name: `new${pages}-${k}` }).id);
    }
    assert.ok(pages >= COUNT / 250);
    assert.ok([...seen.values()].every((n) => n === 1), 'no domain twice');
    const throughout = [...before].filter((id) => !deleted.has(id));
    assert.equal(throughout.length, COUNT + 1 - deleted.size);
    assert.deepEqual(throughout.filter((id) => !seen.has(id)), [], 'every domain that existed throughout was seen');
    assert.deepEqual([...made].filter((id) => !seen.has(id)), [], 'domains made before the walk ended were seen too (domids only grow)');
    assert.ok([...deleted].some((id) => seen.has(id)) && [...deleted].some((id) => !seen.has(id)), 'deleted ones: seen before their deletion, not after');
  });
});
