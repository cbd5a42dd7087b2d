import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BucketCounts } from '../../src/runtime/histogram.ts';
import { createTickLoop } from '../../src/runtime/tick-loop.ts';

describe('tick lateness histogram', () => {
  it('counts each tick in the bucket of how late it fired', () => {
    let now = 0;
    let pending: { at: number; fn: () => void } | null = null;
    const time = {
      now_ms: () => now,
      setTimeout: (fn: () => void, delay_ms: number) => (pending = { at: now + delay_ms, fn }),
      clearTimeout: () => void (pending = null),
    };
    const host = { now_ns: 0, advanceTo: (t: number) => void (host.now_ns = t) };
    const loop = createTickLoop({ host, clock: time, timers: time });
    loop.start();
    for (const late_ms of [0, 0.5, 3, 40, 3000]) {
      const timer = pending!;
      now = timer.at + late_ms;
      timer.fn();
    }
    const h = loop.lateness();
    assert.equal(h.count, 5);
    assert.ok(Math.abs(h.sum - 3.0435) < 1e-9, `${h.sum}`);
    // Cumulative counts at ≤ 1 ms, 2, 5, 10, 25, 50 ms …: 0 and 0.5 ms; then 3 ms; then 40 ms; 3 s is above every bound.
    assert.deepEqual(h.counts, [2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4]);
  });

  it('BucketCounts: cumulative counts, +Inf only in the total', () => {
    const b = new BucketCounts([1, 10]);
    for (const v of [0.5, 1, 5, 11]) b.observe(v);
    assert.deepEqual(b.snapshot(), { bounds: [1, 10], counts: [2, 3], sum: 17.5, count: 4 });
  });
});
