/**
 * Per-vCPU wake-to-run latency and `active`: figures a user reads off one
 * request instead of thousands of 1 ms advances.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newLatencyStats, recordLatency, summarizeLatency } from '../../src/hypervisor/latency-histogram.ts';
import { NS_PER_MS, createDomain, must, newHost } from './helpers.ts';

describe('latency histogram', () => {
  it('one sample is its own mean, max and p99', () => {
    const stats = newLatencyStats();
    recordLatency(stats, 1234);
    assert.deepEqual(summarizeLatency(stats), { count: 1, mean_ns: 1234, max_ns: 1234, p99_ns: 1234 });
  });

  it('reports p99 as the upper bound of its bucket (4 per doubling from 1 µs)', () => {
    const stats = newLatencyStats();
    for (let i = 0; i < 999; i++) recordLatency(stats, 10_000);
    recordLatency(stats, 5_000_000);
    // Rank 990 is 10 µs, in the bucket [10, 12) µs of the doubling 8..16 µs.
    assert.deepEqual(summarizeLatency(stats), { count: 1000, mean_ns: (999 * 10_000 + 5_000_000) / 1000, max_ns: 5_000_000, p99_ns: 12_000 });
  });

  it('an empty one is all zeros', () => {
    assert.deepEqual(summarizeLatency(newLatencyStats()), { count: 0, mean_ns: 0, max_ns: 0, p99_ns: 0 });
  });
});

describe('wake-to-run latency of a vCPU', () => {
  const run = (ratelimit_us: number) => {
    const host = newHost(1);
    must(host, { op: 'sched_global', cmd: 'putinfo', params: { ratelimit_us, tslice_ms: 30 } });
    createDomain(host, 1, { workload: { type: 'duty', run_ms: 1, sleep_ms: 9 } });
    createDomain(host, 2);
    createDomain(host, 3, { workload: { type: 'idle' } });
    host.advanceTo(20_000 * NS_PER_MS);
    return { guest: must(host, { op: 'getvcpuinfo', domid: 1 })[0]!, hog: must(host, { op: 'getvcpuinfo', domid: 2 })[0]!, idle: must(host, { op: 'getvcpuinfo', domid: 3 })[0]! };
  };

  it('accounts for all the guest waited after its wakes: mean × count is its runnable time', () => {
    const { guest } = run(20_000);
    const latency = guest.wake_latency;
    // Every wake that ran is counted; one may still be waiting at the end.
    assert.ok(latency.count >= guest.wakeups - 1 && latency.count <= guest.wakeups, `${latency.count} of ${guest.wakeups} wakes`);
    assert.ok(Math.abs(latency.mean_ns * latency.count - guest.runstate_ns.runnable) <= 20 * NS_PER_MS + latency.count);
    // The hog has run about 9 ms when the guest wakes; a 20 ms ratelimit holds the guest off for the rest
    // of 20 ms (p99 is a bucket's upper bound, up to 19% above); at start it waited out the hog's 30 ms slice at most.
    assert.ok(latency.p99_ns > 10 * NS_PER_MS && latency.p99_ns <= 1.19 * 20 * NS_PER_MS, `p99 ${latency.p99_ns}`);
    assert.ok(latency.max_ns <= 30 * NS_PER_MS && latency.max_ns >= latency.p99_ns, `max ${latency.max_ns}`);
  });

  it('is under a microsecond without a ratelimit (a boosted wake preempts the hog at once), past the start', () => {
    const { guest } = run(0);
    assert.ok(guest.wake_latency.count > 1000);
    // The lowest bucket holds everything under 1 µs; only the wake at start waited (for the hog's first slice).
    assert.equal(guest.wake_latency.p99_ns, 1000);
    assert.equal(guest.wake_latency.max_ns, guest.runstate_ns.runnable);
  });

  it('marks vCPUs active while they earn credit: the hog is, the idle domain is not', () => {
    const { hog, idle } = run(0);
    assert.deepEqual([hog.active, idle.active], [true, false]);
  });
});
