import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MonotonicClock, Timers } from '../../src/runtime/clock.ts';
import { createTickLoop, periodAt, type AdvanceableHost } from '../../src/runtime/tick-loop.ts';

const NS_PER_MS = 1e6;

/** A monotonic clock and a single-timer scheduler that the test drives by hand. */
function fakeTime(): MonotonicClock & Timers & { now: number; pending: { at: number; fn: () => void } | null; delays: number[]; fire(late_ms?: number): void } {
  const time = {
    now: 1000,
    pending: null as { at: number; fn: () => void } | null,
    delays: [] as number[],
    now_ms: () => time.now,
    setTimeout(fn: () => void, delay_ms: number) {
      time.delays.push(delay_ms);
      time.pending = { at: time.now + delay_ms, fn };
      return time.pending;
    },
    clearTimeout(handle: unknown) {
      if (handle === time.pending) time.pending = null;
    },
    /** Run the pending timer, `late_ms` after its due time. */
    fire(late_ms = 0) {
      const timer = time.pending;
      assert.ok(timer, 'a timer is pending');
      time.pending = null;
      time.now = Math.max(time.now, timer.at + late_ms);
      timer.fn();
    },
  };
  return time;
}

function fakeHost(): AdvanceableHost & { calls: number } {
  const host = {
    now_ns: 0,
    calls: 0,
    advanceTo(t_ns: number) {
      assert.ok(Number.isInteger(t_ns), 'whole ns');
      assert.ok(t_ns >= host.now_ns, 'time never goes backwards');
      host.now_ns = t_ns;
      host.calls += 1;
    },
  };
  return host;
}

/** The grid's arithmetic, at a fixed 10 ms period. */
const PERIOD_MS = 10;

describe('tickLoop', () => {
  it('advance the host to real time every tick', () => {
    const time = fakeTime();
    const host = fakeHost();
    const loop = createTickLoop({ host, clock: time, timers: time, period_ms: PERIOD_MS });
    loop.start();
    for (let i = 0; i < 100; i++) time.fire();
    assert.equal(host.now_ns, 1000 * NS_PER_MS);
    assert.equal(loop.status().loop.ticks, 100);
    assert.deepEqual(new Set(time.delays), new Set([10]));
  });

  it('schedule against fixed deadlines: a late tick shortens the next wait, and no time is lost', () => {
    const time = fakeTime();
    const host = fakeHost();
    const loop = createTickLoop({ host, clock: time, timers: time, period_ms: PERIOD_MS });
    loop.start();
    for (let i = 0; i < 50; i++) time.fire(3);
    // Each fire comes 3 ms late, so each next wait is 7 ms: the grid stays at multiples of 10 from the start.
    assert.deepEqual(time.delays.slice(0, 4), [10, 7, 7, 7]);
    assert.equal(time.now - 1000, 50 * 10 + 3);
    assert.equal(host.now_ns, (time.now - 1000) * NS_PER_MS, 'simulated time tracks the clock exactly');
    assert.equal(loop.status().loop.last_late_ms, 3);
    assert.equal(loop.status().loop.late_ticks, 0);
  });

  it('bound the catch-up after a stall and count what was skipped', () => {
    const time = fakeTime();
    const host = fakeHost();
    const loop = createTickLoop({ host, clock: time, timers: time, period_ms: PERIOD_MS, min_catchup_ms: 1000 });
    loop.start();
    time.fire();
    assert.equal(host.now_ns, 10 * NS_PER_MS);
    time.fire(5000); // the event loop was blocked: this tick comes 5 s late, 5010 ms after the last one
    assert.equal(host.now_ns, (10 + 1000) * NS_PER_MS, 'at most 1 s caught up');
    const status = loop.status();
    assert.equal(status.skipped_ns, 4010 * NS_PER_MS);
    assert.equal(status.loop.last_late_ms, 5000);
    assert.equal(status.loop.late_ticks, 500);
    // Afterwards simulated time runs on from there at the same speed.
    time.fire();
    assert.equal(host.now_ns, (10 + 1000 + 10) * NS_PER_MS);
  });

  it('freeze at speed 0, advance on request, and run accelerated', async () => {
    const time = fakeTime();
    const host = fakeHost();
    const loop = createTickLoop({ host, clock: time, timers: time, period_ms: PERIOD_MS, speed: 0 });
    loop.start();
    assert.equal(time.pending, null, 'no timer while frozen');
    time.now += 100;
    loop.sync();
    assert.equal(host.now_ns, 0, 'frozen');
    await loop.advance(250);
    assert.equal(host.now_ns, 250 * NS_PER_MS);
    loop.setSpeed(1000);
    time.fire();
    assert.equal(host.now_ns, (250 + 10_000) * NS_PER_MS, '10 ms of real time is 10 s at speed 1000');
    assert.equal(loop.status().skipped_ns, 0, 'a normal accelerated tick is not a stall');
    loop.setSpeed(1);
    time.fire();
    assert.equal(host.now_ns, (250 + 10_000 + 10) * NS_PER_MS);
    await loop.advance(5);
    time.fire();
    assert.equal(host.now_ns, (250 + 10_000 + 10 + 5 + 10) * NS_PER_MS, 'advance adds to, not replaces, the running clock');
  });

  it('sync between ticks brings the host to "now"', () => {
    const time = fakeTime();
    const host = fakeHost();
    const loop = createTickLoop({ host, clock: time, timers: time, speed: 2 });
    loop.start();
    time.now += 4.5;
    loop.sync();
    assert.equal(host.now_ns, 9 * NS_PER_MS);
    loop.sync();
    assert.equal(host.calls, 1, 'no advance when already there');
  });


  it('tickIfDue runs a tick whose deadline has passed before its timer does, and nothing before then', () => {
    const time = fakeTime();
    const host = fakeHost();
    const loop = createTickLoop({ host, clock: time, timers: time, period_ms: PERIOD_MS });
    loop.start();
    time.now += 9.5;
    loop.tickIfDue();
    assert.equal(loop.status().loop.ticks, 0, 'not yet due');
    assert.equal(host.calls, 0);
    time.now += 1.25;
    const armed = time.pending;
    loop.tickIfDue();
    assert.equal(loop.status().loop.ticks, 1);
    assert.equal(loop.status().loop.last_late_ms, 0.75, 'as late as the check, not as the timer would have been');
    assert.equal(host.now_ns, 10.75 * NS_PER_MS);
    assert.notEqual(time.pending, armed, 'the timer that was due is replaced, not left to tick again');
    assert.equal(time.pending?.at, 1020, 'the next deadline stays on the grid');
    loop.tickIfDue();
    assert.equal(loop.status().loop.ticks, 1, 'one tick per deadline');
    loop.stop();
    time.now += 50;
    loop.tickIfDue();
    assert.equal(loop.status().loop.ticks, 1, 'a stopped loop does not tick');
  });
  it('tick once per 100 ms of simulated time: every 100 ms at speed 1, every 10 ms from speed 10, never while frozen', () => {
    const time = fakeTime();
    const host = fakeHost();
    const loop = createTickLoop({ host, clock: time, timers: time });
    loop.start();
    assert.deepEqual(time.delays, [100]);
    assert.equal(loop.status().loop.period_ms, 100);
    time.fire();
    assert.equal(host.now_ns, 100 * NS_PER_MS);
    loop.setSpeed(10);
    assert.equal(time.pending?.at, time.now + 10, 'a new grid from the change, at the new period');
    time.fire();
    assert.equal(host.now_ns, 200 * NS_PER_MS, '10 ms at speed 10');
    loop.setSpeed(0);
    assert.equal(time.pending, null, 'the timer is disarmed');
    assert.deepEqual([loop.status().running, loop.status().loop.running, loop.status().loop.period_ms], [false, false, 0]);
    time.now += 5000;
    loop.tickIfDue();
    loop.sync();
    assert.equal(host.now_ns, 200 * NS_PER_MS, 'frozen: nothing moves');
    loop.setSpeed(2);
    assert.deepEqual(time.delays.slice(-1), [50]);
    time.fire();
    assert.equal(host.now_ns, 300 * NS_PER_MS, '50 ms at speed 2');
    assert.equal(loop.status().loop.ticks, 3);
    assert.equal(loop.status().loop.late_ticks, 0, 'a speed change is not a late tick');
  });

  it('periodAt: 100 ms of simulated time a tick, within 10..100 ms of real time', () => {
    assert.deepEqual([0.25, 1, 2, 3, 10, 1000].map(periodAt), [100, 100, 50, 33, 10, 10]);
  });

  it('refuse bad speeds and advances; stop cancels the timer', () => {
    const time = fakeTime();
    const loop = createTickLoop({ host: fakeHost(), clock: time, timers: time });
    assert.throws(() => loop.setSpeed(-1), RangeError);
    assert.throws(() => loop.setSpeed(1001), RangeError);
    assert.throws(() => loop.setSpeed(Number.NaN), RangeError);
    assert.throws(() => loop.advance(86_400_001), RangeError);
    loop.start();
    assert.equal(loop.status().running, true);
    loop.stop();
    assert.equal(time.pending, null);
    assert.equal(loop.status().running, false);
  });
});

describe('tickLoop advance', () => {
  it('does not count the real time an advance takes to compute as a stall', async () => {
    const time = fakeTime();
    const host = fakeHost();
    const slowHost: AdvanceableHost = {
      get now_ns() {
        return host.now_ns;
      },
      advanceTo(t_ns: number) {
        if (t_ns - host.now_ns > 1000 * NS_PER_MS) time.now += 3000; // computing a long advance takes 3 s
        host.advanceTo(t_ns);
      },
    };
    const loop = createTickLoop({ host: slowHost, clock: time, timers: time });
    loop.start();
    await loop.advance(60_000);
    assert.equal(host.now_ns, 60_000 * NS_PER_MS);
    time.fire();
    assert.equal(loop.status().skipped_ns, 0);
    assert.ok(host.now_ns - 60_000 * NS_PER_MS <= 10 * NS_PER_MS, 'runs on in real time from the end of the advance');
  });

  /** A host whose every advanceTo costs `cost_ms` of (fake) real time. */
  const costlyHost = (time: { now: number }, cost_ms: number): AdvanceableHost & { calls: number } => {
    const host = fakeHost();
    return {
      get now_ns() {
        return host.now_ns;
      },
      get calls() {
        return host.calls;
      },
      advanceTo(t_ns: number) {
        time.now += cost_ms;
        host.advanceTo(t_ns);
      },
    };
  };

  it('computes a long advance in chunks, giving the event loop a turn between them', async () => {
    const time = fakeTime();
    const host = costlyHost(time, 30);
    const loop = createTickLoop({ host, clock: time, timers: time, speed: 0 });
    let turns = 0;
    let done = false;
    const advanced = loop.advance(3_600_000).then(() => (done = true));
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!done) turns++;
    }
    await advanced;
    assert.equal(host.now_ns, 3_600_000 * NS_PER_MS, 'the whole hour, however it was split');
    // 30 ms a chunk is over the 20 ms aimed at: chunks stay small, so other work ran many times.
    assert.ok(host.calls > 100, `${host.calls} chunks`);
    assert.ok(turns > 100, `${turns} turns for the rest of the event loop`);
  });

  it('runs concurrent advances one after the other, so they add up', async () => {
    const time = fakeTime();
    const host = costlyHost(time, 5);
    const loop = createTickLoop({ host, clock: time, timers: time, speed: 0 });
    await Promise.all([loop.advance(10_000), loop.advance(2_500), loop.advance(0)]);
    assert.equal(host.now_ns, 12_500 * NS_PER_MS);
  });

  it('ends an advance in progress where it has got to when the loop stops', async () => {
    const time = fakeTime();
    const host = costlyHost(time, 30);
    const loop = createTickLoop({ host, clock: time, timers: time, speed: 0 });
    const advanced = loop.advance(86_400_000);
    await new Promise((resolve) => setImmediate(resolve));
    loop.stop();
    await advanced;
    assert.ok(host.now_ns > 0 && host.now_ns < 86_400_000 * NS_PER_MS, `stopped at ${host.now_ns} ns`);
  });
});
