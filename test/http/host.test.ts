import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PACKAGE_VERSION } from '../../src/vocabulary/version.ts';
import { build } from '../helpers.ts';

describe('/api/v1/host and /api/v1/scheduler', () => {
  it('describe the host', async (t) => {
    const d = await build(t, { pcpus: 2 });
    const res = await d.request('GET', '/api/v1/host');
    assert.equal(res.status, 200);
    assert.deepEqual(
      [res.body.pcpus, res.body.scheduler, res.body.version, res.body.clock.now_ns, res.body.clock.speed, res.body.clock.skipped_ns],
      [2, 'credit', PACKAGE_VERSION, 0, 0, 0],
    );
  });

  it('replays exactly: the same requests at the same simulated times give the same trace hash', async (t) => {
    const run = async (cap: number) => {
      const other = await build(t, { pcpus: 2 });
      await other.request('POST', '/api/v1/domains', { name: 'io', start: true, workload: { type: 'duty', run_ms: 3, sleep_ms: 7 } });
      await other.request('POST', '/api/v1/domains', { name: 'hog', start: true, cap });
      await other.request('POST', '/api/v1/host/clock/advance', { ms: 5000 });
      return (await other.request('GET', '/api/v1/host')).body.trace_hash as string;
    };
    const first = await run(50);
    assert.match(first, /^[0-9a-f]{16}$/);
    assert.equal(await run(50), first);
    assert.notEqual(await run(60), first);
  });

  it('shutting down ends an advance in flight where it got to, and still answers it', async (t) => {
    const other = await build(t, { pcpus: 1 });
    await other.request('POST', '/api/v1/domains', { name: 'hog', start: true });
    const day_ms = 86_400_000;
    const advancing = other.request('POST', '/api/v1/host/clock/advance', { ms: day_ms });
    while (other.loop.status().now_ns === 0) await new Promise((resolve) => setImmediate(resolve));
    await other.close();
    const reply = await advancing;
    assert.equal(reply.status, 200);
    assert.ok(reply.body.now_ns > 0 && reply.body.now_ns < day_ms * 1e6, `stopped at ${reply.body.now_ns} ns`);
  });

  it('list pCPUs: an idle host is idle', async (t) => {
    const d = await build(t, { pcpus: 2 });
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
    const res = await d.request('GET', '/api/v1/host/pcpus');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, [
      { id: 0, current: null, busy_ns: 0, idle_ns: 1e9 },
      { id: 1, current: null, busy_ns: 0, idle_ns: 1e9 },
    ]);
  });

  it('show what runs on a pCPU', async (t) => {
    const d = await build(t, { pcpus: 2 });
    await d.request('POST', '/api/v1/domains', { name: 'hog', start: true });
    await d.request('PUT', '/api/v1/domains/hog/vcpus/0/affinity', { pcpus: [1] });
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
    const res = await d.request('GET', '/api/v1/host/pcpus');
    assert.deepEqual(res.body[1].current, { domain: 1, vcpu: 0 });
    assert.equal(res.body[0].current, null);
  });

  it('advance the frozen clock by exactly the asked time', async (t) => {
    const d = await build(t, { pcpus: 2 });
    const before = (await d.request('GET', '/api/v1/host')).body.clock.now_ns;
    const res = await d.request('POST', '/api/v1/host/clock/advance', { ms: 1234 });
    assert.equal(res.status, 200);
    assert.equal(res.body.now_ns, before + 1234e6);
    assert.equal((await d.request('GET', '/api/v1/host')).body.clock.now_ns, before + 1234e6, 'frozen: nothing moves on its own');
  });

  it('reject bad clock requests', async (t) => {
    const d = await build(t, { pcpus: 2 });
    const cases: [string, string, unknown][] = [
      ['POST', '/api/v1/host/clock/advance', { ms: 0 }],
      ['POST', '/api/v1/host/clock/advance', { ms: 86_400_001 }],
      ['POST', '/api/v1/host/clock/advance', { ms: 1.5 }],
      ['POST', '/api/v1/host/clock/advance', {}],
      ['PUT', '/api/v1/host/clock', { speed: -1 }],
      ['PUT', '/api/v1/host/clock', { speed: 1001 }],
      ['PUT', '/api/v1/host/clock', { speed: 1, extra: true }],
    ];
    for (const [method, url, body] of cases) {
      const res = await d.request(method as 'PUT', url, body);
      assert.deepEqual([res.status, res.body.code], [400, 'INVALID_ARGUMENT'], JSON.stringify(body));
    }
  });

  it('set the clock speed', async (t) => {
    const d = await build(t, { pcpus: 2 });
    const res = await d.request('PUT', '/api/v1/host/clock', { speed: 250 });
    assert.deepEqual([res.status, res.body.speed], [200, 250]);
    assert.equal((await d.request('GET', '/api/v1/host')).body.clock.speed, 250);
  });

  it('get and set the scheduler parameters', async (t) => {
    const d = await build(t, { pcpus: 2 });
    const got = await d.request('GET', '/api/v1/scheduler');
    assert.deepEqual(got.body, { name: 'credit', profile: 'xen-4.x', tick_ms: 10, tslice_ms: 30, ratelimit_us: 1000, accounting: 'exact' });
    const set = await d.request('PUT', '/api/v1/scheduler', { tslice_ms: 10, accounting: 'sampled' });
    assert.deepEqual(set.body, { name: 'credit', profile: 'custom', tick_ms: 10, tslice_ms: 10, ratelimit_us: 1000, accounting: 'sampled' });
    assert.deepEqual((await d.request('GET', '/api/v1/scheduler')).body, set.body);
  });

  it('reject bad scheduler parameters and change nothing', async (t) => {
    const d = await build(t, { pcpus: 2 });
    const cases: [unknown, string][] = [
      [{}, 'body'],
      [{ tslice_ms: 0 }, 'tslice_ms'],
      [{ tslice_ms: 1001 }, 'tslice_ms'],
      [{ ratelimit_us: 50 }, 'ratelimit_us'],
      [{ ratelimit_us: 500001 }, 'ratelimit_us'],
      [{ ratelimit_us: 20000 }, 'ratelimit_us'],
      [{ accounting: 'fair' }, 'accounting'],
      [{ tick_ms: 5 }, 'tick_ms'],
    ];
    assert.equal((await d.request('PUT', '/api/v1/scheduler', { tslice_ms: 10 })).status, 200);
    for (const [body, field] of cases) {
      const res = await d.request('PUT', '/api/v1/scheduler', body);
      assert.deepEqual([res.status, res.body.code, res.body.field], [400, 'INVALID_ARGUMENT', field], JSON.stringify(body));
    }
    assert.deepEqual((await d.request('GET', '/api/v1/scheduler')).body.tslice_ms, 10);
  });
});
