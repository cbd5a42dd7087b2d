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
  it('is not running at speed 0 although the loop is armed, and runs again at speed 1', () => {
    const loop = createTickLoop({ host: { now_ns: 0, advanceTo: () => undefined }, clock: stillTime, timers: stillTime, speed: 1 });
    loop.start();
    assert.deepEqual([loop.status().running, loop.status().loop.running], [true, true]);
    loop.setSpeed(0);
    assert.deepEqual([loop.status().running, loop.status().loop.running], [false, true]);
    loop.setSpeed(1);
    assert.equal(loop.status().running, true);
    loop.stop();
    assert.deepEqual([loop.status().running, loop.status().loop.running], [false, false]);
  });

  it('GET /host groups the loop figures under clock.loop', async (t) => {
    const d = await build(t, { pcpus: 1 });
    const { clock } = (await d.request('GET', '/api/v1/host')).body;
    assert.deepEqual(Object.keys(clock).sort(), ['loop', 'now_ns', 'running', 'skipped_ns', 'speed']);
    assert.deepEqual(clock.loop, { running: false, ticks: 0, late_ticks: 0, last_late_ms: 0, max_late_ms: 0 });
    assert.equal(clock.running, false);
  });
});
