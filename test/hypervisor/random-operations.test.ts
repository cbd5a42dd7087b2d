/**
 * Random operations against the invariants of the framework, in the spirit of
 * TigerBeetle's simulator: a seeded generator drives domctls and advances, and
 * after every step the host must be consistent. A failure prints its seed and
 * step, and the same seed replays it exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Host, type DomctlOp, type Workload } from '../../src/hypervisor/index.ts';
import { allowedOn, Runstate } from '../../src/hypervisor/model.ts';
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

/** One random operation; many are refused, which is part of the test. */
function randomOperation(random: Random, nextDomid: () => number, domids: () => number[]): DomctlOp {
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
    };
  }
  if (roll < 0.17) return { op: 'destroydomain', domid: domid() };
  if (roll < 0.25) return { op: random.next() < 0.5 ? 'pausedomain' : 'unpausedomain', domid: domid() };
  if (roll < 0.32) return { op: 'setonlinevcpus', domid: domid(), vcpus: between(random, 0, 4) };
  if (roll < 0.42) return { op: 'setvcpuaffinity', domid: domid(), vcpu: between(random, 0, 3), pcpus: randomAffinity(random) };
  if (roll < 0.5) return { op: 'setworkload', domid: domid(), workload: randomWorkload(random) };
  if (roll < 0.58) return { op: 'scheduler_op', domid: domid(), cmd: 'putinfo', weight: between(random, 0, 2000), cap: between(random, 0, 500) };
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

/** Run queues from the credit scheduler's dump: per pCPU, [domid, vcpu, priority]. */
function runQueues(host: Host): [number, number, string][][] {
  const { runqueues } = host.scheduler.dump() as { runqueues: string[][] };
  return runqueues.map((runq) =>
    runq.map((entry) => {
      const match = /^d(\d+)v(\d+) (\w+)/.exec(entry);
      assert.ok(match !== null, `unreadable run-queue entry ${entry}`);
      return [Number(match[1]), Number(match[2]), match[3]!];
    }),
  );
}

function checkInvariants(host: Host, createdAt: ReadonlyMap<number, number>): void {
  const now = host.now_ns;
  const running = new Set<string>();
  for (const pcpu of host.pcpus) {
    assert.equal(host.pcpuBusyNs(pcpu) + host.pcpuIdleNs(pcpu), now, `pCPU ${pcpu.id}: busy + idle is not the time elapsed`);
    const vcpu = pcpu.current;
    if (vcpu === null) continue;
    const name = `d${vcpu.domain.domid}v${vcpu.id}`;
    assert.ok(!running.has(name), `${name} runs on two pCPUs`);
    running.add(name);
    assert.equal(vcpu.processor, pcpu.id, `${name} runs on pCPU ${pcpu.id} but its processor is ${vcpu.processor}`);
    assert.ok(vcpu.runnable, `${name} runs but is not runnable`);
    assert.ok(allowedOn(vcpu, pcpu.id), `${name} runs outside its affinity`);
  }
  const queued = new Map<string, number>();
  runQueues(host).forEach((runq, pcpu) => {
    if (host.pcpus[pcpu]!.current === null) assert.equal(runq.length, 0, `pCPU ${pcpu} idles with vCPUs queued`);
    runq.forEach(([domid, vcpu, priority], i) => {
      const name = `d${domid}v${vcpu}`;
      assert.ok(!queued.has(name), `${name} is queued twice`);
      queued.set(name, pcpu);
      if (i > 0) assert.ok(PRIORITY_ORDER[runq[i - 1]![2]]! >= PRIORITY_ORDER[priority]!, `pCPU ${pcpu}'s queue is out of priority order`);
    });
  });
  for (const domain of host.domains.values()) {
    for (const vcpu of domain.vcpus) {
      const name = `d${domain.domid}v${vcpu.id}`;
      const waiting = vcpu.runnable && !running.has(name);
      assert.equal(queued.has(name), waiting, `${name}: queued ${queued.has(name)}, runnable and waiting ${waiting}`);
      if (waiting) assert.equal(queued.get(name), vcpu.processor, `${name} is queued away from its processor`);
      assert.ok(allowedOn(vcpu, vcpu.processor), `${name}'s processor is outside its affinity`);
      const states: readonly Runstate[] = [Runstate.running, Runstate.runnable, Runstate.blocked, Runstate.offline];
      const total = states.reduce((sum: number, state) => sum + host.runstateNs(vcpu, state), 0);
      const since = createdAt.get(domain.domid) ?? 0;
      // vCPUs added later by max_vcpus have existed for less time.
      assert.ok(total <= now - since, `${name}: runstate times add up to more than it has existed`);
    }
  }
}

/** Run `STEPS` random steps from `seed`, checking every step; returns the trace hash. */
function randomRun(seed: number): string {
  const random = createRandom(seed);
  const host = new Host({ pcpus: PCPUS, seed });
  const createdAt = new Map<number, number>([[0, 0]]);
  let next = 1;
  for (let step = 0; step < STEPS; step++) {
    const context = `seed ${seed}, step ${step}`;
    if (random.next() < 0.4) {
      host.advanceTo(host.now_ns + (random.next() < 0.1 ? 1000 : between(random, 0, 40)) * NS_PER_MS + between(random, 0, 999));
    } else {
      const op = randomOperation(random, () => next++, () => [...host.domains.keys()]);
      const result = host.domctl(op);
      if (result.ok && op.op === 'createdomain') createdAt.set(op.domid, host.now_ns);
    }
    try {
      checkInvariants(host, createdAt);
    } catch (error) {
      assert.fail(`${context}: ${(error as Error).message}`);
    }
  }
  return host.trace_hash;
}

describe('random operations', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: every step leaves the host consistent, and the run replays exactly`, () => {
      assert.equal(randomRun(seed), randomRun(seed));
    });
  }
});
