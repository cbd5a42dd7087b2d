import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, type TestDaemon } from '../helpers.ts';

async function make(d: TestDaemon, name: string, body: Record<string, unknown> = {}): Promise<number> {
  const created = await d.request('POST', '/api/v1/domains', { name, start: true, ...body });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id as number;
}

const near = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

describe('/api/v1/host/usage: the fairness report', () => {
  it('1 pCPU, weights 256:512: expected a third and two thirds, observed within 0.5 pt over 30 s', async (t) => {
    const d = await build(t, { pcpus: 1 });
    const a = await make(d, 'a');
    const b = await make(d, 'b');
    assert.equal((await d.request('PUT', '/api/v1/domains/b/sched', { weight: 512 })).status, 200);
    assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: 40_000 })).status, 200);
    const report = await d.request('GET', '/api/v1/host/usage?window_ms=30000');
    assert.equal(report.status, 200);
    // 40 s is a multiple of 30 ms less 10 ms: the window starts at the sample at or before 10 s (333 × 30 ms).
    assert.equal(report.body.window_ns, 40_000_000_000 - 333 * 30_000_000);
    const row = (id: number) => report.body.domains.find((r: { id: number }) => r.id === id);
    near(row(a).expected_pct, 33.333, 0.001, 'a expected');
    near(row(b).expected_pct, 66.667, 0.001, 'b expected');
    near(row(a).observed_pct, 100 / 3, 0.5, 'a observed');
    near(row(b).observed_pct, 200 / 3, 0.5, 'b observed');
    near(row(a).diff_pct, row(a).observed_pct - row(a).expected_pct, 0.002, 'diff');
    assert.equal(row(a).reason, null);
    assert.equal(row(0).expected_pct, 0);
    assert.equal(row(0).observed_pct, 0);
    assert.deepEqual(report.body.pcpus, [{ id: 0, busy_pct: 100 }]);
    assert.equal(report.body.busy_pct, 100);

    const one = await d.request('GET', '/api/v1/domains/b/usage?window_ms=30000');
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.domain, row(b));
    assert.equal(one.body.window_ns, report.body.window_ns);
  });

  it("the 2007 demo: a capped master and its member get 10 together, 5 each", async (t) => {
    const d = await build(t, { pcpus: 4 });
    const guest = await make(d, 'guest');
    const stub = await make(d, 'stubdom');
    assert.equal((await d.request('PUT', '/api/v1/domains/guest/sched', { cap: 10 })).status, 200);
    assert.equal((await d.request('POST', '/api/v1/scheduling-domains/guest/members', { domain: 'stubdom' })).status, 201);
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 60_000 });
    const group = await d.request('GET', '/api/v1/scheduling-domains/guest/usage?window_ms=30000');
    assert.equal(group.status, 200);
    const sd = group.body.scheduling_domain;
    assert.deepEqual([sd.master, sd.members, sd.active], [guest, [stub], true]);
    near(sd.expected_pct, 10, 0.001, 'group expected');
    near(sd.observed_pct, 10, 0.5, 'group observed');
    const [master, member] = group.body.domains;
    assert.deepEqual([master.id, member.id], [guest, stub]);
    near(master.expected_pct, 5, 0.001, 'master expected');
    near(member.expected_pct, 5, 0.001, 'member expected');
    near(master.observed_pct, 5, 0.5, 'master observed');
    near(member.observed_pct, 5, 0.5, 'member observed');
    const host = await d.request('GET', '/api/v1/host/usage?window_ms=30000');
    assert.deepEqual(host.body.scheduling_domains, [sd]);
  });

  it('says why observed and expected differ when it knows: a short window of a capped domain, sampled accounting', async (t) => {
    const d = await build(t, { pcpus: 1 });
    await make(d, 'capped');
    await d.request('PUT', '/api/v1/domains/capped/sched', { cap: 10 });
    // 45 ms in: the capped domain has run its first slice uncapped (credit starts at 0), far above 10.
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 45 });
    const early = (await d.request('GET', '/api/v1/domains/capped/usage?window_ms=45')).body.domain;
    assert.ok(early.diff_pct > 2, JSON.stringify(early));
    assert.equal(early.reason, 'capped');
    await d.request('PUT', '/api/v1/scheduler', { accounting: 'sampled' });
    assert.equal((await d.request('GET', '/api/v1/domains/capped/usage?window_ms=45')).body.domain.reason, 'sampled_accounting');
  });

  it('refuses a window longer than the history kept, naming the limit, and unknown domains or groups', async (t) => {
    const d = await build(t, { pcpus: 1 });
    const tooLong = await d.request('GET', '/api/v1/host/usage?window_ms=600001');
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.code, 'INVALID_ARGUMENT');
    assert.match(tooLong.body.message, /600000/);
    assert.match(tooLong.body.message, /window_ms/);
    assert.equal((await d.request('GET', '/api/v1/host/usage?window_ms=0')).status, 400);
    assert.equal((await d.request('GET', '/api/v1/domains/nobody/usage')).status, 404);
    await make(d, 'lone');
    const notMaster = await d.request('GET', '/api/v1/scheduling-domains/lone/usage');
    assert.equal(notMaster.status, 404);
    assert.equal(notMaster.body.code, 'NO_SUCH_SCHEDULING_DOMAIN');
    // Just after boot the default 1 s window covers what has run.
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 100 });
    const early = await d.request('GET', '/api/v1/host/usage');
    assert.equal(early.body.window_ns, 100_000_000);
  });
});

describe('/api/v1/host/usage names each domain\'s cpupool', () => {
  it('two pools: each row names its pool, and a domain moved to another pool is named by the new one', async (t) => {
    const d = await build(t, { pcpus: 4 });
    for (const pcpu of [2, 3]) assert.equal((await d.request('DELETE', `/api/v1/cpupools/Pool-0/pcpus/${pcpu}`)).status, 200);
    assert.equal((await d.request('POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [2, 3] })).status, 201);
    const web = await make(d, 'web');
    const job = await make(d, 'job', { cpupool: 'batch' });
    const idle = await make(d, 'idle', { start: false });
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 2000 });
    const poolOf = async (): Promise<Map<number, string>> => {
      const report = await d.request('GET', '/api/v1/host/usage?window_ms=1000');
      assert.equal(report.status, 200, JSON.stringify(report.body));
      return new Map((report.body.domains as { id: number; cpupool: string }[]).map((row) => [row.id, row.cpupool]));
    };
    assert.deepEqual([...(await poolOf())], [[0, 'Pool-0'], [web, 'Pool-0'], [job, 'batch'], [idle, 'Pool-0']]);
    assert.equal((await d.request('PUT', '/api/v1/domains/idle/cpupool', { cpupool: 'batch' })).status, 200);
    assert.deepEqual([...(await poolOf())], [[0, 'Pool-0'], [web, 'Pool-0'], [job, 'batch'], [idle, 'batch']]);
    const one = await d.request('GET', '/api/v1/domains/job/usage?window_ms=1000');
    assert.equal(one.body.domain.cpupool, 'batch');
  });
});

describe('/api/v1/host/usage per cpupool', () => {
  it('two pools under different schedulers and an empty one: each pool\'s capacity, expected and observed totals', async (t) => {
    // pCPU 0 stays in Pool-0 (credit): a (1 vCPU) and b (2 vCPUs) of equal weight, 50 and 50 (credit: by domain).
    // pCPUs 1 and 2 make batch (credit2): c (1 vCPU) and d (3 vCPUs) of equal weight claim 1 : 3 (credit2: by vCPU),
    // so 200 × 1/4 = 50 and 200 × 3/4 = 150. pCPU 3 makes spare (credit), with no domain.
    const d = await build(t, { pcpus: 4 });
    for (const pcpu of [1, 2, 3]) assert.equal((await d.request('DELETE', `/api/v1/cpupools/Pool-0/pcpus/${pcpu}`)).status, 200);
    assert.equal((await d.request('POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2', pcpus: [1, 2] })).status, 201);
    assert.equal((await d.request('POST', '/api/v1/cpupools', { name: 'spare', sched: 'credit', pcpus: [3] })).status, 201);
    const ids = {
      a: await make(d, 'a'),
      b: await make(d, 'b', { vcpus: 2 }),
      c: await make(d, 'c', { cpupool: 'batch' }),
      d: await make(d, 'd', { vcpus: 3, cpupool: 'batch' }),
    };
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 20_000 });
    const report = await d.request('GET', '/api/v1/host/usage?window_ms=15000');
    assert.equal(report.status, 200, JSON.stringify(report.body));
    type Pool = { id: number; name: string; sched: string; pcpus: number[]; capacity_pct: number; domains: number; observed_pct: number; expected_pct: number; diff_pct: number; busy_pct: number };
    const pools = report.body.cpupools as Pool[];
    assert.deepEqual(pools.map(({ id, name, sched, pcpus, capacity_pct, domains }) => ({ id, name, sched, pcpus, capacity_pct, domains })), [
      { id: 0, name: 'Pool-0', sched: 'credit', pcpus: [0], capacity_pct: 100, domains: 3 },
      { id: 1, name: 'batch', sched: 'credit2', pcpus: [1, 2], capacity_pct: 200, domains: 2 },
      { id: 2, name: 'spare', sched: 'credit', pcpus: [3], capacity_pct: 100, domains: 0 },
    ]);
    const row = (id: number) => (report.body.domains as { id: number; expected_pct: number; observed_pct: number }[]).find((r) => r.id === id)!;
    const want = { a: 50, b: 50, c: 50, d: 150 };
    for (const [name, pct] of Object.entries(want)) near(row(ids[name as keyof typeof ids]).expected_pct, pct, 0.001, `${name} expected`);
    const totals = [{ expected: 100, of: [ids.a, ids.b, 0] }, { expected: 200, of: [ids.c, ids.d] }, { expected: 0, of: [] }];
    totals.forEach(({ expected, of }, i) => {
      const pool = pools[i]!;
      near(pool.expected_pct, expected, 0.001, `${pool.name} expected`);
      near(pool.observed_pct, expected, 1, `${pool.name} observed`);
      near(pool.busy_pct, expected, 1, `${pool.name} busy`);
      near(pool.observed_pct, of.reduce((sum, id) => sum + row(id).observed_pct, 0), 0.01, `${pool.name}: the sum of its rows`);
      near(pool.diff_pct, pool.observed_pct - pool.expected_pct, 0.002, `${pool.name} diff`);
    });
    // The domain rows are as they were, each naming its pool.
    assert.deepEqual(Object.keys(report.body).sort(), ['busy_pct', 'cpupools', 'domains', 'now_ns', 'pcpus', 'scheduling_domains', 'threshold_pct', 'window_ns']);
  });
});
