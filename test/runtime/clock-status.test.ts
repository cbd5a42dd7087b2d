/**
 * GET /host's clock: `running` says whether simulated time moves by itself,
 * and the real-time loop's wall-clock figures are grouped under `loop`, apart
 * from anything the scheduler counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTickLoop } from '../../src/runtime/tick-loop.ts';
import { build } from '../helpers.ts';

/** A clock that stands still and timers that never fire: only the loop's own state is read. */
const stillTime = { now_ms: () => 0, setTimeout: () => ({}), clearTimeout: () => undefined };

describe('the clock status', () => {
  it('is not running at speed 0, when the loop disarms its timer, and runs again at speed 1', () => {
    const loop = createTickLoop({ host: { now_ns: 0, advanceTo: () => undefined }, clock: stillTime, timers: stillTime, speed: 1 });
    loop.start();
    assert.deepEqual([loop.status().running, loop.status().loop.running, loop.status().loop.period_ms], [true, true, 100]);
    loop.setSpeed(0);
    assert.deepEqual([loop.status().running, loop.status().loop.running, loop.status().loop.period_ms], [false, false, 0]);
    loop.setSpeed(1);
    assert.deepEqual([loop.status().running, loop.status().loop.running], [true, true]);
    loop.stop();
    assert.deepEqual([loop.status().running, loop.status().loop.running], [false, false]);
    loop.setSpeed(20);
    assert.deepEqual([loop.status().running, loop.status().loop.running], [false, false], 'a stopped loop stays stopped');
  });

  it('GET /host groups the loop figures under clock.loop', async (t) => {
    const d = await build(t, { pcpus: 1 });
    const { clock } = (await d.request('GET', '/api/v1/host')).body;
    assert.deepEqual(Object.keys(clock).sort(), ['loop', 'now_ns', 'running', 'skipped_ns', 'speed']);
    assert.deepEqual(clock.loop, { running: false, period_ms: 0, ticks: 0, late_ticks: 0, last_late_ms: 0, max_late_ms: 0 });
    assert.equal(clock.running, false);
  });

  it('PUT /host/clock disarms the loop when it freezes the clock and arms it again at the new speed', async (t) => {
    const armed: number[] = [];
    const timers = { setTimeout: (_fn: () => void, delay_ms: number) => armed.push(delay_ms), clearTimeout: () => undefined };
    const d = await build(t, { pcpus: 1, speed: 1, clock: { now_ms: () => 0 }, timers });
    d.loop.start();
    const loopAt = async (speed: number) => (await d.request('PUT', '/api/v1/host/clock', { speed })).body.loop;
    assert.deepEqual(armed, [100]);
    assert.deepEqual(await loopAt(0), { running: false, period_ms: 0, ticks: 0, late_ticks: 0, last_late_ms: 0, max_late_ms: 0 });
    const running = await loopAt(50);
    assert.deepEqual([running.running, running.period_ms], [true, 10]);
    assert.deepEqual(armed, [100, 10]);
    assert.equal((await d.request('GET', '/api/v1/host')).body.clock.running, true);
  });
});
