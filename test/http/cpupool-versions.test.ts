/**
 * Cpupool versions: a pool's GET answers its ETag and 304 while it is
 * unchanged, and a change with If-Match naming a version the pool has left
 * answers 412 and changes nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ControlEvent } from '../../src/control/index.ts';
import { build, type TestDaemon } from '../helpers.ts';

const versionOf = (etag: unknown): number => {
  const match = /^"([0-9]+)"$/.exec(String(etag));
  assert.ok(match !== null, `a strong ETag of a version, got ${String(etag)}`);
  return Number(match[1]);
};

/** What a client can read of the pools and the host's free pCPUs. */
const snapshot = async (d: TestDaemon): Promise<string> =>
  JSON.stringify([(await d.request('GET', '/api/v1/cpupools')).body, (await d.request('GET', '/api/v1/host')).body.free_pcpus, (await d.request('GET', '/api/v1/cpupools/batch/scheduler')).body]);

/** Pool-0 gives up pCPUs 2 and 3; a credit2 pool "batch" takes pCPU 2. */
async function withBatchPool(d: TestDaemon): Promise<void> {
  for (const pcpu of [2, 3]) assert.equal((await d.request('DELETE', `/api/v1/cpupools/Pool-0/pcpus/${pcpu}`)).status, 200);
  assert.equal((await d.request('POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [2] })).status, 201);
}

describe('cpupool versions', () => {
  it('GET answers a strong ETag, 304 while the pool is unchanged, and a new ETag once a change or a domain moving in changes it', async (t) => {
    const d = await build(t, { pcpus: 4 });
    await withBatchPool(d);
    const first = await d.request('GET', '/api/v1/cpupools/batch');
    assert.equal(first.status, 200);
    const etag = String(first.headers['etag']);
    versionOf(etag);
    const byId = await d.request('GET', '/api/v1/cpupools/1', undefined, { 'if-none-match': etag });
    assert.equal(byId.status, 304);
    assert.equal(byId.body, undefined, 'a 304 has no body');
    assert.equal(byId.headers['etag'], etag);
    // A change elsewhere leaves it alone.
    assert.equal((await d.request('PUT', '/api/v1/cpupools/Pool-0/scheduler', { tslice_ms: 10 })).status, 200);
    assert.equal((await d.request('GET', '/api/v1/cpupools/batch', undefined, { 'if-none-match': etag })).status, 304);
    const added = await d.request('POST', '/api/v1/cpupools/batch/pcpus', { pcpu: 3 });
    assert.equal(added.status, 200);
    assert.ok(versionOf(added.headers['etag']) > versionOf(etag));
    const changed = await d.request('GET', '/api/v1/cpupools/batch', undefined, { 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.deepEqual(changed.body.pcpus, [2, 3]);
    assert.equal(changed.headers['etag'], added.headers['etag']);
    // Its domains are part of it: a domain created in it changes its version.
    assert.equal((await d.request('POST', '/api/v1/domains', { name: 'job', cpupool: 'batch' })).status, 201);
    const withDomain = await d.request('GET', '/api/v1/cpupools/batch', undefined, { 'if-none-match': String(added.headers['etag']) });
    assert.equal(withDomain.status, 200);
    assert.deepEqual(withDomain.body.domains, [{ id: 1, name: 'job' }]);
    assert.ok(versionOf(withDomain.headers['etag']) > versionOf(added.headers['etag']));
  });

  it('a change with a stale If-Match answers 412 naming the version now and changes nothing; the current one goes ahead', async (t) => {
    const d = await build(t, { pcpus: 4 });
    await withBatchPool(d);
    const stale = String((await d.request('GET', '/api/v1/cpupools/batch')).headers['etag']);
    const set = await d.request('PUT', '/api/v1/cpupools/batch/scheduler', { ratelimit_us: 500 }, { 'if-match': stale });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const now = String(set.headers['etag']);
    assert.ok(versionOf(now) > versionOf(stale));
    const events: ControlEvent[] = [];
    d.control.events.subscribe((event) => events.push(event));
    const before = await snapshot(d);
    const attempts: [method: 'POST' | 'PUT' | 'DELETE', url: string, body: unknown][] = [
      ['DELETE', '/api/v1/cpupools/batch', undefined],
      ['POST', '/api/v1/cpupools/batch/pcpus', { pcpu: 3 }],
      ['DELETE', '/api/v1/cpupools/batch/pcpus/2', undefined],
      ['PUT', '/api/v1/cpupools/batch/scheduler', { ratelimit_us: 1000 }],
    ];
    for (const [method, url, body] of attempts) {
      const res = await d.request(method, url, body, { 'if-match': stale });
      assert.equal(res.status, 412, `${method} ${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'PRECONDITION_FAILED');
      assert.match(res.body.message, new RegExp(`cpupool batch has changed since version ${versionOf(stale)}: it is at version ${versionOf(now)} now`));
    }
    assert.equal(await snapshot(d), before, 'a refused request changed something');
    assert.equal(events.length, 0, 'a refused request published an event');
    assert.equal((await d.request('GET', '/api/v1/cpupools/batch', undefined, { 'if-none-match': now })).status, 304);
    const added = await d.request('POST', '/api/v1/cpupools/batch/pcpus', { pcpu: 3 }, { 'if-match': now });
    assert.equal(added.status, 200);
    assert.deepEqual(events.map((e) => [e.type, e.data]), [['cpupool.pcpu-added', { cpupool: 1, name: 'batch', pcpus: [2, 3], pcpu: 3, version: versionOf(added.headers['etag']) }]]);
    const destroyed = await d.request('DELETE', '/api/v1/cpupools/batch', undefined, { 'if-match': String(added.headers['etag']) });
    assert.equal(destroyed.status, 204);
    const gone = await d.request('DELETE', '/api/v1/cpupools/batch', undefined, { 'if-match': '*' });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'NO_SUCH_CPUPOOL');
  });
});
