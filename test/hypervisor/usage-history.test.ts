import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USAGE_HISTORY_NS, USAGE_SAMPLE_NS, type Host } from '../../src/hypervisor/index.ts';
import { createDomain, cpuTimeNs, must, newHost, NS_PER_MS, NS_PER_S } from './helpers.ts';

function twoGuests(): Host {
  const host = newHost(1);
  createDomain(host, 1);
  createDomain(host, 2, { weight: 512 });
  return host;
}

const used = (host: Host, window_ns: number) => {
  const usage = must(host, { op: 'getusage', window_ns });
  return { ...usage, cpu: Object.fromEntries(usage.domains.map((d) => [d.domid, d.cpu_ns])) };
};

describe('usage history (getusage)', () => {
  it('agrees with cumulative CPU time over a window, to the nanosecond', () => {
    const host = twoGuests();
    // 10 s back from 30.007 s is 20.007 s: the window starts at the sample at or before it, 19.980 s (sample 666).
    host.advanceTo(666 * USAGE_SAMPLE_NS);
    const before = [cpuTimeNs(host, 1), cpuTimeNs(host, 2)];
    const busyBefore = must(host, { op: 'getcpuinfo' })[0]!.busy_ns;
    host.advanceTo(30 * NS_PER_S + 7 * NS_PER_MS);
    const usage = used(host, 10 * NS_PER_S);
    assert.equal(usage.from_ns, 666 * USAGE_SAMPLE_NS);
    assert.equal(usage.to_ns, 30 * NS_PER_S + 7 * NS_PER_MS);
    assert.equal(usage.cpu[1], cpuTimeNs(host, 1) - before[0]!);
    assert.equal(usage.cpu[2], cpuTimeNs(host, 2) - before[1]!);
    assert.equal(usage.cpu[0], 0, 'Domain-0 idles');
    assert.equal(usage.pcpus[0]!.busy_ns, must(host, { op: 'getcpuinfo' })[0]!.busy_ns - busyBefore);
    assert.equal(usage.cpu[1]! + usage.cpu[2]!, usage.to_ns - usage.from_ns, 'one pCPU, always busy: the two used all of it');
  });

  it('records the same whether a minute is advanced in one call or in many', () => {
    const once = twoGuests();
    once.advanceTo(60 * NS_PER_S);
    const stepped = twoGuests();
    for (let t = 0; t < 60 * NS_PER_S; t += 7_777_777) stepped.advanceTo(t);
    stepped.advanceTo(60 * NS_PER_S);
    for (const window_ns of [NS_PER_S, 30 * NS_PER_S, 60 * NS_PER_S]) {
      assert.deepEqual(used(stepped, window_ns), used(once, window_ns));
    }
    const minute = used(once, 60 * NS_PER_S);
    assert.equal(minute.from_ns, 0);
    // 1:2 weights: a third and two thirds of the minute, within a few slices.
    assert.ok(Math.abs(minute.cpu[1]! / (60 * NS_PER_S) - 1 / 3) < 0.005, `${minute.cpu[1]}`);
  });

  it("counts a domain that uses more than 2^32 ns in one sample (Domain-0 busy on 160 pCPUs) to the nanosecond", () => {
    const host = newHost(160);
    must(host, { op: 'setworkload', domid: 0, workload: { type: 'cpu' } });
    host.advanceTo(10 * USAGE_SAMPLE_NS);
    const before = cpuTimeNs(host, 0);
    host.advanceTo(20 * USAGE_SAMPLE_NS);
    // 160 vCPUs × 30 ms = 4.8e9 ns a sample, past a 32-bit count.
    assert.equal(cpuTimeNs(host, 0) - before, 10 * 160 * USAGE_SAMPLE_NS);
    const usage = used(host, 10 * USAGE_SAMPLE_NS);
    assert.equal(usage.from_ns, 10 * USAGE_SAMPLE_NS);
    assert.equal(usage.cpu[0], 10 * 160 * USAGE_SAMPLE_NS);
  });

  it('keeps what vCPUs used before max_vcpus removed them, in the sample they were removed in and after', () => {
    // Two pCPUs, one guest of two CPU-bound vCPUs: both run until the second is taken offline and removed, then one.
    const host = newHost(2);
    createDomain(host, 1, { max_vcpus: 2, vcpus: 2 });
    const removed_ns = 10 * USAGE_SAMPLE_NS + 7 * NS_PER_MS;
    host.advanceTo(removed_ns);
    must(host, { op: 'setonlinevcpus', domid: 1, vcpus: 1 });
    must(host, { op: 'max_vcpus', domid: 1, max_vcpus: 1 });
    for (const now_ns of [removed_ns + 5 * NS_PER_MS, 20 * USAGE_SAMPLE_NS, 20 * USAGE_SAMPLE_NS + 11 * NS_PER_MS]) {
      host.advanceTo(now_ns);
      const usage = used(host, NS_PER_S);
      assert.equal(usage.from_ns, 0);
      assert.equal(usage.cpu[1], 2 * removed_ns + (now_ns - removed_ns), `at ${now_ns} ns`);
      assert.equal(usage.pcpus[0]!.busy_ns + usage.pcpus[1]!.busy_ns, usage.cpu[1]);
    }
  });

  it('keeps the last ten minutes: older samples are gone, a longer window is refused', () => {
    const host = twoGuests();
    host.advanceTo(700 * NS_PER_S);
    const all = used(host, USAGE_HISTORY_NS);
    // The oldest kept sample is 20000 samples (600 s) before the last one, at 699.99 s.
    assert.equal(all.from_ns, 3333 * USAGE_SAMPLE_NS);
    assert.equal(all.cpu[1]! + all.cpu[2]!, 700 * NS_PER_S - 3333 * USAGE_SAMPLE_NS);
    const refused = host.domctl({ op: 'getusage', window_ns: USAGE_HISTORY_NS + 1 });
    assert.ok(!refused.ok && refused.error.field === 'window_ns' && /600000000000/.test(refused.error.message));
  });

  it('just after boot the window covers only what has run', () => {
    const host = twoGuests();
    host.advanceTo(100 * NS_PER_MS);
    const usage = used(host, NS_PER_S);
    assert.equal(usage.from_ns, 0);
    assert.equal(usage.cpu[1]! + usage.cpu[2]!, 100 * NS_PER_MS);
  });

  it('a destroyed domain is no longer reported; one created later starts from 0', () => {
    const host = twoGuests();
    host.advanceTo(3 * NS_PER_S);
    must(host, { op: 'destroydomain', domid: 2 });
    host.advanceTo(4 * NS_PER_S);
    const usage = used(host, 2 * NS_PER_S);
    assert.deepEqual(Object.keys(usage.cpu).sort(), ['0', '1']);
    assert.ok(usage.cpu[1]! >= NS_PER_S, 'alone for the last second');
    // Domain 2 again, idle: what the first domain 2 used, in this window or before, is not its.
    createDomain(host, 2, { workload: { type: 'idle' } });
    host.advanceTo(5 * NS_PER_S);
    for (const window_ns of [NS_PER_S, 3 * NS_PER_S, 5 * NS_PER_S]) assert.equal(used(host, window_ns).cpu[2], 0, `window ${window_ns} ns`);
  });

  it('counts the scheduler activity (schedstats)', () => {
    const host = newHost(2);
    createDomain(host, 1, { cap: 10 });
    createDomain(host, 2, { workload: { type: 'duty', run_ms: 1, sleep_ms: 9 } });
    createDomain(host, 3);
    createDomain(host, 4);
    createDomain(host, 5);
    host.advanceTo(3 * NS_PER_S);
    const stats = must(host, { op: 'schedstats' });
    assert.equal(stats.accounting_periods, 100, '3 s / 30 ms');
    assert.ok(stats.parks > 0 && stats.unparks > 0, 'the capped domain is parked and unparked');
    assert.ok(stats.boost_wakes > 0, 'the duty guest wakes boosted');
    assert.ok(stats.context_switches > 100);
  });
});
