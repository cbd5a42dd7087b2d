/**
 * credit2 against the facts read from Xen's credit2.c (the reference's sections
 * 3-11): each test names its rule, and its expected figures are worked out from
 * the rule, not read off the simulation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Host, policyProfileOf, type Credit2Params, type SchedTrace, type Topology, type TraceEvent } from '../../src/hypervisor/index.ts';
import { toChromeTrace } from '../../src/lab/trace-format.ts';
import { CARRYOVER_MAX_NS, CREDIT_INIT_NS, CREDIT2_PROFILES } from '../../src/hypervisor/sched/credit2.ts';
import { NS_PER_MS, NS_PER_S, assertNear, createDomain, measureShares, must } from './helpers.ts';

export function credit2Host(pcpus: number, options: { topology?: Topology; profile?: keyof typeof CREDIT2_PROFILES } = {}): Host {
  const host = new Host({ pcpus, seed: 1, sched: 'credit2', ...(options.topology === undefined ? {} : { topology: options.topology }) });
  if (options.profile !== undefined) must(host, { op: 'sched_global', cmd: 'putinfo', params: CREDIT2_PROFILES[options.profile] });
  return host;
}

const credit = (host: Host, domid: number): number => must(host, { op: 'getvcpuinfo', domid })[0]!.credit;

function traceOf(host: Host, window_ms: number): SchedTrace {
  const recorder = host.startTrace(window_ms * NS_PER_MS, 1_000_000);
  host.advanceTo(host.now_ns + window_ms * NS_PER_MS);
  return recorder.finish();
}

/** The ns between consecutive context switches on `pcpu`. */
function switchIntervals(trace: SchedTrace, pcpu: number): number[] {
  const times = trace.events.flatMap((e) => (e.kind === 'switch' && e.pcpu === pcpu ? [e.t_ns] : []));
  return times.slice(1).map((t, i) => t - times[i]!);
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('credit2: credit and the reset rule (reset_credit(), burn_credits())', () => {
  it('a vCPU asleep across resets climbs to CREDIT_INIT + CARRYOVER_MAX (10.5 ms) and no higher', () => {
    const host = credit2Host(1);
    createDomain(host, 1);
    createDomain(host, 2, { workload: { type: 'idle' } });
    host.advanceTo(100 * NS_PER_MS);
    // It started at 10 ms; the hog's first reset adds 10 ms, clipped at 10.5 ms, and so do the next ones.
    assert.equal(credit(host, 2), CREDIT_INIT_NS + CARRYOVER_MAX_NS);
  });

  it('a lone hog that ran its credit down to 0 gets min(0 + 10 ms, 10.5 ms) = 10 ms at the reset', () => {
    const host = credit2Host(1);
    createDomain(host, 1);
    // Its first run: 10 ms of credit at max_weight = weight lasts 10 ms; the pick at 10 ms resets it.
    host.advanceTo(10 * NS_PER_MS);
    assert.equal(credit(host, 1), CREDIT_INIT_NS);
  });

  it('burns max_weight/weight per ns: resets every 10 ms alone, every 5 ms beside a sleeping weight-512 vCPU', () => {
    const resets = (withHeavySleeper: boolean): number[] => {
      const host = credit2Host(1);
      createDomain(host, 1);
      if (withHeavySleeper) createDomain(host, 2, { weight: 512, workload: { type: 'idle' } });
      host.advanceTo(50 * NS_PER_MS);
      const trace = traceOf(host, 100);
      return trace.events.flatMap((e) => (e.kind === 'ledger' && e.vcpu.domid === 1 ? [e.t_ns] : []));
    };
    const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - times[i]!);
    assert.deepEqual(new Set(gaps(resets(false))), new Set([10 * NS_PER_MS]));
    assert.deepEqual(new Set(gaps(resets(true))), new Set([5 * NS_PER_MS]));
  });

  it('two weights on one pCPU: 256 vs 512 gives 33.3 / 66.7', () => {
    const host = credit2Host(1);
    createDomain(host, 1, { weight: 256 });
    createDomain(host, 2, { weight: 512 });
    host.advanceTo(NS_PER_S);
    const [a, b] = measureShares(host, [1, 2], 10);
    assertNear(a!, 100 / 3, 0.3, 'weight 256');
    assertNear(b!, 200 / 3, 0.3, 'weight 512');
  });
});

describe('credit2: the ratelimit and csched2_runtime()', () => {
  it('xen-4.21: two equal hogs on one pCPU leapfrog in 1 ms slices (the descheduled vCPU\'s credit counts)', () => {
    const host = credit2Host(1, { profile: 'xen-4.21' });
    createDomain(host, 1);
    createDomain(host, 2);
    host.advanceTo(NS_PER_S);
    assert.equal(median(switchIntervals(traceOf(host, 200), 0)), NS_PER_MS);
  });

  it('xen-4.14: the same two hogs switch about every 10 ms (runtime ignores the one just descheduled)', () => {
    const host = credit2Host(1, { profile: 'xen-4.14' });
    createDomain(host, 1);
    createDomain(host, 2);
    host.advanceTo(NS_PER_S);
    const slice = median(switchIntervals(traceOf(host, 500), 0));
    assert.ok(slice >= 8 * NS_PER_MS && slice <= 10 * NS_PER_MS, `median slice ${slice} ns`);
  });

  it('a waking duty domain beside two hogs waits at most the ratelimit (there is no BOOST)', () => {
    const host = credit2Host(1);
    createDomain(host, 1, { workload: { type: 'duty', run_ms: 1, sleep_ms: 9 } });
    createDomain(host, 2);
    createDomain(host, 3);
    host.advanceTo(20 * NS_PER_S);
    const latency = must(host, { op: 'getvcpuinfo', domid: 1 })[0]!.wake_latency;
    assert.ok(latency.count > 1000, `${latency.count} wakes`);
    assert.ok(latency.max_ns <= NS_PER_MS, `max wake latency ${latency.max_ns} ns`);
    assert.ok(latency.mean_ns > 0, 'some wakes do wait for the ratelimit');
  });

  it('profiles: a credit2 pool starts on xen-4.21; xen-4.14 is the same without the inflight credit', () => {
    const host = credit2Host(1);
    assert.equal(policyProfileOf('credit2', must(host, { op: 'sched_global', cmd: 'getinfo' })), 'xen-4.21');
    must(host, { op: 'sched_global', cmd: 'putinfo', params: { inflight_credit: false } });
    assert.equal(policyProfileOf('credit2', must(host, { op: 'sched_global', cmd: 'getinfo' })), 'xen-4.14');
    must(host, { op: 'sched_global', cmd: 'putinfo', params: { ratelimit_us: 2000 } });
    assert.equal(policyProfileOf('credit2', must(host, { op: 'sched_global', cmd: 'getinfo' })), 'custom');
  });

  it('refuses a ratelimit between 0 and 100 us and a credit parameter, and changes nothing', () => {
    const host = credit2Host(1);
    const before = must(host, { op: 'sched_global', cmd: 'getinfo' });
    for (const params of [{ ratelimit_us: 50 }, { tslice_ms: 30 }] as const) {
      const result = host.domctl({ op: 'sched_global', cmd: 'putinfo', params });
      assert.ok(!result.ok);
      assert.equal(result.error.code, 'INVALID_ARGUMENT');
    }
    assert.deepEqual(must(host, { op: 'sched_global', cmd: 'getinfo' }), before);
    const params: Credit2Params = { ratelimit_us: 0, inflight_credit: false, runqueue: 'socket' };
    assert.deepEqual(must(host, { op: 'sched_global', cmd: 'putinfo', params }), params);
  });
});

describe('credit2: caps (budget pool, grab, return, replenishment, parking)', () => {
  it('a cap of 10 alone gives 10 %', () => {
    const host = credit2Host(1);
    createDomain(host, 1, { cap: 10 });
    host.advanceTo(NS_PER_S);
    assertNear(measureShares(host, [1], 10)[0]!, 10, 0.2, 'cap 10');
  });

  it('a cap of 50 on a 2-vCPU domain on two pCPUs gives 50 in all', () => {
    const host = credit2Host(2);
    createDomain(host, 1, { vcpus: 2, cap: 50 });
    host.advanceTo(NS_PER_S);
    assertNear(measureShares(host, [1], 10)[0]!, 50, 0.5, 'cap 50 on 2 vCPUs');
  });

  it('under contention: cap 10 beside an uncapped hog gives 10 / 90', () => {
    const host = credit2Host(1);
    createDomain(host, 1, { cap: 10 });
    createDomain(host, 2);
    host.advanceTo(NS_PER_S);
    const [capped, free] = measureShares(host, [1, 2], 10);
    assertNear(capped!, 10, 0.3, 'capped');
    assertNear(free!, 90, 0.3, 'uncapped');
  });

  it('turning the cap off unparks and lets it use the whole pCPU again', () => {
    const host = credit2Host(1);
    createDomain(host, 1, { cap: 20 });
    host.advanceTo(NS_PER_S);
    must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: 0, cap: 0 });
    assertNear(measureShares(host, [1], 2)[0]!, 100, 0.01, 'uncapped');
  });
});

describe('credit2: several pCPUs, runqueues and affinity', () => {
  it('weights 1:1:2:4 on two pCPUs give 25 / 25 / 50 / 100', () => {
    const host = credit2Host(2);
    [256, 256, 512, 1024].forEach((weight, i) => createDomain(host, i + 1, { weight }));
    host.advanceTo(NS_PER_S);
    const shares = measureShares(host, [1, 2, 3, 4], 10);
    [25, 25, 50, 100].forEach((expected, i) => assertNear(shares[i]!, expected, 0.5, `domain ${i + 1}`));
  });

  it('pinning: three hogs pinned to pCPU 0 share it, a fourth pinned to pCPU 1 has it alone', () => {
    const host = credit2Host(2);
    for (let domid = 1; domid <= 3; domid++) createDomain(host, domid, { affinity: [[0]] });
    createDomain(host, 4, { affinity: [[1]] });
    host.advanceTo(NS_PER_S);
    const shares = measureShares(host, [1, 2, 3, 4], 10);
    for (let i = 0; i < 3; i++) assertNear(shares[i]!, 100 / 3, 0.5, `pinned to pCPU 0: domain ${i + 1}`);
    assertNear(shares[3]!, 100, 0.01, 'alone on pCPU 1');
    for (const domid of [1, 2, 3]) assert.equal(must(host, { op: 'getvcpuinfo', domid })[0]!.pcpu, 0);
  });

  it('work conservation on 4 pCPUs: 6 hogs share the 4 pCPUs, 66.7 each, none idle', () => {
    const host = credit2Host(4);
    for (let domid = 1; domid <= 6; domid++) createDomain(host, domid);
    host.advanceTo(NS_PER_S);
    const shares = measureShares(host, [1, 2, 3, 4, 5, 6], 10);
    shares.forEach((share, i) => assertNear(share, 400 / 6, 1, `domain ${i + 1}`));
    assertNear(shares.reduce((a, b) => a + b, 0), 400, 0.01, 'all four pCPUs busy');
  });

  it('two runqueues (2 sockets × 2 cores): balance_load() spreads 6 hogs started on one socket to 66.7 each', () => {
    const host = credit2Host(4, { topology: { sockets: 2, cores: 2, threads: 1 } });
    const runqueues = (host.inspect().dump as { runqueues: { pcpus: number[] }[] }).runqueues.map((r) => r.pcpus);
    assert.deepEqual(runqueues, [[0, 1], [2, 3]]);
    for (let domid = 1; domid <= 6; domid++) createDomain(host, domid, { affinity: [[0, 1]] });
    for (let domid = 1; domid <= 6; domid++) must(host, { op: 'setvcpuaffinity', domid, vcpu: 0, pcpus: 'all' });
    host.advanceTo(5 * NS_PER_S);
    const shares = measureShares(host, [1, 2, 3, 4, 5, 6], 20);
    shares.forEach((share, i) => assertNear(share, 400 / 6, 3, `domain ${i + 1}`));
  });

  it('csched2_res_pick() places a new vCPU on the runqueue of least load (the first on ties), at the pCPU after its pick_bias', () => {
    // 2 sockets x 2 cores: runqueues [0, 1] and [2, 3], each pick_bias at its first pCPU. Every new
    // vCPU adds half a load to its runqueue and none decays at t = 0, so Domain-0's four vCPUs go
    // rq0 (pCPU 1), rq1 (3), rq0 (0), rq1 (2), and then, both at 1.0, four new domains the same way.
    const host = credit2Host(4, { topology: { sockets: 2, cores: 2, threads: 1 } });
    for (let domid = 1; domid <= 4; domid++) createDomain(host, domid);
    const processors = host.inspect().domains.map((d) => d.vcpus.map((v) => v.processor));
    assert.deepEqual(processors, [[1, 3, 0, 2], [1], [3], [0], [2]]);
  });

  it('csched2_res_pick() on a move the framework makes: a vCPU whose affinity leaves its runqueue goes to the least loaded allowed one', () => {
    const host = credit2Host(4, { topology: { sockets: 2, cores: 2, threads: 1 } });
    for (let domid = 1; domid <= 4; domid++) createDomain(host, domid, { workload: { type: 'idle' } });
    // d1 (pCPU 1, runqueue 0) may now run only on socket 1: the pick takes runqueue 1 and its pCPU after pick_bias 2, pCPU 3.
    must(host, { op: 'setvcpuaffinity', domid: 1, vcpu: 0, pcpus: [2, 3] });
    must(host, { op: 'setworkload', domid: 1, workload: { type: 'cpu' } });
    host.advanceTo(NS_PER_MS);
    assert.equal(host.inspect().domains.find((d) => d.domid === 1)!.vcpus[0]!.processor, 3);
  });

  it('runqueues follow the topology: per core, per socket, at most 16 pCPUs each', () => {
    const pcpusOf = (host: Host): number[][] => (host.inspect().dump as { runqueues: { pcpus: number[] }[] }).runqueues.map((r) => r.pcpus);
    const topology = { sockets: 2, cores: 2, threads: 2 };
    assert.deepEqual(pcpusOf(new Host({ pcpus: 8, sched: 'credit2', topology, credit2_runqueue: 'core' })), [[0, 1], [2, 3], [4, 5], [6, 7]]);
    assert.deepEqual(pcpusOf(new Host({ pcpus: 8, sched: 'credit2', topology })), [[0, 1, 2, 3], [4, 5, 6, 7]]);
    assert.deepEqual(pcpusOf(new Host({ pcpus: 8, sched: 'credit2', topology, credit2_runqueue: 'all' })), [[0, 1, 2, 3, 4, 5, 6, 7]]);
    // 40 pCPUs on one socket: ceil(40/16) = 3 runqueues of whole cores, as even as can be.
    const big = pcpusOf(new Host({ pcpus: 40, sched: 'credit2', topology: { sockets: 1, cores: 20, threads: 2 } })).map((r) => r.length);
    assert.deepEqual(big, [12, 14, 14]);
  });
});

describe('credit2: the scheduler trace', () => {
  it('records decisions, resets, budget refills and balance_load() moves, and the Chrome trace shows them', () => {
    // Two runqueues; six hogs started on socket 0 (balance_load() must move some) and a domain capped at 10 (refilled every 10 ms).
    const host = credit2Host(4, { topology: { sockets: 2, cores: 2, threads: 1 } });
    for (let domid = 1; domid <= 6; domid++) createDomain(host, domid, { affinity: [[0, 1]] });
    createDomain(host, 7, { cap: 10, affinity: [[0, 1]] });
    for (let domid = 1; domid <= 7; domid++) must(host, { op: 'setvcpuaffinity', domid, vcpu: 0, pcpus: 'all' });
    const trace = traceOf(host, 300);
    const kinds = (kind: string): TraceEvent[] => trace.events.filter((e) => e.kind === kind);
    assert.ok(kinds('switch').length > 0, 'decisions');
    assert.ok(kinds('ledger').some((e) => e.kind === 'ledger' && e.priority === 'reset'), 'resets');
    const refills = kinds('refill');
    // One refill per 10 ms period of the capped domain, within the 300 ms window.
    assert.ok(refills.length >= 29 && refills.length <= 30 && refills.every((e) => e.kind === 'refill' && e.vcpu.domid === 7), `refills: ${refills.length}`);
    assert.ok(kinds('balance').length > 0, 'balance_load() moves');
    const names = new Map(Array.from({ length: 8 }, (_, domid) => [domid, `d${domid}`] as const));
    const chrome = toChromeTrace(trace, names);
    for (const kind of ['refill', 'balance']) assert.ok(chrome.traceEvents.some((e) => e.ph === 'i' && e.name === kind), kind);
    assert.ok(chrome.traceEvents.some((e) => e.ph === 'i' && e.cat === 'ledger' && (e.args as { priority: string }).priority === 'reset'), 'a reset');
  });
});

describe('credit2: copies and determinism', () => {
  it('a snapshot of a credit2 host runs on exactly as the host does', () => {
    const host = credit2Host(4, { topology: { sockets: 2, cores: 2, threads: 1 } });
    createDomain(host, 1, { vcpus: 2, cap: 70 });
    createDomain(host, 2, { workload: { type: 'duty', run_ms: 3, sleep_ms: 4 } });
    createDomain(host, 3, { weight: 700 });
    host.advanceTo(777 * NS_PER_MS);
    const copy = Host.fromSnapshot(host.snapshot());
    host.advanceTo(3 * NS_PER_S);
    copy.advanceTo(3 * NS_PER_S);
    assert.equal(copy.trace_hash, host.trace_hash);
    assert.deepEqual(copy.inspect(), host.inspect());
  });
});

type DomainOptions = Parameters<typeof createDomain>[2];

/**
 * Section 16's set-up: CPU-bound master 1 and member 2 (and outsider 3 when given) on a
 * credit2 host of `pcpus`, 1 and 2 grouped, then a second for the shares to settle.
 */
function groupedHost(pcpus: number, domains: { master?: DomainOptions; member?: DomainOptions; outsider?: DomainOptions }): Host {
  const host = credit2Host(pcpus);
  createDomain(host, 1, domains.master);
  createDomain(host, 2, domains.member);
  if (domains.outsider !== undefined) createDomain(host, 3, domains.outsider);
  must(host, { op: 'schedgroup', cmd: 'create', master: 1 });
  must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
  host.advanceTo(host.now_ns + NS_PER_S);
  return host;
}

describe('credit2: scheduling domains (the group claims what its master claims alone)', () => {
  it('the 2007 demo: cap the master at 10, add a member: together 10 %, 5 + 5', () => {
    const host = groupedHost(1, { master: { cap: 10 } });
    const [master, member] = measureShares(host, [1, 2], 20);
    assertNear(master! + member!, 10, 0.3, 'the group');
    assertNear(master!, 5, 0.5, 'master');
    assertNear(member!, 5, 0.5, 'member');
  });

  it('master + member vs an outsider on one pCPU: group 50, outsider 50; shares 3:1 split it 37.5 / 12.5', () => {
    const host = groupedHost(1, { outsider: {} });
    const [master, member, outsider] = measureShares(host, [1, 2, 3], 10);
    assertNear(master! + member!, 50, 0.5, 'the group');
    assertNear(outsider!, 50, 0.5, 'outsider');
    must(host, { op: 'schedgroup', cmd: 'set_share', master: 1, domid: 1, share: 768 });
    host.advanceTo(host.now_ns + NS_PER_S);
    const [master3, member1, outsider2] = measureShares(host, [1, 2, 3], 10);
    assertNear(master3!, 37.5, 0.5, 'master at share 3');
    assertNear(member1!, 12.5, 0.5, 'member at share 1');
    assertNear(outsider2!, 50, 0.5, 'outsider');
  });

  it('on 2 pCPUs, master (2 vCPUs) + member (1 vCPU) vs an outsider: group 133.3, outsider 66.7', () => {
    const host = groupedHost(2, { master: { vcpus: 2 }, outsider: {} });
    const [master, member, outsider] = measureShares(host, [1, 2, 3], 10);
    assertNear(master! + member!, 400 / 3, 1, 'the group');
    assertNear(outsider!, 200 / 3, 1, 'outsider');
  });

  it('a member that leaves weighs its own weight again, and its own cap applies again', () => {
    const host = groupedHost(1, { master: { cap: 10 }, member: { cap: 30 } });
    must(host, { op: 'schedgroup', cmd: 'remove_member', master: 1, member: 2 });
    host.advanceTo(host.now_ns + NS_PER_S);
    const [master, former] = measureShares(host, [1, 2], 10);
    assertNear(master!, 10, 0.3, 'master alone');
    assertNear(former!, 30, 0.3, 'former member under its own cap');
  });
});
