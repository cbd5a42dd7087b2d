/**
 * Cpupools through the API: Xen's rules as typed refusals that change
 * nothing, each pool running its own policy over its own pCPUs, domains
 * created in and moved between pools, and everything back after a restart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ControlEvent } from '../../src/control/index.ts';
import { build, startDaemon, tempDir, type TestDaemon } from '../helpers.ts';

const SECOND_NS = 1e9;

/** A refused request: its status and code, and that nothing a client can read changed. */
async function refused(d: TestDaemon, method: 'POST' | 'PUT' | 'DELETE', url: string, body: unknown, status: number, code: string, message: RegExp): Promise<void> {
  const before = JSON.stringify([(await d.request('GET', '/api/v1/cpupools')).body, (await d.request('GET', '/api/v1/domains')).body, (await d.request('GET', '/api/v1/host')).body.free_pcpus]);
  const res = await d.request(method, url, body);
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code);
  assert.match(res.body.message, message);
  const after = JSON.stringify([(await d.request('GET', '/api/v1/cpupools')).body, (await d.request('GET', '/api/v1/domains')).body, (await d.request('GET', '/api/v1/host')).body.free_pcpus]);
  assert.equal(after, before, `${method} ${url} changed something`);
}

/** Pool-0 gives up pCPUs 2 and 3; a credit2 pool "batch" takes them. */
async function withBatchPool(d: TestDaemon): Promise<void> {
  for (const pcpu of [2, 3]) assert.equal((await d.request('DELETE', `/api/v1/cpupools/Pool-0/pcpus/${pcpu}`)).status, 200);
  const made = await d.request('POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [3, 2] });
  assert.equal(made.status, 201, JSON.stringify(made.body));
}

describe('/api/v1/cpupools', () => {
  it('Pool-0 holds every pCPU at start, with the boot scheduler and Domain-0', async (t) => {
    const d = await build(t, { pcpus: 4 });
    const res = await d.request('GET', '/api/v1/cpupools');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, [{ id: 0, name: 'Pool-0', sched: 'credit', pcpus: [0, 1, 2, 3], domains: [{ id: 0, name: 'Domain-0' }], runqueues: null, profile: 'xen-4.x' }]);
    assert.deepEqual((await d.request('GET', '/api/v1/cpupools/0')).body, res.body[0]);
  });

  it('a pool takes free pCPUs only; removed ones become free; names are unique', async (t) => {
    const d = await build(t, { pcpus: 4 });
    const events: ControlEvent[] = [];
    d.control.events.subscribe((event) => events.push(event));
    await refused(d, 'POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [2] }, 409, 'PCPU_NOT_FREE', /pCPU 2 belongs to cpupool Pool-0/);
    await refused(d, 'POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [9] }, 400, 'BAD_AFFINITY', /pCPU 9 does not exist/);
    await refused(d, 'POST', '/api/v1/cpupools', { name: '42', sched: 'credit2' }, 400, 'INVALID_ARGUMENT', /name/);
    const removed = await d.request('DELETE', '/api/v1/cpupools/Pool-0/pcpus/2');
    assert.deepEqual([removed.status, removed.body.pcpus], [200, [0, 1, 3]]);
    assert.deepEqual((await d.request('GET', '/api/v1/host')).body.free_pcpus, [2]);
    const made = await d.request('POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [2] });
    assert.equal(made.status, 201);
    assert.equal(made.headers['location'], '/api/v1/cpupools/1');
    assert.deepEqual(made.body, { id: 1, name: 'batch', sched: 'credit2', pcpus: [2], domains: [], runqueues: [[2]], profile: 'xen-4.21' });
    await refused(d, 'POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit' }, 409, 'CPUPOOL_NAME_TAKEN', /a cpupool named batch exists \(id 1\)/);
    await refused(d, 'POST', '/api/v1/cpupools/batch/pcpus', { pcpu: 3 }, 409, 'PCPU_NOT_FREE', /pCPU 3 belongs to cpupool Pool-0/);
    await refused(d, 'DELETE', '/api/v1/cpupools/batch/pcpus/3', undefined, 409, 'PCPU_NOT_IN_CPUPOOL', /pCPU 3 is not in cpupool batch/);
    assert.deepEqual((await d.request('DELETE', '/api/v1/cpupools/Pool-0/pcpus/3')).body.pcpus, [0, 1]);
    const added = await d.request('POST', '/api/v1/cpupools/1/pcpus', { pcpu: 3 });
    assert.deepEqual(added.body.runqueues, [[2, 3]]);
    assert.deepEqual(events.map((e) => e.type), ['cpupool.pcpu-removed', 'cpupool.created', 'cpupool.pcpu-removed', 'cpupool.pcpu-added']);
    // `version`: the pool's after the change, the same number as the answer's ETag.
    assert.deepEqual(events[3]!.data, { cpupool: 1, name: 'batch', pcpus: [2, 3], pcpu: 3, version: Number(/^"([0-9]+)"$/.exec(String(added.headers['etag']))![1]) });
  });

  it("Xen's rules: Pool-0 is never destroyed and keeps a pCPU; a pool with domains stays; its last pCPU stays while domains live there", async (t) => {
    const d = await build(t, { pcpus: 4 });
    await withBatchPool(d);
    await refused(d, 'DELETE', '/api/v1/cpupools/0', undefined, 409, 'POOL0_PROTECTED', /Pool-0 cannot be destroyed/);
    for (const pcpu of [0]) assert.equal((await d.request('DELETE', `/api/v1/cpupools/Pool-0/pcpus/${pcpu}`)).status, 200);
    await refused(d, 'DELETE', '/api/v1/cpupools/Pool-0/pcpus/1', undefined, 409, 'POOL0_PROTECTED', /Pool-0 keeps at least one pCPU/);
    // A halted domain counts as much as a running one.
    assert.equal((await d.request('POST', '/api/v1/domains', { name: 'later', cpupool: 'batch' })).body.cpupool, 'batch');
    await refused(d, 'DELETE', '/api/v1/cpupools/batch', undefined, 409, 'CPUPOOL_HAS_DOMAINS', /cpupool batch still has domains \(later\)/);
    assert.equal((await d.request('DELETE', '/api/v1/cpupools/batch/pcpus/2')).status, 200);
    await refused(d, 'DELETE', '/api/v1/cpupools/batch/pcpus/3', undefined, 409, 'CPUPOOL_LAST_PCPU', /pCPU 3 is the last of cpupool batch, where later live/);
    assert.equal((await d.request('POST', '/api/v1/domains/later/start')).status, 200);
    await refused(d, 'DELETE', '/api/v1/cpupools/batch/pcpus/3', undefined, 409, 'CPUPOOL_LAST_PCPU', /pCPU 3 is the last of cpupool batch/);
    await refused(d, 'DELETE', '/api/v1/cpupools/nosuch', undefined, 404, 'NO_SUCH_CPUPOOL', /no cpupool has id or name "nosuch"/);
    await refused(d, 'POST', '/api/v1/domains', { name: 'x', cpupool: '7' }, 404, 'NO_SUCH_CPUPOOL', /"7"/);
    assert.equal((await d.request('DELETE', '/api/v1/domains/later', undefined)).status, 409);
    assert.equal((await d.request('POST', '/api/v1/domains/later/destroy')).status, 200);
    assert.equal((await d.request('DELETE', '/api/v1/domains/later')).status, 204);
    assert.equal((await d.request('DELETE', '/api/v1/cpupools/batch')).status, 204);
    assert.deepEqual((await d.request('GET', '/api/v1/host')).body.free_pcpus, [0, 2, 3]);
  });

  it('each pool runs its own policy on its own pCPUs: hogs share only their pool', async (t) => {
    const d = await build(t, { pcpus: 4 });
    await withBatchPool(d);
    // Pool-0 (credit, pCPUs 0-1, Domain-0 idle): one hog of 2 vCPUs has both. batch (credit2, pCPUs 2-3): three 1-vCPU hogs share 2 pCPUs.
    await d.request('POST', '/api/v1/domains', { name: 'big', vcpus: 2, start: true });
    for (const name of ['c1', 'c2', 'c3']) assert.equal((await d.request('POST', '/api/v1/domains', { name, cpupool: 'batch', start: true })).status, 201);
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 3000 });
    const before = new Map<string, number>(((await d.request('GET', '/api/v1/domains')).body as { name: string; cpu_time_ns: number }[]).map((x) => [x.name, x.cpu_time_ns]));
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 6000 });
    const domains = (await d.request('GET', '/api/v1/domains')).body as { name: string; cpu_time_ns: number; cpupool: string }[];
    const pct = (name: string) => (100 * (domains.find((x) => x.name === name)!.cpu_time_ns - before.get(name)!)) / (6 * SECOND_NS);
    assert.ok(Math.abs(pct('big') - 200) < 1, `big ${pct('big')}`);
    // 2 pCPUs over 3 equal vCPUs, work-conserving: 200 together, 66.7 each (credit2 evens out over its 10 ms resets, within 3 points in 6 s).
    assert.ok(Math.abs(pct('c1') + pct('c2') + pct('c3') - 200) < 1, `batch ${pct('c1') + pct('c2') + pct('c3')}`);
    for (const name of ['c1', 'c2', 'c3']) assert.ok(Math.abs(pct(name) - 200 / 3) < 3, `${name} ${pct(name)}`);
    assert.deepEqual(domains.map((x) => x.cpupool), ['Pool-0', 'Pool-0', 'batch', 'batch', 'batch']);
    const batch = (await d.request('GET', '/api/v1/cpupools/batch')).body;
    assert.deepEqual(batch.domains.map((x: { name: string }) => x.name), ['c1', 'c2', 'c3']);
  });

  it("the fairness report's expected shares follow each pool's policy and pCPUs", async (t) => {
    const d = await build(t, { pcpus: 4 });
    await withBatchPool(d);
    // Pool-0 (credit, pCPUs 0-1): a domain claims its weight, whatever its vCPUs: big (2 vCPUs) 100, solo 100.
    await d.request('POST', '/api/v1/domains', { name: 'big', vcpus: 2, start: true });
    await d.request('POST', '/api/v1/domains', { name: 'solo', start: true });
    // batch (credit2, pCPUs 2-3): every vCPU carries its domain's weight: two (2 vCPUs) 133.3, one 66.7.
    await d.request('POST', '/api/v1/domains', { name: 'two', vcpus: 2, cpupool: 'batch', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'one', cpupool: 'batch', start: true });
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 12000 });
    const res = await d.request('GET', '/api/v1/host/usage?window_ms=10000');
    assert.equal(res.status, 200);
    const row = (name: string) => (res.body.domains as { name: string; expected_pct: number; observed_pct: number }[]).find((x) => x.name === name)!;
    assert.deepEqual(['big', 'solo', 'two', 'one'].map((name) => row(name).expected_pct), [100, 100, 133.333, 66.667]);
    for (const name of ['big', 'solo', 'two', 'one']) assert.ok(Math.abs(row(name).observed_pct - row(name).expected_pct) < 3, `${name}: ${JSON.stringify(row(name))}`);
  });

  it("a pool's scheduler takes only its policy's parameters and profiles", async (t) => {
    const d = await build(t, { pcpus: 4 });
    await withBatchPool(d);
    const res = await d.request('GET', '/api/v1/cpupools/batch/scheduler');
    assert.deepEqual([res.status, res.body], [200, { name: 'credit2', profile: 'xen-4.21', ratelimit_us: 1000, inflight_credit: true, runqueue: 'socket' }]);
    await refused(d, 'PUT', '/api/v1/cpupools/batch/scheduler', { tslice_ms: 10 }, 400, 'INVALID_ARGUMENT', /tslice_ms: cpupool batch runs credit2, whose parameters are ratelimit_us, inflight_credit, runqueue/);
    await refused(d, 'PUT', '/api/v1/cpupools/batch/scheduler', { profile: 'xen-3.1' }, 400, 'INVALID_ARGUMENT', /profile: cpupool batch runs credit2, whose profiles are xen-4.21, xen-4.14/);
    const set = await d.request('PUT', '/api/v1/cpupools/batch/scheduler', { profile: 'xen-4.14' });
    assert.deepEqual(set.body, { name: 'credit2', profile: 'xen-4.14', ratelimit_us: 1000, inflight_credit: false, runqueue: 'socket' });
    const custom = await d.request('PUT', '/api/v1/cpupools/1/scheduler', { ratelimit_us: 500 });
    assert.deepEqual(custom.body, { name: 'credit2', profile: 'custom', ratelimit_us: 500, inflight_credit: false, runqueue: 'socket' });
    // Pool-0's stays credit's, and /scheduler is Pool-0's.
    assert.deepEqual((await d.request('GET', '/api/v1/cpupools/0/scheduler')).body, (await d.request('GET', '/api/v1/scheduler')).body);
    await refused(d, 'PUT', '/api/v1/scheduler', { inflight_credit: false }, 400, 'INVALID_ARGUMENT', /inflight_credit: cpupool Pool-0 runs credit/);
  });

  it('domains move between pools; a scheduling domain stays in one; Domain-0 stays in Pool-0', async (t) => {
    const d = await build(t, { pcpus: 4 });
    await withBatchPool(d);
    await d.request('POST', '/api/v1/domains', { name: 'm', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'w', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'far', cpupool: 'batch', start: true });
    const moved = await d.request('PUT', '/api/v1/domains/w/cpupool', { cpupool: 'batch' });
    assert.deepEqual([moved.status, moved.body.cpupool, moved.body.state], [200, 'batch', 'running']);
    assert.equal((await d.request('PUT', '/api/v1/domains/w/cpupool', { cpupool: '0' })).body.cpupool, 'Pool-0');
    await d.request('POST', '/api/v1/scheduling-domains', { master: 'm', members: [{ domain: 'w' }] });
    await refused(d, 'PUT', '/api/v1/domains/w/cpupool', { cpupool: 'batch' }, 409, 'GROUPED_DOMAIN', /w is a member of m's scheduling domain, which stays in one cpupool/);
    await refused(d, 'PUT', '/api/v1/domains/m/cpupool', { cpupool: 'batch' }, 409, 'GROUPED_DOMAIN', /m is the master of a scheduling domain/);
    await refused(d, 'POST', '/api/v1/scheduling-domains/m/members', { domain: 'far' }, 409, 'MEMBER_CPUPOOL', /far \(\d+\) lives in cpupool batch, its master m \(\d+\) in Pool-0/);
    await refused(d, 'PUT', '/api/v1/domains/Domain-0/cpupool', { cpupool: 'batch' }, 409, 'DOMAIN0_PROTECTED', /Domain-0 stays in Pool-0/);
    await refused(d, 'PUT', '/api/v1/domains/far/cpupool', { cpupool: 'none' }, 404, 'NO_SUCH_CPUPOOL', /"none"/);
  });

  it('under a credit2 boot, /scheduler is credit2\'s', async (t) => {
    const d = await build(t, { pcpus: 2, sched: 'credit2' });
    assert.deepEqual((await d.request('GET', '/api/v1/scheduler')).body, { name: 'credit2', profile: 'xen-4.21', ratelimit_us: 1000, inflight_credit: true, runqueue: 'socket' });
    assert.deepEqual((await d.request('PUT', '/api/v1/scheduler', { profile: 'xen-4.14' })).body.inflight_credit, false);
    assert.deepEqual((await d.request('GET', '/api/v1/cpupools/0')).body.runqueues, [[0, 1]]);
  });

  it('a credit2 pool is made with its own runqueue arrangement, which its scheduler shows and changes; a credit pool takes none', async (t) => {
    const d = await build(t, { pcpus: 4 });
    for (const pcpu of [2, 3]) await d.request('DELETE', `/api/v1/cpupools/Pool-0/pcpus/${pcpu}`);
    await refused(d, 'POST', '/api/v1/cpupools', { name: 'old', sched: 'credit', pcpus: [2], credit2_runqueue: 'cpu' }, 400, 'INVALID_ARGUMENT', /credit2_runqueue: applies to credit2 pools only/);
    const made = await d.request('POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [2, 3], credit2_runqueue: 'cpu' });
    assert.deepEqual([made.status, made.body.runqueues], [201, [[2], [3]]]);
    assert.equal((await d.request('GET', '/api/v1/cpupools/batch/scheduler')).body.runqueue, 'cpu');
    const changed = await d.request('PUT', '/api/v1/cpupools/batch/scheduler', { runqueue: 'all' });
    assert.deepEqual([changed.status, changed.body.runqueue, changed.body.profile], [200, 'all', 'xen-4.21']);
    assert.deepEqual((await d.request('GET', '/api/v1/cpupools/batch')).body.runqueues, [[2, 3]]);
    assert.equal((await d.request('GET', '/api/v1/host')).body.credit2_runqueue, 'socket');
  });

  it('a vCPU\'s view shows its policy\'s state: under credit2 its runqueue and, when capped, its budget', async (t) => {
    const d = await build(t, { pcpus: 4 });
    await withBatchPool(d);
    for (const [name, cpupool] of [['capped', 'batch'], ['free', 'batch'], ['old', 'Pool-0']] as const) {
      assert.equal((await d.request('POST', '/api/v1/domains', { name, cpupool, start: true })).status, 201);
    }
    assert.equal((await d.request('PUT', '/api/v1/domains/capped/sched', { cap: 50 })).status, 200);
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
    const runqueues: number[][] = (await d.request('GET', '/api/v1/cpupools/batch')).body.runqueues;
    const [capped] = (await d.request('GET', '/api/v1/domains/capped/vcpus')).body;
    assert.ok(runqueues[capped.runqueue]!.includes(capped.pcpu), `runqueue ${capped.runqueue} of ${JSON.stringify(runqueues)} holds pCPU ${capped.pcpu}`);
    // A cap of 50 hands out 5 ms a 10 ms period: what a vCPU holds is at most that, less what it burnt.
    assert.ok(Number.isInteger(capped.budget_ns) && capped.budget_ns <= 5_000_000, `budget ${capped.budget_ns}`);
    const [free] = (await d.request('GET', '/api/v1/domains/free/vcpus')).body;
    assert.deepEqual([typeof free.runqueue, free.budget_ns], ['number', null]);
    const [old] = (await d.request('GET', '/api/v1/domains/old/vcpus')).body;
    assert.deepEqual([old.runqueue, old.budget_ns, old.priority], [null, null, 'under']);
  });

  it('pools, their pCPUs, parameters and domains come back after a restart', async () => {
    const dir = tempDir();
    try {
      const first = await startDaemon({ dir, pcpus: 4 });
      await withBatchPool(first);
      await first.request('PUT', '/api/v1/cpupools/batch/scheduler', { profile: 'xen-4.14', runqueue: 'cpu' });
      await first.request('POST', '/api/v1/domains', { name: 'c1', cpupool: 'batch', start: true });
      await first.request('POST', '/api/v1/domains', { name: 'idle', cpupool: 'batch' });
      await first.request('DELETE', '/api/v1/cpupools/Pool-0/pcpus/1');
      const pools = (await first.request('GET', '/api/v1/cpupools')).body;
      const domains = (await first.request('GET', '/api/v1/domains')).body.map((x: { name: string; state: string; cpupool: string }) => [x.name, x.state, x.cpupool]);
      await first.close();
      const second = await startDaemon({ dir, pcpus: 4 });
      try {
        assert.deepEqual(second.control.restore.failed, []);
        assert.deepEqual((await second.request('GET', '/api/v1/cpupools')).body, pools);
        assert.deepEqual((await second.request('GET', '/api/v1/domains')).body.map((x: { name: string; state: string; cpupool: string }) => [x.name, x.state, x.cpupool]), domains);
        assert.deepEqual((await second.request('GET', '/api/v1/host')).body.free_pcpus, [1]);
        assert.equal((await second.request('GET', '/api/v1/cpupools/batch/scheduler')).body.profile, 'xen-4.14');
        assert.deepEqual((await second.request('GET', '/api/v1/cpupools/batch')).body.runqueues, [[2], [3]]);
      } finally {
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });
});
