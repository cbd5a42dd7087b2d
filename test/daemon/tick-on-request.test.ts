/**
 * A due tick runs at the start of the next request: on a busy event loop the
 * tick loop's timer waits behind every request already received.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { build } from '../helpers.ts';

it('a request runs the tick whose deadline has passed, before its timer fires', async (t) => {
  let now_ms = 0;
  const armed: (() => void)[] = [];
  const timers = { setTimeout: (fn: () => void) => armed.push(fn), clearTimeout: () => undefined };
  const daemon = await build(t, { speed: 1, clock: { now_ms: () => now_ms }, timers });
  daemon.loop.start();
  const at = (): { ticks: number; now_ns: number } => ({ ticks: daemon.loop.status().loop.ticks, now_ns: daemon.loop.status().now_ns });

  // At speed 1 the loop ticks every 100 ms.
  now_ms = 95;
  assert.equal((await daemon.request('GET', '/healthz')).status, 200);
  assert.equal(at().ticks, 0, 'not due yet');
  now_ms = 102;
  assert.equal((await daemon.request('GET', '/healthz')).status, 200);
  assert.deepEqual(at(), { ticks: 1, now_ns: 102_000_000 }, 'the tick ran, advancing the host to now');
  assert.equal(daemon.loop.status().loop.last_late_ms, 2);
});
