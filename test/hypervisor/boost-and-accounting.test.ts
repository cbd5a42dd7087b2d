/**
 * BOOST for I/O-like guests, and the two accounting modes: Xen 3.1's sampled
 * accounting (gameable) against this project's exact default.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NS_PER_MS, assertNear, createDomain, measureShares, must, newHost } from './helpers.ts';

describe('BOOST', () => {
  it('a duty guest (1 ms run, 9 ms sleep) among CPU hogs runs within 1 ms of each wake on average, and gets its full 10%', () => {
    const host = newHost(1);
    createDomain(host, 1, { workload: { type: 'duty', run_ms: 1, sleep_ms: 9 } });
    createDomain(host, 2);
    createDomain(host, 3);
    const before = must(host, { op: 'getvcpuinfo', domid: 1 })[0]!;
    const [duty, hogA, hogB] = measureShares(host, [1, 2, 3], 30);
    const after = must(host, { op: 'getvcpuinfo', domid: 1 })[0]!;
    const wakes = after.wakeups - before.wakeups;
    const waited_ns = after.runstate_ns.runnable - before.runstate_ns.runnable;
    // 30 s of 10 ms cycles: about 3000 wakes, and it must not lose any to the hogs.
    assert.ok(wakes >= 2990, `only ${wakes} wakes`);
    assert.ok(waited_ns / wakes < NS_PER_MS, `mean wake-to-run latency ${(waited_ns / wakes / NS_PER_MS).toFixed(3)} ms`);
    assertNear(duty!, 10, 0.3, 'duty guest');
    assertNear(hogA!, 45, 0.5, 'hog a');
    assertNear(hogB!, 45, 0.5, 'hog b');
  });

  it('without BOOST to help, a woken vCPU waits: an OVER duty guest is not boosted', () => {
    // Weight 1 against 65535: the duty guest's credit goes negative (OVER) so its wakes are not boosted.
    const host = newHost(1);
    createDomain(host, 1, { weight: 1, workload: { type: 'duty', run_ms: 5, sleep_ms: 5 } });
    createDomain(host, 2, { weight: 65535 });
    const before = must(host, { op: 'getvcpuinfo', domid: 1 })[0]!;
    host.advanceTo(host.now_ns + 30_000 * NS_PER_MS);
    const after = must(host, { op: 'getvcpuinfo', domid: 1 })[0]!;
    const wakes = after.wakeups - before.wakeups;
    const waited_ns = after.runstate_ns.runnable - before.runstate_ns.runnable;
    assert.ok(waited_ns / wakes > 5 * NS_PER_MS, `mean latency ${(waited_ns / wakes / NS_PER_MS).toFixed(3)} ms should show no boost`);
  });
});

describe('accounting modes', () => {
  // A guest that runs 9.5 ms and sleeps 0.5 ms, so it is asleep at every 10 ms tick.
  const gamer = { type: 'duty', run_ms: 9.5, sleep_ms: 0.5 } as const;

  for (const [accounting, expected, tolerance] of [
    ['sampled', 95, 2],
    ['exact', 50, 1],
  ] as const) {
    it(`${accounting}: a guest that blocks just before each tick gets ${expected}% against an equal-weight hog`, () => {
      const host = newHost(1);
      must(host, { op: 'sched_global', cmd: 'putinfo', params: { accounting, ratelimit_us: 0 } });
      createDomain(host, 1, { workload: gamer });
      createDomain(host, 2);
      const [gaming, hog] = measureShares(host, [1, 2], 30);
      assertNear(gaming!, expected, tolerance, `${accounting} gaming guest`);
      assertNear(hog!, 100 - gaming!, 0.01, 'the hog gets the rest');
    });
  }

  it('sampled accounting never charges the gaming guest, so it never becomes active', () => {
    const host = newHost(1);
    must(host, { op: 'sched_global', cmd: 'putinfo', params: { accounting: 'sampled', ratelimit_us: 0 } });
    createDomain(host, 1, { workload: gamer });
    createDomain(host, 2);
    host.advanceTo(10_000 * NS_PER_MS);
    const [vcpu] = must(host, { op: 'getvcpuinfo', domid: 1 });
    assert.equal(vcpu!.credit, 0);
  });

  it('ratelimit keeps a vCPU that ran under ratelimit_us on its pCPU despite a boosted wake', () => {
    const latency = (ratelimit_us: number): number => {
      const host = newHost(1);
      must(host, { op: 'sched_global', cmd: 'putinfo', params: { ratelimit_us, tslice_ms: 30 } });
      createDomain(host, 1, { workload: { type: 'duty', run_ms: 1, sleep_ms: 9 } });
      createDomain(host, 2);
      host.advanceTo(20_000 * NS_PER_MS);
      const [vcpu] = must(host, { op: 'getvcpuinfo', domid: 1 });
      return vcpu!.runstate_ns.runnable / vcpu!.wakeups;
    };
    // The hog has run 9 ms when the guest wakes: a 20 ms ratelimit holds the wake off ~11 ms; none lets it preempt.
    assert.ok(latency(0) < 0.1 * NS_PER_MS, `no ratelimit: ${latency(0)} ns`);
    assert.ok(latency(20_000) > 5 * NS_PER_MS, `ratelimit 20 ms: ${latency(20_000)} ns`);
  });

  it('tslice_ms changes the accounting period and slice length', () => {
    const host = newHost(1);
    must(host, { op: 'sched_global', cmd: 'putinfo', params: { tslice_ms: 5, ratelimit_us: 0 } });
    createDomain(host, 1);
    createDomain(host, 2);
    host.advanceTo(NS_PER_MS * 1000);
    let switches = 0;
    let last = must(host, { op: 'getcpuinfo' })[0]!.current?.domain;
    for (let t = 0; t < 1000; t++) {
      host.advanceTo(host.now_ns + NS_PER_MS);
      const now = must(host, { op: 'getcpuinfo' })[0]!.current?.domain;
      if (now !== last) switches++;
      last = now;
    }
    // Two hogs alternating every 5 ms slice: about 200 switches a second (30 ms slices would give about 33).
    assert.ok(switches >= 150 && switches <= 210, `${switches} switches in 1 s`);
    const [a, b] = measureShares(host, [1, 2], 30);
    assertNear(a!, 50, 0.5, 'a');
    assertNear(b!, 50, 0.5, 'b');
  });
});
