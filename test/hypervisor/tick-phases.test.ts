/**
 * Per-pCPU tick phases: each pCPU's 10 ms tick has its own phase, spread
 * evenly over the period (pCPU i at i × 10 / n ms), and
 * accounting runs on the master pCPU 0's tick, before the other pCPUs' ticks
 * of that period. Sampled accounting makes the phase visible: a vCPU is
 * charged 100 credits at its pCPU's tick.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NS_PER_MS, createDomain, must, newHost } from './helpers.ts';

const creditAt = (pcpu: number, ms: number): number => {
  const host = newHost(2);
  must(host, { op: 'sched_global', cmd: 'putinfo', params: { accounting: 'sampled', ratelimit_us: 0 } });
  createDomain(host, 1, { affinity: [[pcpu]] });
  host.advanceTo(ms * NS_PER_MS);
  return must(host, { op: 'getvcpuinfo', domid: 1 })[0]!.credit;
};

describe('per-pCPU tick phases', () => {
  it('on 2 pCPUs, pCPU 0 ticks at 10, 20 ms, pCPU 1 at 15, 25 ms', () => {
    assert.deepEqual([creditAt(0, 9), creditAt(0, 12), creditAt(0, 22)], [0, -100, -200]);
    assert.deepEqual([creditAt(1, 12), creditAt(1, 17), creditAt(1, 27)], [0, -100, -200]);
  });

  it("accounting falls on pCPU 0's tick at 30 ms, before pCPU 1's tick at 35 ms", () => {
    // Between 30 and 35 ms both have been accounted once; pCPU 0's vCPU has paid one tick more.
    const onMaster = creditAt(0, 32);
    const onOther = creditAt(1, 32);
    assert.equal(onOther - onMaster, 100);
    assert.equal(creditAt(1, 36), onOther - 100);
  });
});
