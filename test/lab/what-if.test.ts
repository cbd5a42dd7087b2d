/**
 * POST /host/what-if: changes previewed on a copy, in a worker thread. The
 * copy is exact (the same trace_hash as doing the changes for real at the
 * same instant), the live host is untouched, a failing change reports its own
 * error and index, and the bounds answer 400, 413 and 429.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, type TestDaemon } from '../helpers.ts';

const NS_PER_MS = 1e6;

async function busyDaemon(t: Parameters<typeof build>[0]): Promise<TestDaemon> {
  const d = await build(t, { pcpus: 2 });
  for (const body of [
    { name: 'web', start: true, vcpus: 2 },
    { name: 'db', start: true },
    { name: 'stub', start: true, workload: { type: 'duty', run_ms: 2, sleep_ms: 3 } },
  ]) assert.equal((await d.request('POST', '/api/v1/domains', body)).status, 201);
  assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: 2345 })).status, 200);
  return d;
}

const CHANGES = [
  { method: 'PUT', path: '/domains/web/sched', body: { cap: 50 } },
  { method: 'POST', path: '/scheduling-domains/web/members', body: { domain: 'stub' } },
] as const;

async function cpuTimes(d: TestDaemon): Promise<Map<string, number>> {
  const domains = (await d.request('GET', '/api/v1/domains')).body as { name: string; cpu_time_ns: number }[];
  return new Map(domains.map((x) => [x.name, x.cpu_time_ns]));
}

describe('what-if', () => {
  it('predicts exactly what doing the changes for real at that instant does, and leaves the live host untouched', async (t) => {
    const d = await busyDaemon(t);
    const before = (await d.request('GET', '/api/v1/host')).body;
    const reply = await d.request('POST', '/api/v1/host/what-if', { ms: 4000, changes: CHANGES });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const after = (await d.request('GET', '/api/v1/host')).body;
    assert.equal(after.trace_hash, before.trace_hash);
    assert.equal(after.clock.now_ns, before.clock.now_ns);
    assert.equal((await d.request('GET', '/api/v1/domains/web/sched')).body.cap, 0);
    assert.equal(reply.body.from_ns, before.clock.now_ns);
    assert.equal(reply.body.window_ns, 4000 * NS_PER_MS);

    // Now for real, at the same instant, for as long.
    for (const change of CHANGES) assert.ok((await d.request(change.method, `/api/v1${change.path}`, change.body)).status < 300);
    const start = await cpuTimes(d);
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 4000 });
    const end = await cpuTimes(d);
    assert.equal((await d.request('GET', '/api/v1/host')).body.trace_hash, reply.body.trace_hash);
    for (const row of reply.body.domains as { name: string; predicted_pct: number }[]) {
      const real = ((end.get(row.name)! - start.get(row.name)!) / (4000 * NS_PER_MS)) * 100;
      assert.equal(row.predicted_pct, Math.round(real * 1000) / 1000, row.name);
    }
    // The group is held to web's cap of 50 (% of one pCPU); the model says so too.
    const group = reply.body.scheduling_domains.find((g: { master: number }) => g.master === 1);
    assert.ok(Math.abs(group.predicted_pct - 50) < 1, `group ${group.predicted_pct}`);
    assert.equal(group.expected_pct, 50);
    assert.equal(group.baseline_pct, null);
    const web = reply.body.domains.find((x: { name: string }) => x.name === 'web');
    assert.ok(web.baseline_pct > 70 && web.predicted_pct < 50, `web: baseline ${web.baseline_pct}, predicted ${web.predicted_pct}`);
  });

  it('is exact for every kind of change the API makes: power, vCPUs, pinning, scheduler, groups and shares, new and deleted domains, clock advances', async (t) => {
    const d = await busyDaemon(t);
    await d.request('POST', '/api/v1/domains', { name: 'spare' });
    const changes = [
      { method: 'PUT', path: '/scheduler', body: { tslice_ms: 10, ratelimit_us: 500 } },
      { method: 'PUT', path: '/domains/web/vcpus', body: { online: 1 } },
      { method: 'PUT', path: '/domains/db/vcpus/0/affinity', body: { pcpus: [1] } },
      { method: 'POST', path: '/scheduling-domains', body: { master: 'db', members: [{ domain: 'stub' }] } },
      { method: 'PUT', path: '/scheduling-domains/db/members/stub', body: { share: 768 } },
      { method: 'POST', path: '/host/clock/advance', body: { ms: 250 } },
      { method: 'POST', path: '/domains/web/pause' },
      { method: 'DELETE', path: '/domains/spare' },
      { method: 'POST', path: '/domains', body: { name: 'late', start: true, workload: { type: 'duty', run_ms: 1, sleep_ms: 1 } } },
      { method: 'PATCH', path: '/domains/late', body: { name: 'later' } },
    ] as const;
    const reply = await d.request('POST', '/api/v1/host/what-if', { ms: 3000, changes });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    for (const change of changes) {
      const real = await d.request(change.method, `/api/v1${change.path}`, 'body' in change ? change.body : undefined);
      assert.ok(real.status < 300, `${change.method} ${change.path}: ${JSON.stringify(real.body)}`);
    }
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 3000 });
    assert.equal((await d.request('GET', '/api/v1/host')).body.trace_hash, reply.body.trace_hash);
    const names = reply.body.domains.map((x: { name: string; predicted_pct: number | null; baseline_pct: number | null }) => [x.name, x.predicted_pct === null, x.baseline_pct === null]);
    assert.deepEqual(names, [['Domain-0', false, false], ['web', false, false], ['db', false, false], ['stub', false, false], ['spare', true, false], ['later', false, true]]);
    assert.deepEqual(reply.body.scheduling_domains.map((g: { master: number; baseline_pct: number | null }) => [g.master, g.baseline_pct]), [[2, null]]);
  });

  it('with no changes, predicts the baseline: same shares and the same trace hash', async (t) => {
    const d = await busyDaemon(t);
    const reply = await d.request('POST', '/api/v1/host/what-if', { ms: 1000, changes: [] });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.trace_hash, reply.body.baseline_trace_hash);
    for (const row of reply.body.domains) assert.equal(row.predicted_pct, row.baseline_pct);
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
    assert.equal((await d.request('GET', '/api/v1/host')).body.trace_hash, reply.body.trace_hash);
  });

  it('a change that fails fails the what-if with its own error and its index, and nothing changes', async (t) => {
    const d = await busyDaemon(t);
    const before = (await d.request('GET', '/api/v1/host')).body.trace_hash;
    const reply = await d.request('POST', '/api/v1/host/what-if', {
      ms: 1000,
      changes: [CHANGES[0], { method: 'PUT', path: '/domains/nosuch/sched', body: { cap: 5 } }],
    });
    assert.equal(reply.status, 404);
    assert.equal(reply.body.code, 'NO_SUCH_DOMAIN');
    assert.equal(reply.body.change_index, 1);
    assert.match(reply.body.message, /^changes\[1\] \(PUT \/domains\/nosuch\/sched\): no domain has domid or name "nosuch"/);
    const invalid = await d.request('POST', '/api/v1/host/what-if', { ms: 1000, changes: [{ method: 'PUT', path: '/domains/web/sched', body: { cap: -1 } }] });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.code, 'INVALID_ARGUMENT');
    assert.equal(invalid.body.change_index, 0);
    assert.equal(invalid.body.field, 'cap');
    assert.equal((await d.request('GET', '/api/v1/host')).body.trace_hash, before);
    assert.equal((await d.request('GET', '/api/v1/domains/web/sched')).body.cap, 0);
  });

  it('bounds: ms in 1..600000 (400), the simulation size (413 naming the limit), one at a time per client (429 with Retry-After)', async (t) => {
    const d = await build(t, { pcpus: 1 });
    for (const ms of [0, 600001]) {
      const reply = await d.request('POST', '/api/v1/host/what-if', { ms, changes: [] });
      assert.equal(reply.status, 400);
      assert.equal(reply.body.field, 'ms');
    }
    // Counted on the copy once changed: domains the changes create count too.
    const creates = Array.from({ length: 4 }, (_, i) => ({ method: 'POST', path: '/domains', body: { name: `big${i}`, vcpus: 128, start: true } }));
    const grown = await d.request('POST', '/api/v1/host/what-if', { ms: 600000, changes: creates });
    assert.equal(grown.status, 413);
    assert.equal(grown.body.code, 'WHAT_IF_TOO_LARGE');
    assert.equal(grown.body.change_index, undefined);
    assert.match(grown.body.message, /513 vCPUs for 600000 ms/);
    assert.equal((await d.request('GET', '/api/v1/domains')).body.length, 1);
    for (let i = 0; i < 4; i++) assert.equal((await d.request('POST', '/api/v1/domains', { name: `big${i}`, vcpus: 128, start: true })).status, 201);
    // Advances among the changes count with the look-ahead.
    const advancing = await d.request('POST', '/api/v1/host/what-if', { ms: 1, changes: [{ method: 'POST', path: '/host/clock/advance', body: { ms: 600000 } }] });
    assert.equal(advancing.status, 413);
    assert.match(advancing.body.message, /513 vCPUs for 600001 ms/);
    const large = await d.request('POST', '/api/v1/host/what-if', { ms: 600000, changes: [] });
    assert.equal(large.status, 413);
    assert.equal(large.body.code, 'WHAT_IF_TOO_LARGE');
    assert.match(large.body.message, /at most 600000000 vCPU-ms/);
    const [first, second] = await Promise.all([
      d.request('POST', '/api/v1/host/what-if', { ms: 100, changes: [] }),
      d.request('POST', '/api/v1/host/what-if', { ms: 100, changes: [] }),
    ]);
    assert.equal(first.status, 200);
    assert.equal(second.status, 429);
    assert.equal(second.body.code, 'WHAT_IF_BUSY');
    assert.equal(second.headers['retry-after'], '1');
  });
});
