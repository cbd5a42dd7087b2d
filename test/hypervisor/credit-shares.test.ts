/**
 * What a user sees of the credit scheduler (README.md, "The simulated host"):
 * weights and caps on one pCPU, and the multi-pCPU properties. Expected shares are worked out from
 * weights and caps, not read back from a run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NS_PER_S, assertNear, createDomain, measureShares, must, newHost } from './helpers.ts';

const TOLERANCE_PT = 0.5;
const SECONDS = 30;

describe('credit scheduler on one pCPU', () => {
  it('weights 256 vs 512 give 1/3 and 2/3', () => {
    const host = newHost(1);
    createDomain(host, 1, { weight: 256 });
    createDomain(host, 2, { weight: 512 });
    const [a, b] = measureShares(host, [1, 2], SECONDS);
    assertNear(a!, (100 * 256) / 768, TOLERANCE_PT, 'weight 256');
    assertNear(b!, (100 * 512) / 768, TOLERANCE_PT, 'weight 512');
  });

  it('three domains of equal weight get a third each', () => {
    const host = newHost(1);
    for (const domid of [1, 2, 3]) createDomain(host, domid);
    for (const share of measureShares(host, [1, 2, 3], SECONDS)) assertNear(share, 100 / 3, TOLERANCE_PT, 'equal weight');
  });

  for (const cap of [10, 50]) {
    it(`cap ${cap} alone on the host gets ${cap}%, however idle the host`, () => {
      const host = newHost(1);
      createDomain(host, 1, { cap });
      const [share] = measureShares(host, [1], SECONDS);
      assertNear(share!, cap, TOLERANCE_PT, `cap ${cap}`);
    });
  }

  it('cap 10 against an uncapped domain: 10% / 90%', () => {
    const host = newHost(1);
    createDomain(host, 1, { cap: 10 });
    createDomain(host, 2);
    const [capped, uncapped] = measureShares(host, [1, 2], SECONDS);
    assertNear(capped!, 10, TOLERANCE_PT, 'capped');
    assertNear(uncapped!, 90, TOLERANCE_PT, 'uncapped');
  });

  it('is work-conserving: a lone uncapped domain gets the whole pCPU, and the pCPU is never idle', () => {
    const host = newHost(1);
    createDomain(host, 1, { weight: 1 });
    const [share] = measureShares(host, [1], SECONDS);
    assertNear(share!, 100, 0.05, 'lone domain');
    const [pcpu] = must(host, { op: 'getcpuinfo' });
    assert.equal(pcpu!.idle_ns, 0);
    assert.equal(pcpu!.busy_ns, host.now_ns);
  });

  it('enforces a cap within every second, not only on average', () => {
    const host = newHost(1);
    createDomain(host, 1, { cap: 10 });
    host.advanceTo(NS_PER_S);
    for (let second = 0; second < 10; second++) {
      const [share] = measureShares(host, [1], 1);
      // One 30 ms slice per 300 ms: a window of one second holds 3 or 4 of them.
      assert.ok(share! <= 12.0 + 1e-9, `second ${second}: ${share}% exceeds the cap's burst bound`);
      assert.ok(share! >= 9.0 - 1e-9, `second ${second}: ${share}% is below what the cap allows`);
    }
  });

  it('an idle domain does not hoard credit: its vCPU stops earning past one slice of credit', () => {
    const host = newHost(1);
    createDomain(host, 1, { workload: { type: 'duty', run_ms: 1, sleep_ms: 99 } });
    createDomain(host, 2);
    host.advanceTo(10 * NS_PER_S);
    const [vcpu] = must(host, { op: 'getvcpuinfo', domid: 1 });
    assert.ok(vcpu!.credit <= 300, `credit ${vcpu!.credit} exceeds one timeslice's worth`);
  });

  it('weight is per domain as in Xen 3.1: a 2-vCPU domain gets the same total as a 1-vCPU one', () => {
    const host = newHost(1);
    createDomain(host, 1, { vcpus: 2 });
    createDomain(host, 2);
    const [two, one] = measureShares(host, [1, 2], SECONDS);
    assertNear(two!, 50, TOLERANCE_PT, '2-vCPU domain');
    assertNear(one!, 50, TOLERANCE_PT, '1-vCPU domain');
  });
});

describe('credit scheduler on two pCPUs', () => {
  it('three equal 1-vCPU domains get 2/3 of a pCPU each', () => {
    const host = newHost(2);
    for (const domid of [1, 2, 3]) createDomain(host, domid);
    for (const share of measureShares(host, [1, 2, 3], SECONDS)) assertNear(share, 200 / 3, TOLERANCE_PT, 'equal weight');
  });

  it('a very heavy 1-vCPU domain gets one full pCPU and the others share the other', () => {
    const host = newHost(2);
    createDomain(host, 1, { weight: 65535 });
    createDomain(host, 2);
    createDomain(host, 3);
    const [heavy, a, b] = measureShares(host, [1, 2, 3], SECONDS);
    assertNear(heavy!, 100, TOLERANCE_PT, 'heavy');
    assertNear(a!, 50, TOLERANCE_PT, 'light a');
    assertNear(b!, 50, TOLERANCE_PT, 'light b');
  });

  it('vcpu-pin keeps a vCPU on its pCPUs, and the pinned pCPU is shared', () => {
    const host = newHost(2);
    createDomain(host, 1, { affinity: [[1]] });
    createDomain(host, 2, { affinity: [[1]] });
    createDomain(host, 3);
    host.advanceTo(NS_PER_S);
    let sawPinnedElsewhere = false;
    for (let step = 0; step < 1000; step++) {
      host.advanceTo(host.now_ns + 7_000_000);
      for (const domid of [1, 2]) {
        const [vcpu] = must(host, { op: 'getvcpuinfo', domid });
        if (vcpu!.pcpu !== 1) sawPinnedElsewhere = true;
      }
    }
    assert.equal(sawPinnedElsewhere, false);
    const [a, b, free] = measureShares(host, [1, 2, 3], SECONDS);
    assertNear(a!, 50, TOLERANCE_PT, 'pinned a');
    assertNear(b!, 50, TOLERANCE_PT, 'pinned b');
    assertNear(free!, 100, TOLERANCE_PT, 'unpinned domain on the other pCPU');
  });

  it('re-pinning a running vCPU moves it at once', () => {
    const host = newHost(2);
    createDomain(host, 1, { affinity: [[0]] });
    host.advanceTo(NS_PER_S);
    assert.equal(must(host, { op: 'getvcpuinfo', domid: 1 })[0]!.pcpu, 0);
    const moved = must(host, { op: 'setvcpuaffinity', domid: 1, vcpu: 0, pcpus: [1] });
    assert.deepEqual(moved.affinity, [1]);
    host.advanceTo(host.now_ns + 1);
    const [vcpu] = must(host, { op: 'getvcpuinfo', domid: 1 });
    assert.equal(vcpu!.pcpu, 1);
    assert.equal(vcpu!.state, 'running');
  });

  it('a 2-vCPU domain capped at 150 alone gets 1.5 pCPUs', () => {
    const host = newHost(2);
    createDomain(host, 1, { vcpus: 2, cap: 150 });
    const [share] = measureShares(host, [1], SECONDS);
    assertNear(share!, 150, TOLERANCE_PT, 'cap 150');
  });

  it('vCPU hot-plug: a 1-vCPU domain uses one pCPU, plugged up to 2 it uses both, unplugged back to one', () => {
    const host = newHost(2);
    createDomain(host, 1, { max_vcpus: 2, vcpus: 1 });
    assertNear(measureShares(host, [1], 10)[0]!, 100, TOLERANCE_PT, 'one vCPU online');
    must(host, { op: 'setonlinevcpus', domid: 1, vcpus: 2 });
    assertNear(measureShares(host, [1], 10)[0]!, 200, TOLERANCE_PT, 'two vCPUs online');
    const vcpus = must(host, { op: 'getvcpuinfo', domid: 1 });
    assert.deepEqual(vcpus.map((v) => v.state), ['running', 'running']);
    must(host, { op: 'setonlinevcpus', domid: 1, vcpus: 1 });
    assertNear(measureShares(host, [1], 10)[0]!, 100, TOLERANCE_PT, 'back to one');
    assert.equal(must(host, { op: 'getvcpuinfo', domid: 1 })[1]!.state, 'offline');
  });

  it('pause stops a domain at once and unpause resumes it', () => {
    const host = newHost(1);
    createDomain(host, 1);
    createDomain(host, 2);
    must(host, { op: 'pausedomain', domid: 1 });
    const [paused, other] = measureShares(host, [1, 2], 5);
    assert.equal(paused, 0);
    assertNear(other!, 100, 0.05, 'the other domain');
    assert.equal(must(host, { op: 'getvcpuinfo', domid: 1 })[0]!.state, 'offline');
    must(host, { op: 'unpausedomain', domid: 1 });
    const [a, b] = measureShares(host, [1, 2], SECONDS);
    assertNear(a!, 50, TOLERANCE_PT, 'unpaused');
    assertNear(b!, 50, TOLERANCE_PT, 'other');
  });
});
