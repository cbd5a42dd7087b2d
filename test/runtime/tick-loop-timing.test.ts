/** The tick loop fires once per period even when timers fire early, and reports stalls. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTickLoop } from '../../src/runtime/tick-loop.ts';

const NS_PER_MS = 1e6;

/** One pending timer on a hand-driven clock; `fire(offset_ms)` runs it that far from its due time (negative: early). */
function fakeTimers() {
  const t = {
    now: 500,
    pending: null as { at: number; fn: () => void } | null,
    now_ms: () => t.now,
    setTimeout(fn: () => void, delay_ms: number) {
      t.pending = { at: t.now + delay_ms, fn };
      return t.pending;
    },
    clearTimeout(handle: unknown) {
      if (handle === t.pending) t.pending = null;
    },
    fire(offset_ms = 0) {
      const timer = t.pending;
      assert.ok(timer, 'a timer is pending');
      t.pending = null;
      t.now = Math.max(t.now, timer.at + offset_ms);
      timer.fn();
    },
    /** Run every timer due by `until`, each `early_ms` before its time (as libuv's whole-ms clock does); at most `limit`. */
    runUntil(until: number, early_ms: number, limit = 1000) {
      for (let fired = 0; t.pending !== null && t.pending.at - early_ms <= until && fired < limit; fired++) {
        // A timer due sooner than `early_ms` fires when it is due: a clock never runs backwards.
        t.fire(Math.max(-early_ms, t.now - t.pending.at));
        if (t.now === until) break;
      }
      t.now = until;
    },
  };
  return t;
}

const fakeHost = () => {
  const host = { now_ns: 0, advanceTo: (t_ns: number) => void (host.now_ns = t_ns) };
  return host;
};

describe('tick loop timing', () => {
  it('fire 100 times in a second when every timer fires 0.6 ms early, not about twice as often', () => {
    const time = fakeTimers();
    const host = fakeHost();
    const loop = createTickLoop({ host, clock: time, timers: time, period_ms: 10 });
    loop.start();
    time.runUntil(500 + 1000, 0.6);
    loop.sync();
    assert.equal(loop.status().loop.ticks, 100);
    assert.equal(loop.status().loop.late_ticks, 0);
    assert.equal(host.now_ns, 1000 * NS_PER_MS, 'simulated time still tracks the clock');
  });

  it('report a stall with how late the tick fired; a tick a few ms late is not one', () => {
    const time = fakeTimers();
    const stalls: number[] = [];
    const loop = createTickLoop({ host: fakeHost(), clock: time, timers: time, period_ms: 10, onStall: (late_ms) => stalls.push(late_ms) });
    loop.start();
    time.fire(3);
    time.fire(250);
    time.fire(0);
    assert.deepEqual(stalls, [250]);
    // The 250 ms stall folded 25 deadlines into the late tick; the grid continues after it.
    assert.equal(loop.status().loop.late_ticks, 25);
    assert.equal(loop.status().loop.ticks, 3);
  });
});
