import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { MonotonicClock, Timers } from '../../src/runtime/clock.ts';
import { build } from '../helpers.ts';

/** A monotonic clock and one timer that the test fires by hand, as late as it likes. */
function handDrivenTime(): MonotonicClock & Timers & { fire(late_ms: number): void } {
  let now = 1000;
  let pending: { at: number; fn: () => void } | null = null;
  return {
    now_ms: () => now,
    setTimeout(fn, delay_ms) {
      pending = { at: now + delay_ms, fn };
      return pending;
    },
    clearTimeout(handle) {
      if (handle === pending) pending = null;
    },
    fire(late_ms) {
      const timer = pending;
      assert.ok(timer, 'a timer is pending');
      pending = null;
      now = Math.max(now, timer.at + late_ms);
      timer.fn();
    },
  };
}

describe('a late tick of the real-time loop', () => {
  it('logs one warning that says what it means and when to care; a tick on time logs nothing', async (t) => {
    const time = handDrivenTime();
    const lines: Record<string, unknown>[] = [];
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)));
    const d = await build(t, { clock: time, timers: time, speed: 1, logLevel: 'warn', logStream });
    d.loop.start();
    time.fire(0);
    time.fire(5);
    time.fire(250);
    await new Promise(setImmediate);
    assert.deepEqual(lines.map(({ level, late_ms, msg }) => ({ level, late_ms, msg })), [
      {
        level: 40,
        late_ms: 250,
        msg:
          'real-time loop held up: a 100 ms tick ran 250 ms late, as the process did not get the CPU (a busy machine, a long request, a garbage collection); ' +
          'simulated time catches up, so this matters only if it repeats on a machine with CPU to spare (nemesis_tick_lateness_seconds in /metrics)',
      },
    ]);
  });
});
