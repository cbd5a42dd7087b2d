/**
 * Cpupools (Xen's `xl cpupool-*`): Pool-0 holds every pCPU at start with the
 * boot scheduler; pools partition the pCPUs, each with its own policy; Xen's
 * rules refuse, with a typed reason, what would break that, and change nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CpupoolRefusal, Host, type DomctlOp } from '../../src/hypervisor/index.ts';
import { NS_PER_MS, NS_PER_S, assertNear, createDomain, measureShares, must, snapshot } from './helpers.ts';

/** A 4-pCPU credit host whose pCPUs 2 and 3 form pool 1, "fast", under credit2. */
function splitHost(): Host {
  const host = new Host({ pcpus: 4, seed: 1 });
  must(host, { op: 'cpupool_create', id: 1, name: 'fast', sched: 'credit2' });
  for (const pcpu of [2, 3]) {
    must(host, { op: 'cpupool_remove_pcpu', pool: 0, pcpu });
    must(host, { op: 'cpupool_add_pcpu', pool: 1, pcpu });
  }
  return host;
}

function refused(host: Host, op: DomctlOp, reason: CpupoolRefusal, field: string): void {
  const before = snapshot(host);
  const result = host.domctl(op);
  assert.ok(!result.ok, `${op.op} was allowed`);
  assert.equal(result.error.reason, reason, result.error.message);
  assert.equal(result.error.field, field);
  assert.equal(snapshot(host), before, `a refused ${op.op} changed the host`);
}

describe('cpupools', () => {
  it('Pool-0 holds every pCPU at start and runs the boot scheduler (credit by default, credit2 if asked)', () => {
    const credit = must(new Host({ pcpus: 4 }), { op: 'cpupool_list' });
    assert.deepEqual(credit.map(({ id, name, sched, pcpus, domains, runqueues }) => ({ id, name, sched, pcpus, domains, runqueues })), [
      { id: 0, name: 'Pool-0', sched: 'credit', pcpus: [0, 1, 2, 3], domains: [0], runqueues: null },
    ]);
    const credit2 = must(new Host({ pcpus: 4, sched: 'credit2' }), { op: 'cpupool_info', pool: 0 });
    assert.equal(credit2.sched, 'credit2');
    assert.deepEqual(credit2.runqueues, [[0, 1, 2, 3]]);
    assert.deepEqual(credit2.params, { ratelimit_us: 1000, inflight_credit: true, runqueue: 'socket' });
  });

  it('each pool schedules its own domains on its own pCPUs with its own policy', () => {
    const host = splitHost();
    for (const domid of [1, 2, 3, 4]) createDomain(host, domid);
    for (const domid of [5, 6, 7]) createDomain(host, domid, { pool: 1 });
    host.advanceTo(NS_PER_S);
    const shares = measureShares(host, [1, 2, 3, 4, 5, 6, 7], 10);
    // Pool-0: four hogs on pCPUs 0-1 (credit); "fast": three hogs on pCPUs 2-3 (credit2).
    for (let i = 0; i < 4; i++) assertNear(shares[i]!, 50, 1, `Pool-0 domain ${i + 1}`);
    // Three hogs on two pCPUs: one keeps changing pCPU and gains CSCHED2_MIGRATE_COMPENSATION (50 us) each time,
    // about 69 against 65.5 (with no compensation all three get 66.7), so 2.5 either way; the pool's two pCPUs stay full.
    for (let i = 4; i < 7; i++) assertNear(shares[i]!, 200 / 3, 2.5, `fast domain ${i + 1}`);
    assertNear(shares[4]! + shares[5]! + shares[6]!, 200, 0.01, 'the pool is work-conserving');
    const inspection = host.inspect();
    for (const domain of inspection.domains) {
      const pcpus = domain.pool === 0 ? [0, 1] : [2, 3];
      for (const vcpu of domain.vcpus) if (vcpu.online) assert.ok(pcpus.includes(vcpu.processor), `d${domain.domid}v${vcpu.id} on pCPU ${vcpu.processor}`);
    }
    assert.deepEqual(must(host, { op: 'cpupool_info', pool: 1 }).domains, [5, 6, 7]);
    assert.deepEqual(must(host, { op: 'topologyinfo' }), { sockets: 1, cores: 4, threads: 1, free_pcpus: [], credit2_runqueue: 'socket' });
  });

  it('cpupool-migrate moves a domain with its weight and cap; its vCPUs then run only on the new pool\'s pCPUs', () => {
    const host = splitHost();
    createDomain(host, 1, { vcpus: 2, weight: 512, cap: 150 });
    host.advanceTo(NS_PER_S);
    must(host, { op: 'cpupool_move_domain', domid: 1, pool: 1 });
    assert.deepEqual(must(host, { op: 'scheduler_op', domid: 1, cmd: 'getinfo' }), { weight: 512, cap: 150 });
    host.advanceTo(2 * NS_PER_S);
    const busyBefore = must(host, { op: 'getcpuinfo' }).map((p) => p.busy_ns);
    assertNear(measureShares(host, [1], 10)[0]!, 150, 1, 'capped at 150 under credit2');
    const busy = must(host, { op: 'getcpuinfo' }).map((p, i) => p.busy_ns - busyBefore[i]!);
    assert.equal(busy[0]! + busy[1]!, 0, 'Pool-0 pCPUs stay idle');
  });

  it('a pool\'s scheduler parameters are its own', () => {
    const host = splitHost();
    must(host, { op: 'cpupool_sched', pool: 1, cmd: 'putinfo', params: { ratelimit_us: 500 } });
    assert.deepEqual(must(host, { op: 'cpupool_sched', pool: 1, cmd: 'getinfo' }), { ratelimit_us: 500, inflight_credit: true, runqueue: 'socket' });
    assert.deepEqual(must(host, { op: 'sched_global', cmd: 'getinfo' }), { tslice_ms: 30, ratelimit_us: 1000, accounting: 'exact' });
    const bad = host.domctl({ op: 'cpupool_sched', pool: 1, cmd: 'putinfo', params: { tslice_ms: 5 } });
    assert.ok(!bad.ok);
    assert.equal(bad.error.field, 'tslice_ms');
  });

  it('a freed pCPU idles, and a pool given pCPUs again schedules on them', () => {
    const host = splitHost();
    createDomain(host, 1, { pool: 1 });
    createDomain(host, 2, { pool: 1 });
    must(host, { op: 'cpupool_remove_pcpu', pool: 1, pcpu: 3 });
    assert.deepEqual(must(host, { op: 'topologyinfo' }).free_pcpus, [3]);
    host.advanceTo(NS_PER_S);
    const [a, b] = measureShares(host, [1, 2], 5);
    assertNear(a! + b!, 100, 0.01, 'two hogs on the one pCPU left');
    assert.equal(must(host, { op: 'getcpuinfo' })[3]!.busy_ns, 0);
    must(host, { op: 'cpupool_add_pcpu', pool: 1, pcpu: 3 });
    host.advanceTo(host.now_ns + NS_PER_S);
    const [c, d] = measureShares(host, [1, 2], 5);
    assertNear(c!, 100, 0.01, 'a pCPU each again');
    assertNear(d!, 100, 0.01, 'a pCPU each again');
  });

  it('refuses what Xen refuses, with a typed reason, and changes nothing', () => {
    const host = splitHost();
    createDomain(host, 1, { pool: 1 });
    createDomain(host, 2);
    createDomain(host, 3);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 2, member: 3 });
    must(host, { op: 'cpupool_create', id: 2, name: 'empty', sched: 'credit' });
    refused(host, { op: 'cpupool_destroy', pool: 0 }, CpupoolRefusal.POOL0_PROTECTED, 'pool');
    refused(host, { op: 'cpupool_destroy', pool: 1 }, CpupoolRefusal.POOL_HAS_DOMAINS, 'pool');
    refused(host, { op: 'cpupool_destroy', pool: 9 }, CpupoolRefusal.NO_SUCH_POOL, 'pool');
    must(host, { op: 'cpupool_remove_pcpu', pool: 1, pcpu: 3 });
    refused(host, { op: 'cpupool_remove_pcpu', pool: 1, pcpu: 2 }, CpupoolRefusal.LAST_PCPU, 'pcpu');
    refused(host, { op: 'cpupool_remove_pcpu', pool: 1, pcpu: 0 }, CpupoolRefusal.PCPU_NOT_IN_POOL, 'pcpu');
    refused(host, { op: 'cpupool_add_pcpu', pool: 1, pcpu: 0 }, CpupoolRefusal.PCPU_NOT_FREE, 'pcpu');
    must(host, { op: 'cpupool_remove_pcpu', pool: 0, pcpu: 1 });
    refused(host, { op: 'cpupool_remove_pcpu', pool: 0, pcpu: 0 }, CpupoolRefusal.POOL0_PROTECTED, 'pcpu');
    refused(host, { op: 'cpupool_create', id: 3, name: 'fast', sched: 'credit' }, CpupoolRefusal.NAME_TAKEN, 'name');
    refused(host, { op: 'cpupool_create', id: 1, name: 'other', sched: 'credit' }, CpupoolRefusal.POOL_EXISTS, 'id');
    refused(host, { op: 'cpupool_move_domain', domid: 3, pool: 1 }, CpupoolRefusal.GROUPED_DOMAIN, 'domid');
    refused(host, { op: 'cpupool_move_domain', domid: 2, pool: 1 }, CpupoolRefusal.GROUPED_DOMAIN, 'domid');
    refused(host, { op: 'cpupool_move_domain', domid: 1, pool: 2 }, CpupoolRefusal.POOL_EMPTY, 'pool');
    refused(host, { op: 'createdomain', domid: 4, max_vcpus: 1, vcpus: 1, pool: 2 }, CpupoolRefusal.POOL_EMPTY, 'pool');
    refused(host, { op: 'schedgroup', cmd: 'add_member', master: 2, member: 1 }, CpupoolRefusal.MEMBER_POOL, 'member');
    // The empty pool goes; a freed pCPU can then found another.
    must(host, { op: 'cpupool_destroy', pool: 2 });
    must(host, { op: 'cpupool_add_pcpu', pool: 1, pcpu: 3 });
  });

  it('a plan checks pool operations against the pools as the earlier ones leave them', () => {
    const host = new Host({ pcpus: 2 });
    const plan = host.plan();
    assert.equal(plan.add({ op: 'cpupool_create', id: 5, name: 'p', sched: 'credit2' }), null);
    assert.equal(plan.add({ op: 'createdomain', domid: 1, max_vcpus: 1, vcpus: 1, pool: 5 })?.reason, CpupoolRefusal.POOL_EMPTY);
    assert.equal(plan.add({ op: 'cpupool_remove_pcpu', pool: 0, pcpu: 1 }), null);
    assert.equal(plan.add({ op: 'cpupool_add_pcpu', pool: 5, pcpu: 1 }), null);
    assert.equal(plan.add({ op: 'createdomain', domid: 1, max_vcpus: 1, vcpus: 1, pool: 5 }), null);
    assert.equal(plan.add({ op: 'cpupool_destroy', pool: 5 })?.reason, CpupoolRefusal.POOL_HAS_DOMAINS);
    host.apply(plan);
    assert.deepEqual(must(host, { op: 'cpupool_info', pool: 5 }).domains, [1]);
  });

  it('a scheduling domain under credit2 in a pool of a credit host: the 2007 demo holds', () => {
    const host = splitHost();
    createDomain(host, 1, { pool: 1, cap: 10 });
    createDomain(host, 2, { pool: 1 });
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    host.advanceTo(NS_PER_S);
    const [master, member] = measureShares(host, [1, 2], 20);
    assertNear(master! + member!, 10, 0.3, 'the group');
    assertNear(master!, 5, 0.5, 'master');
  });

  it('a snapshot of a host with pools of both policies runs on exactly as the host does', () => {
    const host = splitHost();
    createDomain(host, 1, { vcpus: 2, cap: 120 });
    createDomain(host, 2, { pool: 1, workload: { type: 'duty', run_ms: 2, sleep_ms: 3 } });
    createDomain(host, 3, { pool: 1, weight: 600 });
    host.advanceTo(NS_PER_S + 123);
    const copy = Host.fromSnapshot(host.snapshot());
    for (const h of [host, copy]) {
      must(h, { op: 'cpupool_move_domain', domid: 1, pool: 1 });
      h.advanceTo(3 * NS_PER_S);
    }
    assert.equal(copy.trace_hash, host.trace_hash);
    assert.deepEqual(copy.inspect(), host.inspect());
  });
});

describe('cpupools in a plan', () => {
  it('a domain the plan creates in a pool keeps the pool from being destroyed or losing its last pCPU', () => {
    const host = new Host({ pcpus: 2 });
    must(host, { op: 'cpupool_create', id: 1, name: 'p', sched: 'credit2' });
    must(host, { op: 'cpupool_remove_pcpu', pool: 0, pcpu: 1 });
    must(host, { op: 'cpupool_add_pcpu', pool: 1, pcpu: 1 });
    const plan = host.plan();
    assert.equal(plan.add({ op: 'createdomain', domid: 1, max_vcpus: 1, vcpus: 1, pool: 1 }), null);
    assert.equal(plan.add({ op: 'cpupool_destroy', pool: 1 })?.reason, CpupoolRefusal.POOL_HAS_DOMAINS);
    assert.equal(plan.add({ op: 'cpupool_remove_pcpu', pool: 1, pcpu: 1 })?.reason, CpupoolRefusal.LAST_PCPU);
    assert.equal(plan.add({ op: 'cpupool_move_domain', domid: 1, pool: 0 }), null);
    assert.equal(plan.add({ op: 'cpupool_remove_pcpu', pool: 1, pcpu: 1 }), null);
    assert.equal(plan.add({ op: 'cpupool_destroy', pool: 1 }), null);
    host.apply(plan);
    assert.deepEqual(must(host, { op: 'cpupool_list' }).map((p) => p.id), [0]);
    assert.deepEqual(must(host, { op: 'topologyinfo' }).free_pcpus, [1]);
  });
});

describe('cpupools: each credit2 pool has its own runqueue arrangement', () => {
  it('made with one, changed through its scheduler (a new instance over the new runqueues), others untouched', () => {
    const topology = { sockets: 2, cores: 2, threads: 1 };
    const host = new Host({ pcpus: 4, topology, sched: 'credit2', credit2_runqueue: 'all' });
    must(host, { op: 'cpupool_remove_pcpu', pool: 0, pcpu: 3 });
    must(host, { op: 'cpupool_remove_pcpu', pool: 0, pcpu: 2 });
    // Pool-0 (pCPUs 0, 1) keeps the host's arrangement; a new pool without one gets the host's too.
    assert.deepEqual(must(host, { op: 'cpupool_create', id: 1, name: 'plain', sched: 'credit2' }).params, { ratelimit_us: 1000, inflight_credit: true, runqueue: 'all' });
    must(host, { op: 'cpupool_destroy', pool: 1 });
    must(host, { op: 'cpupool_create', id: 1, name: 'percpu', sched: 'credit2', credit2_runqueue: 'cpu' });
    must(host, { op: 'cpupool_add_pcpu', pool: 1, pcpu: 2 });
    must(host, { op: 'cpupool_add_pcpu', pool: 1, pcpu: 3 });
    assert.deepEqual(must(host, { op: 'cpupool_info', pool: 1 }).runqueues, [[2], [3]]);
    assert.deepEqual(must(host, { op: 'cpupool_info', pool: 0 }).runqueues, [[0, 1]]);
    for (let domid = 1; domid <= 3; domid++) must(host, { op: 'createdomain', domid, max_vcpus: 1, vcpus: 1, pool: 1, workload: { type: 'cpu' } });
    host.advanceTo(200 * NS_PER_MS);
    // Arranged per socket, the pool's two pCPUs (socket 1) share one runqueue; its domains keep running there.
    assert.deepEqual(must(host, { op: 'cpupool_sched', pool: 1, cmd: 'putinfo', params: { runqueue: 'socket' } }), { ratelimit_us: 1000, inflight_credit: true, runqueue: 'socket' });
    assert.deepEqual(must(host, { op: 'cpupool_info', pool: 1 }).runqueues, [[2, 3]]);
    assert.deepEqual(must(host, { op: 'cpupool_info', pool: 0 }).runqueues, [[0, 1]]);
    const before = host.inspect().pcpus.map((p) => p.busy_ns);
    host.advanceTo(1200 * NS_PER_MS);
    const busy = host.inspect().pcpus.map((p, i) => p.busy_ns - before[i]!);
    assert.deepEqual([busy[2], busy[3]], [1000 * NS_PER_MS, 1000 * NS_PER_MS], 'three hogs keep both pCPUs of the pool busy');
    const refused = host.domctl({ op: 'cpupool_sched', pool: 1, cmd: 'putinfo', params: { runqueue: 'rack' as 'all' } });
    assert.ok(!refused.ok && refused.error.code === 'INVALID_ARGUMENT' && refused.error.message.includes('runqueue'));
    assert.deepEqual(must(host, { op: 'cpupool_info', pool: 1 }).runqueues, [[2, 3]]);
  });
});
