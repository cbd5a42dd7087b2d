/** The sub-scheduler's split of a group's credit into whole credits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apportion } from '../../src/hypervisor/sched/credit.ts';

describe('apportion', () => {
  it('adds up to the total and follows the shares to within one credit', () => {
    for (const [total, shares] of [
      [30, [128, 300]],
      [31, [1, 1, 1]],
      [300, [3, 1]],
      [7, [65535, 1, 1]],
      [0, [5, 5]],
    ] as const) {
      const parts = apportion(total, shares);
      assert.equal(parts.reduce((a, b) => a + b, 0), total);
      const shareTotal = shares.reduce((a, b) => a + b, 0);
      parts.forEach((part, i) => assert.ok(Math.abs(part - (total * shares[i]!) / shareTotal) < 1, `${total} by ${shares}: ${parts}`));
    }
  });

  it('gives the larger remainder the spare credit, the earlier vCPU on a tie', () => {
    assert.deepEqual(apportion(31, [1, 1, 1]), [11, 10, 10]);
    assert.deepEqual(apportion(10, [1, 2]), [3, 7]);
    assert.deepEqual(apportion(300, [768, 256]), [225, 75]);
  });
});
