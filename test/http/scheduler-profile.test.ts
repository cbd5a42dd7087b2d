/**
 * Scheduler profiles: Xen 3.1's rules are one setting. The tick-dodging guest
 * (runs 9.5 ms, sleeps 0.5 ms, so it is asleep at every 10 ms tick) takes
 * about 95% of a pCPU against an equal-weight hog under xen-3.1 (sampled
 * accounting, no ratelimit), but only about half with sampled accounting and
 * the 1000 µs ratelimit: the hog keeps the pCPU for a millisecond after each
 * wake, the guest's phase drifts onto the ticks and it is charged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, type TestDaemon } from '../helpers.ts';

const SECONDS = 30;
const gamer = { type: 'duty', run_ms: 9.5, sleep_ms: 0.5 };

/** The gaming guest's percent of the pCPU against a CPU-bound hog, under the scheduler set by `body`. */
async function gamerShare(d: TestDaemon, body: Record<string, unknown>): Promise<number> {
  const set = await d.request('PUT', '/api/v1/scheduler', body);
  assert.equal(set.status, 200, JSON.stringify(set.body));
  await d.request('POST', '/api/v1/domains', { name: 'gamer', start: true, workload: gamer });
  await d.request('POST', '/api/v1/domains', { name: 'hog', start: true });
  await d.request('POST', '/api/v1/host/clock/advance', { ms: SECONDS * 1000 });
  const gamerNs = (await d.request('GET', '/api/v1/domains/gamer')).body.cpu_time_ns;
  return (100 * gamerNs) / (SECONDS * 1e9);
}

describe('scheduler profiles', () => {
  it('xen-3.1 sets sampled accounting, no ratelimit and a 30 ms slice, and GET /scheduler names it', async (t) => {
    const d = await build(t, { pcpus: 1 });
    const set = await d.request('PUT', '/api/v1/scheduler', { profile: 'xen-3.1' });
    const expected = { name: 'credit', profile: 'xen-3.1', tick_ms: 10, tslice_ms: 30, ratelimit_us: 0, accounting: 'sampled' };
    assert.deepEqual([set.status, set.body], [200, expected]);
    assert.deepEqual((await d.request('GET', '/api/v1/scheduler')).body, expected);
    const back = await d.request('PUT', '/api/v1/scheduler', { profile: 'xen-4.x' });
    assert.deepEqual(back.body, { name: 'credit', profile: 'xen-4.x', tick_ms: 10, tslice_ms: 30, ratelimit_us: 1000, accounting: 'exact' });
    // A parameter beside the profile overrides it, and the result is no longer the profile.
    const tuned = await d.request('PUT', '/api/v1/scheduler', { profile: 'xen-3.1', tslice_ms: 10 });
    assert.deepEqual([tuned.body.profile, tuned.body.tslice_ms, tuned.body.accounting], ['custom', 10, 'sampled']);
    const bad = await d.request('PUT', '/api/v1/scheduler', { profile: 'xen-2.0' });
    assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, 'INVALID_ARGUMENT', 'profile']);
  });

  it('xen-3.1: the tick-dodging guest takes about 95% against an equal-weight hog', async (t) => {
    const d = await build(t, { pcpus: 1 });
    const share = await gamerShare(d, { profile: 'xen-3.1' });
    assert.ok(Math.abs(share - 95) <= 2, `${share.toFixed(2)}%`);
  });

  it('sampled accounting with the 1000 µs ratelimit: the same guest gets about half', async (t) => {
    const d = await build(t, { pcpus: 1 });
    const share = await gamerShare(d, { accounting: 'sampled' });
    assert.ok(Math.abs(share - 48) <= 3, `${share.toFixed(2)}%`);
  });

  it('xen-4.x (exact accounting): the guest gets its fair 50%', async (t) => {
    const d = await build(t, { pcpus: 1 });
    const share = await gamerShare(d, { profile: 'xen-4.x' });
    assert.ok(Math.abs(share - 50) <= 1, `${share.toFixed(2)}%`);
  });
});
