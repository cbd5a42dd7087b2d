/**
 * A run reproduces from the API: a seed chosen at start
 * and reported, the clock frozen from the start, advances to the nanosecond,
 * and the clock speed kept across restarts (a start-up speed overrides it).
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { applyFlags, ConfigError, loadRunConfig } from '../../src/config.ts';
import { build } from '../helpers.ts';

/** The same scripted experiment: domains of every workload, a group, advances in ns and ms. */
async function experiment(t: TestContext, seed: number): Promise<{ hash: string; cpu: number[]; host: Record<string, unknown> }> {
  const d = await build(t, { seed, pcpus: 2 });
  const r = d.request;
  await r('POST', '/api/v1/domains', { name: 'web', start: true, vcpus: 2, workload: { type: 'duty', run_ms: 3.3, sleep_ms: 1.7 } });
  await r('POST', '/api/v1/domains', { name: 'db', start: true, workload: { type: 'duty', run_ms: 0.7, sleep_ms: 4.1 } });
  await r('POST', '/api/v1/domains', { name: 'batch', start: true, cap: 50 });
  await r('POST', '/api/v1/scheduling-domains/web/members', { domain: 'db', share: 128 });
  assert.equal((await r('POST', '/api/v1/host/clock/advance', { ns: 123_456_789 })).body.now_ns, 123_456_789);
  await r('PUT', '/api/v1/domains/batch/sched', { weight: 512 });
  assert.equal((await r('POST', '/api/v1/host/clock/advance', { ms: 2000 })).body.now_ns, 2_123_456_789);
  const host = (await r('GET', '/api/v1/host')).body;
  const cpu = (await r('GET', '/api/v1/domains')).body.map((x: { cpu_time_ns: number }) => x.cpu_time_ns);
  return { hash: host.trace_hash, cpu, host };
}

describe('reproducible runs from the API', () => {
  it('two daemons, frozen, same seed, same requests and advances: the same trace_hash and cpu_time_ns; another seed: another run', async (t) => {
    const first = await experiment(t, 42);
    const second = await experiment(t, 42);
    assert.equal(first.host['seed'], 42);
    assert.equal(first.hash, second.hash);
    assert.deepEqual(first.cpu, second.cpu);
    assert.ok(first.cpu.slice(1).every((ns) => ns > 0), 'every guest ran');
    const other = await experiment(t, 43);
    assert.equal(other.host['seed'], 43);
    assert.notEqual(other.hash, first.hash);
  });

  it('advance takes exactly one of ms and ns', async (t) => {
    const d = await build(t);
    for (const body of [{}, { ms: 1, ns: 1 }, { ns: 0 }, { ns: 1.5 }]) {
      const res = await d.request('POST', '/api/v1/host/clock/advance', body);
      assert.deepEqual([res.status, res.body.code], [400, 'INVALID_ARGUMENT'], JSON.stringify(body));
    }
    assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ns: 3 })).body.now_ns, 3);
    assert.equal((await d.request('GET', '/api/v1/host')).body.clock.now_ns, 3);
  });

  it('keep the clock speed across a restart; a speed given at start overrides it without replacing it', async (t) => {
    const fresh = await build(t, { speed: undefined });
    assert.equal(fresh.loop.status().speed, 1, 'real time on a new database');
    await fresh.request('PUT', '/api/v1/host/clock', { speed: 0 });
    await fresh.close();
    const again = await build(t, { dir: fresh.dir, speed: undefined });
    assert.equal(again.loop.status().speed, 0);
    await again.close();
    const overridden = await build(t, { dir: fresh.dir, speed: 50 });
    assert.equal(overridden.loop.status().speed, 50);
    await overridden.close();
    const stored = await build(t, { dir: fresh.dir, speed: undefined });
    assert.equal(stored.loop.status().speed, 0);
  });

  it('read NEMESIS_SEED and NEMESIS_CLOCK_SPEED (or --seed, --clock-speed), checked', () => {
    assert.deepEqual(loadRunConfig({}), { seed: 1, clockSpeed: undefined });
    assert.deepEqual(loadRunConfig(applyFlags(['--seed', '7', '--clock-speed', '0'], {}).env), { seed: 7, clockSpeed: 0 });
    assert.deepEqual(loadRunConfig({ NEMESIS_SEED: '4294967295', NEMESIS_CLOCK_SPEED: '2.5' }), { seed: 4294967295, clockSpeed: 2.5 });
    assert.throws(() => loadRunConfig({ NEMESIS_SEED: '-1', NEMESIS_CLOCK_SPEED: '1001' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'NEMESIS_SEED must be an integer in 0..4294967295, got "-1"',
        'NEMESIS_CLOCK_SPEED must be a number in 0..1000 (0 = frozen, 1 = real time), got "1001"',
      ]);
      return true;
    });
  });
});
