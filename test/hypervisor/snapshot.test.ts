/**
 * Host.snapshot and Host.fromSnapshot: the copy is the same simulation. Snapshot
 * a busy host, restore a copy, drive both with the same domctls for a long time:
 * the same trace_hash and the same inspections at every step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Host, NS_PER_S, USAGE_HISTORY_NS, type Affinity, type DomctlOp, type Workload } from '../../src/hypervisor/index.ts';
import { createDomain, must, NS_PER_MS, snapshot as observe } from './helpers.ts';

/** Everything observable, usage history included. */
function observeAll(host: Host): string {
  return observe(host) + JSON.stringify(must(host, { op: 'getusage', window_ns: USAGE_HISTORY_NS })) + JSON.stringify(must(host, { op: 'schedstats' }));
}

/** A host with something of everything: duty workloads (pending wakes), caps (parked vCPUs), a group, pins, a removed vCPU and a destroyed domain. */
function busyHost(): Host {
  const host = new Host({ pcpus: 4, seed: 7 });
  createDomain(host, 1, { vcpus: 2, cap: 50 });
  createDomain(host, 2, { workload: { type: 'duty', run_ms: 3, sleep_ms: 7 } });
  createDomain(host, 3, { vcpus: 3, max_vcpus: 4, weight: 512, workload: { type: 'duty', run_ms: 1.5, sleep_ms: 0.5 } });
  createDomain(host, 4, { affinity: [[1]] });
  createDomain(host, 5);
  must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 5, share: 512 });
  host.advanceTo(1234 * NS_PER_MS + 77);
  must(host, { op: 'setonlinevcpus', domid: 3, vcpus: 1 });
  must(host, { op: 'max_vcpus', domid: 3, max_vcpus: 2 });
  createDomain(host, 6, { workload: { type: 'duty', run_ms: 2, sleep_ms: 9 } });
  host.advanceTo(2500 * NS_PER_MS + 3);
  must(host, { op: 'destroydomain', domid: 6 });
  must(host, { op: 'sched_global', cmd: 'putinfo', params: { tslice_ms: 20, ratelimit_us: 500 } });
  host.advanceTo(3100 * NS_PER_MS);
  return host;
}

const restore = (host: Host): Host => Host.fromSnapshot(structuredClone(host.snapshot()));

describe('host snapshots', () => {
  it('a copy of a busy host runs exactly as the host: same trace_hash and inspections, with the same domctls, for a simulated minute', () => {
    const host = busyHost();
    const copy = restore(host);
    assert.equal(copy.now_ns, host.now_ns);
    assert.equal(copy.trace_hash, host.trace_hash);
    assert.equal(observeAll(copy), observeAll(host));
    const ops: DomctlOp[] = [
      { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: 0, cap: 20 },
      { op: 'max_vcpus', domid: 3, max_vcpus: 4 },
      { op: 'setonlinevcpus', domid: 3, vcpus: 4 },
      { op: 'setworkload', domid: 4, workload: { type: 'duty', run_ms: 5, sleep_ms: 5 } },
      { op: 'schedgroup', cmd: 'remove_member', master: 1, member: 5 },
      { op: 'pausedomain', domid: 2 },
      { op: 'unpausedomain', domid: 2 },
    ];
    for (const [i, op] of ops.entries()) {
      const at = host.now_ns + (i + 1) * 997 * NS_PER_MS;
      for (const h of [host, copy]) {
        h.advanceTo(at);
        must(h, op);
      }
      assert.equal(copy.trace_hash, host.trace_hash, `after ${op.op}`);
    }
    host.advanceTo(60 * NS_PER_S);
    copy.advanceTo(60 * NS_PER_S);
    assert.equal(copy.trace_hash, host.trace_hash);
    assert.equal(copy.events_processed, host.events_processed);
    assert.equal(observeAll(copy), observeAll(host));
  });

  it('the copy is independent: advancing and changing it leaves the host as it was', () => {
    const host = busyHost();
    const before = observeAll(host);
    const copy = restore(host);
    must(copy, { op: 'destroydomain', domid: 2 });
    copy.advanceTo(copy.now_ns + 5 * NS_PER_S);
    assert.equal(observeAll(host), before);
    assert.notEqual(copy.trace_hash, host.trace_hash);
  });

  it('a copy carries the replay log and the change counter: plans made on the host do not apply to it', () => {
    const host = busyHost();
    const copy = restore(host);
    assert.deepEqual(copy.replayLog(), host.replayLog());
    const plan = host.plan();
    must(host, { op: 'pausedomain', domid: 2 });
    assert.throws(() => host.apply(plan), /applied at/);
  });

  it('refuses what is not a snapshot', () => {
    assert.throws(() => Host.fromSnapshot({ ...new Host({ pcpus: 1 }).snapshot(), format: 'x' as never }), /not a host snapshot/);
  });
});

// --- property: random hosts and operations ---

const PCPUS = 3;
const domidArb = fc.integer({ min: 1, max: 6 });
const workloadArb: fc.Arbitrary<Workload> = fc.oneof(
  fc.constant({ type: 'cpu' as const }),
  fc.constant({ type: 'idle' as const }),
  fc.record({ type: fc.constant('duty' as const), run_ms: fc.integer({ min: 1, max: 40 }).map((n) => n / 4), sleep_ms: fc.integer({ min: 1, max: 40 }).map((n) => n / 4) }),
);
const affinityArb: fc.Arbitrary<Affinity> = fc.oneof(fc.constant('all' as const), fc.uniqueArray(fc.integer({ min: 0, max: PCPUS - 1 }), { minLength: 1, maxLength: PCPUS }));
const opArb: fc.Arbitrary<DomctlOp> = fc.oneof(
  fc.record({ op: fc.constant('createdomain' as const), domid: domidArb, max_vcpus: fc.constant(3), vcpus: fc.integer({ min: 1, max: 3 }), cap: fc.integer({ min: 0, max: 150 }), workload: workloadArb }),
  fc.record({ op: fc.constant('destroydomain' as const), domid: domidArb }),
  fc.record({ op: fc.constantFrom('pausedomain' as const, 'unpausedomain' as const), domid: domidArb }),
  fc.record({ op: fc.constant('setonlinevcpus' as const), domid: domidArb, vcpus: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('max_vcpus' as const), domid: domidArb, max_vcpus: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('setvcpuaffinity' as const), domid: domidArb, vcpu: fc.integer({ min: 0, max: 2 }), pcpus: affinityArb }),
  fc.record({ op: fc.constant('setworkload' as const), domid: domidArb, workload: workloadArb }),
  fc.record({ op: fc.constant('scheduler_op' as const), domid: domidArb, cmd: fc.constant('putinfo' as const), weight: fc.integer({ min: 0, max: 1000 }), cap: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ op: fc.constant('schedgroup' as const), cmd: fc.constant('add_member' as const), master: domidArb, member: domidArb, share: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({ op: fc.constant('schedgroup' as const), cmd: fc.constant('remove_member' as const), master: domidArb, member: domidArb }),
  fc.record({ op: fc.constant('schedgroup' as const), cmd: fc.constant('dissolve' as const), master: domidArb }),
  fc.record({
    op: fc.constant('sched_global' as const),
    cmd: fc.constant('putinfo' as const),
    params: fc.record({ tslice_ms: fc.integer({ min: 1, max: 60 }), ratelimit_us: fc.constantFrom(0, 100, 1000), accounting: fc.constantFrom('exact' as const, 'sampled' as const) }),
  }),
);
type Step = { readonly advance_ns: number } | { readonly op: DomctlOp };
const stepArb: fc.Arbitrary<Step> = fc.oneof(fc.record({ advance_ns: fc.integer({ min: 0, max: 300 * NS_PER_MS }) }), fc.record({ op: opArb }));

function run(host: Host, steps: readonly Step[]): void {
  for (const step of steps) {
    if ('advance_ns' in step) host.advanceTo(host.now_ns + step.advance_ns);
    else host.domctl(step.op);
  }
}

describe('host snapshots, property', () => {
  it('for random hosts and operations, a copy taken at any point runs as the host does from then on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(stepArb, { maxLength: 40 }), fc.array(stepArb, { maxLength: 40 }), (seed, before, after) => {
        const host = new Host({ pcpus: PCPUS, seed });
        run(host, before);
        const copy = restore(host);
        assert.equal(observeAll(copy), observeAll(host));
        const end = host.now_ns + 2 * NS_PER_S;
        for (const h of [host, copy]) {
          run(h, after);
          h.advanceTo(Math.max(end, h.now_ns));
        }
        assert.equal(copy.trace_hash, host.trace_hash);
        assert.equal(observeAll(copy), observeAll(host));
      }),
      { numRuns: 150 },
    );
  });
});
