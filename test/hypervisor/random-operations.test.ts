/**
 * Random operations against the invariants of the framework, in the spirit of
 * TigerBeetle's simulator: a seeded generator drives domctls and advances, and
 * after every step the host must be consistent. A failure prints its seed and
 * step, and the same seed replays it exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SHARE, DOMAIN0_ID, Host, MAX_SHARE, MIN_SHARE, type DomctlOp, type InspectedDomain, type SchedName, type Workload } from '../../src/hypervisor/index.ts';
import { createRandom, type Random } from '../../src/hypervisor/random.ts';
import { NS_PER_MS } from './helpers.ts';

const PCPUS = 3;
const STEPS = 400;
const PRIORITY_ORDER: Readonly<Record<string, number>> = { boost: 0, under: -1, over: -2 };

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random.next() * items.length)]!;
const between = (random: Random, min: number, max: number): number => min + Math.floor(random.next() * (max - min + 1));

function randomWorkload(random: Random): Workload {
  return pick(random, [
    { type: 'cpu' },
    { type: 'idle' },
    { type: 'duty', run_ms: between(random, 1, 40) / 4, sleep_ms: between(random, 1, 40) / 4 },
  ] as const);
}

function randomAffinity(random: Random): readonly number[] | 'all' {
  if (random.next() < 0.5) return 'all';
  const pcpus = Array.from({ length: PCPUS }, (_, id) => id).filter(() => random.next() < 0.6);
  return pcpus.length === 0 ? [between(random, 0, PCPUS - 1)] : pcpus;
}

/** A random cpupool operation, on pools 0..3 (often refused: pools that do not exist, pCPUs in use, domains inside). */
function randomPoolOperation(random: Random, domids: () => number[]): DomctlOp {
  const pool = between(random, 0, 3);
  const roll = random.next();
  if (roll < 0.2) return { op: 'cpupool_create', id: pool, name: `pool${pool}`, sched: pick(random, ['credit', 'credit2'] as const) };
  if (roll < 0.3) return { op: 'cpupool_destroy', pool };
  if (roll < 0.5) return { op: 'cpupool_add_pcpu', pool, pcpu: between(random, 0, PCPUS - 1) };
  if (roll < 0.7) return { op: 'cpupool_remove_pcpu', pool, pcpu: between(random, 0, PCPUS - 1) };
  if (roll < 0.9) return { op: 'cpupool_move_domain', domid: pick(random, domids()), pool };
  const params = random.next() < 0.5 ? { ratelimit_us: pick(random, [0, 100, 1000]) } : { tslice_ms: between(random, 1, 60), ratelimit_us: 0 };
  return { op: 'cpupool_sched', pool, cmd: 'putinfo', params };
}

/** One random operation; many are refused, which is part of the test. */
function randomOperation(random: Random, nextDomid: () => number, domids: () => number[], sched: SchedName, withPools: boolean): DomctlOp {
  if (withPools && random.next() < 0.15) return randomPoolOperation(random, domids);
  const domid = (): number => (random.next() < 0.05 ? 999 : pick(random, domids()));
  const roll = random.next();
  if (roll < 0.12) {
    const max_vcpus = between(random, 1, 4);
    return {
      op: 'createdomain',
      domid: nextDomid(),
      max_vcpus,
      vcpus: between(random, 1, max_vcpus),
      weight: between(random, 1, 1024),
      cap: random.next() < 0.5 ? 0 : between(random, 1, 100 * max_vcpus),
      workload: randomWorkload(random),
      affinity: Array.from({ length: max_vcpus }, () => randomAffinity(random)),
      ...(withPools ? { pool: between(random, 0, 3) } : {}),
    };
  }
  if (roll < 0.17) return { op: 'destroydomain', domid: domid() };
  if (roll < 0.25) return { op: random.next() < 0.5 ? 'pausedomain' : 'unpausedomain', domid: domid() };
  if (roll < 0.32) return { op: 'setonlinevcpus', domid: domid(), vcpus: between(random, 0, 4) };
  if (roll < 0.42) return { op: 'setvcpuaffinity', domid: domid(), vcpu: between(random, 0, 3), pcpus: randomAffinity(random) };
  if (roll < 0.5) return { op: 'setworkload', domid: domid(), workload: randomWorkload(random) };
  if (roll < 0.58) return { op: 'scheduler_op', domid: domid(), cmd: 'putinfo', weight: between(random, 0, 2000), cap: between(random, 0, 500) };
  if (roll < 0.63 && sched === 'credit2') {
    return { op: 'sched_global', cmd: 'putinfo', params: { ratelimit_us: pick(random, [0, 50, 100, 1000, 5000]), inflight_credit: random.next() < 0.5 } };
  }
  if (roll < 0.63) {
    const tslice_ms = between(random, 1, 60);
    return { op: 'sched_global', cmd: 'putinfo', params: { tslice_ms, ratelimit_us: pick(random, [0, 100, 1000, 5000]), accounting: pick(random, ['exact', 'sampled'] as const) } };
  }
  if (roll < 0.78) return { op: 'schedgroup', cmd: 'add_member', master: domid(), member: domid(), share: between(random, 1, 1000) };
  if (roll < 0.86) return { op: 'schedgroup', cmd: 'remove_member', master: domid(), member: domid() };
  if (roll < 0.9) return { op: 'schedgroup', cmd: 'set_share', master: domid(), domid: domid(), share: between(random, 1, 1000) };
  if (roll < 0.93) return { op: 'schedgroup', cmd: 'dissolve', master: domid() };
  return { op: 'max_vcpus', domid: domid(), max_vcpus: between(random, 1, 5) };
}

const name = (domid: number, vcpu: number): string => `d${domid}v${vcpu}`;

/**
 * The framework's invariants (the policy checks its own when inspected). credit's queues are per
 * pCPU, in priority order, and never wait beside an idle pCPU; credit2's are shared per runqueue
 * (inspect shows each pCPU the vCPUs that last ran there), in credit order, and a pCPU may idle
 * beside a vCPU its affinity keeps away or another pCPU was tickled for.
 */
function checkInvariants(host: Host, createdAt: ReadonlyMap<number, number>): void {
  const { now_ns: now, pcpus, domains, pools } = host.inspect();
  const running = new Set<string>();
  const queued = new Map<string, number>();
  const poolOf = new Map(pools.flatMap((pool) => pool.pcpus.map((pcpu) => [pcpu, pool] as const)));
  for (const pool of pools) for (const pcpu of pool.pcpus) assert.equal(poolOf.get(pcpu), pool, `pCPU ${pcpu} is in two pools`);
  for (const pcpu of pcpus) {
    assert.equal(pcpu.busy_ns + pcpu.idle_ns, now, `pCPU ${pcpu.id}: busy + idle is not the time elapsed`);
    const sched = poolOf.get(pcpu.id)?.sched;
    if (sched === undefined) assert.ok(pcpu.current === null && pcpu.runq.length === 0, `free pCPU ${pcpu.id} runs or queues`);
    if (pcpu.current === null) {
      if (sched === 'credit') assert.equal(pcpu.runq.length, 0, `pCPU ${pcpu.id} idles with vCPUs queued`);
    } else {
      const current = name(pcpu.current.domid, pcpu.current.vcpu);
      assert.ok(!running.has(current), `${current} runs on two pCPUs`);
      running.add(current);
    }
    pcpu.runq.forEach((entry, i) => {
      const sched = poolOf.get(pcpu.id)!.sched;
      const queuedName = name(entry.domid, entry.vcpu);
      assert.ok(!queued.has(queuedName), `${queuedName} is queued twice`);
      queued.set(queuedName, pcpu.id);
      if (i > 0 && sched === 'credit2') assert.ok(pcpu.runq[i - 1]!.credit >= entry.credit, `pCPU ${pcpu.id}'s queue is out of credit order`);
      if (i > 0 && sched === 'credit') assert.ok(PRIORITY_ORDER[pcpu.runq[i - 1]!.priority]! >= PRIORITY_ORDER[entry.priority]!, `pCPU ${pcpu.id}'s queue is out of priority order`);
    });
  }
  const byDomid = new Map(domains.map((d) => [d.domid, d]));
  for (const domain of domains) {
    checkGroup(domain, byDomid);
    const pool = pools.find((p) => p.id === domain.pool);
    assert.ok(pool !== undefined, `domain ${domain.domid} lives in pool ${domain.pool}, which does not exist`);
    for (const member of domain.members ?? []) assert.equal(byDomid.get(member)?.pool, domain.pool, `member ${member} of ${domain.domid} lives in another pool`);
    for (const vcpu of domain.vcpus) {
      assert.ok(pool.pcpus.includes(vcpu.processor), `d${domain.domid}v${vcpu.id} is on pCPU ${vcpu.processor}, outside pool ${pool.name}`);
      const vcpuName = name(domain.domid, vcpu.id);
      const allowed = (pcpu: number): boolean => vcpu.affinity === 'all' || vcpu.affinity.includes(pcpu);
      const isRunning = running.has(vcpuName);
      if (isRunning) {
        assert.deepEqual(pcpus[vcpu.processor]!.current, { domid: domain.domid, vcpu: vcpu.id }, `${vcpuName} runs away from its processor`);
        assert.ok(vcpu.runnable, `${vcpuName} runs but is not runnable`);
        assert.equal(vcpu.runstate, 'running', `${vcpuName} runs but its runstate is ${vcpu.runstate}`);
      }
      const waiting = vcpu.runnable && !isRunning;
      assert.equal(queued.has(vcpuName), waiting, `${vcpuName}: queued ${queued.has(vcpuName)}, runnable and waiting ${waiting}`);
      if (waiting) assert.equal(queued.get(vcpuName), vcpu.processor, `${vcpuName} is queued away from its processor`);
      assert.ok(allowed(vcpu.processor), `${vcpuName}'s processor is outside its affinity`);
      const total = Object.values(vcpu.runstate_ns).reduce((sum, ns) => sum + ns, 0);
      const since = createdAt.get(domain.domid) ?? 0;
      // vCPUs added later by max_vcpus have existed for less time.
      assert.ok(total <= now - since, `${vcpuName}: runstate times add up to more than it has existed`);
    }
  }
}

/** Scheduling domains: both ends of every membership agree, no nesting, no Domain-0, shares in range. */
function checkGroup(domain: InspectedDomain, byDomid: ReadonlyMap<number, InspectedDomain>): void {
  assert.ok(domain.share >= MIN_SHARE && domain.share <= MAX_SHARE, `domain ${domain.domid}'s share ${domain.share} is out of range`);
  if (domain.master === null && domain.members === null) assert.equal(domain.share, DEFAULT_SHARE, `domain ${domain.domid} is in no group but has share ${domain.share}`);
  if (domain.master !== null) {
    assert.notEqual(domain.domid, DOMAIN0_ID, 'Domain-0 is a member');
    assert.equal(domain.members, null, `domain ${domain.domid} is both a member and a master`);
    const master = byDomid.get(domain.master);
    assert.ok(master !== undefined, `domain ${domain.domid}'s master ${domain.master} does not exist`);
    assert.ok(master.members?.includes(domain.domid), `domain ${domain.domid} is not among its master's members`);
  }
  for (const member of domain.members ?? []) {
    assert.equal(byDomid.get(member)?.master, domain.domid, `member ${member} of ${domain.domid} does not name it as master`);
  }
  assert.equal(new Set(domain.members ?? []).size, (domain.members ?? []).length, `domain ${domain.domid} lists a member twice`);
}

/** Run `steps` random steps from `seed`, checking every step; returns the trace hash. */
function randomRun(seed: number, steps: number, sched: SchedName = 'credit', withPools = false): string {
  const random = createRandom(seed);
  // credit2 alternates one runqueue per pCPU (balancing between them) and one for all.
  const host = sched === 'credit' ? new Host({ pcpus: PCPUS, seed }) : new Host({ pcpus: PCPUS, seed, sched, credit2_runqueue: seed % 2 === 1 ? 'cpu' : 'all' });
  const createdAt = new Map<number, number>([[0, 0]]);
  let next = 1;
  for (let step = 0; step < steps; step++) {
    if (random.next() < 0.4) {
      host.advanceTo(host.now_ns + (random.next() < 0.1 ? 1000 : between(random, 0, 40)) * NS_PER_MS + between(random, 0, 999));
    } else {
      const op = randomOperation(random, () => next++, () => host.inspect().domains.map((d) => d.domid), sched, withPools);
      const result = host.domctl(op);
      if (result.ok && op.op === 'createdomain') createdAt.set(op.domid, host.now_ns);
    }
    try {
      checkInvariants(host, createdAt);
    } catch (error) {
      assert.fail(`${sched}${withPools ? ' with pools' : ''}: seed ${seed}, step ${step} (replay with NEMESIS_SEED=${seed} NEMESIS_SEEDS=1 NEMESIS_STEPS=${steps}): ${(error as Error).message}`);
    }
  }
  return host.trace_hash;
}

/**
 * Seeds come from the environment: NEMESIS_SEED (the first; random when only a
 * count is given), NEMESIS_SEEDS (how many) and NEMESIS_STEPS. `npm run fuzz:sim`
 * runs 300 seeds of 600 steps; the suite runs seeds 1..4 of 400.
 */
function seedsFromEnv(): { first: number; count: number; steps: number } {
  const env = (name: string): number | undefined => (process.env[name] === undefined ? undefined : Number(process.env[name]));
  const count = env('NEMESIS_SEEDS') ?? 4;
  const first = env('NEMESIS_SEED') ?? (process.env.NEMESIS_SEEDS === undefined ? 1 : Math.floor(Math.random() * 2 ** 31));
  return { first, count, steps: env('NEMESIS_STEPS') ?? STEPS };
}

describe('random operations', () => {
  const { first, count, steps } = seedsFromEnv();
  it(`seeds ${first}..${first + count - 1}, ${steps} steps: every step leaves the host consistent, and each run replays exactly`, () => {
    for (let seed = first; seed < first + count; seed++) {
      assert.equal(randomRun(seed, steps), randomRun(seed, steps), `seed ${seed} did not replay (NEMESIS_SEED=${seed} NEMESIS_SEEDS=1)`);
    }
  });
});

describe('random operations under credit2', () => {
  const { first, count, steps } = seedsFromEnv();
  it(`seeds ${first}..${first + count - 1}, ${steps} steps: the framework's and credit2's invariants hold after every step, and each run replays exactly`, () => {
    for (let seed = first; seed < first + count; seed++) {
      assert.equal(randomRun(seed, steps, 'credit2'), randomRun(seed, steps, 'credit2'), `seed ${seed} did not replay under credit2 (NEMESIS_SEED=${seed} NEMESIS_SEEDS=1)`);
    }
  });
});

describe('random operations with cpupools', () => {
  const { first, count, steps } = seedsFromEnv();
  it(`seeds ${first}..${first + count - 1}, ${steps} steps: pools of both policies come and go, pCPUs and domains move, and every step stays consistent`, () => {
    for (let seed = first; seed < first + count; seed++) {
      const boot = seed % 2 === 0 ? 'credit' : 'credit2';
      assert.equal(randomRun(seed, steps, boot, true), randomRun(seed, steps, boot, true), `seed ${seed} did not replay with pools (NEMESIS_SEED=${seed} NEMESIS_SEEDS=1)`);
    }
  });
});
