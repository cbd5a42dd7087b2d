/**
 * Restore repairs what was stored but could not be created today: a duty
 * workload below the minimum phase (it used to hang the daemon at every
 * start) is raised to it, and affinities to pCPUs the host no longer has are
 * reduced to what exists. The domain comes back running, the repair is
 * stored, announced and reported.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createStore } from '../../src/store/index.ts';
import { build, tempDir } from '../helpers.ts';

describe('restore repairs a stored configuration that could not be created today', () => {
  it('a duty workload of 1e-6 ms phases, written straight to the database: raised to 0.1 ms, running, and time advances', async (t) => {
    const dir = tempDir(t);
    const store = createStore(join(dir.path, 'nemesis.db'));
    store.domains.insert({
      domid: 1,
      uuid: '11111111-1111-4111-8111-111111111111',
      name: 'tiny',
      vcpus: 1,
      max_vcpus: 1,
      memory_mb: 256,
      weight: 256,
      cap: 0,
      workload: { type: 'duty', run_ms: 0.000001, sleep_ms: 0.000001 },
      affinity: ['all'],
      state: 'running',
    });
    store.host.setNextDomid(2);
    store.close();

    const d = await build(t, { dir });
    const repaired = { type: 'duty', run_ms: 0.1, sleep_ms: 0.1 };
    assert.deepEqual(d.control.restore.failed, []);
    assert.deepEqual(d.control.restore.repaired, [
      { domid: 1, name: 'tiny', changes: `workload {"type":"duty","run_ms":0.000001,"sleep_ms":0.000001} became ${JSON.stringify(repaired)}` },
    ]);
    const tiny = (await d.request('GET', '/api/v1/domains/tiny')).body;
    assert.deepEqual([tiny.state, tiny.workload], ['running', repaired]);
    assert.deepEqual(d.store.domains.list().find((x) => x.domid === 1)?.workload, repaired, 'the repair is stored');
    const kept = d.control.events.since(`${d.control.events.boot}-0`);
    assert.equal(kept.lost, false);
    const event = kept.lost ? undefined : kept.events.find((e) => e.type === 'domain.updated');
    assert.deepEqual(event?.data, { domain: 1, name: 'tiny', version: d.control.state.versionOf('domain', 1), repaired: d.control.restore.repaired[0]?.changes });
    // One simulated second: 0.1 ms bursts every 0.2 ms on the only pCPU give half of it.
    assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 })).status, 200);
    const cpu_ns: number = (await d.request('GET', '/api/v1/domains/tiny')).body.cpu_time_ns;
    assert.ok(Math.abs(cpu_ns - 500e6) <= 0.2e6, `${cpu_ns} ns`);
  });

  it('a host with fewer pCPUs: affinities reduced to the pCPUs that exist (all, when none does), domains running, not halted', async (t) => {
    const first = await build(t, { pcpus: 4 });
    const r = first.request;
    assert.equal((await r('POST', '/api/v1/domains', { name: 'pinned', max_vcpus: 2, vcpus: 2, start: true })).status, 201);
    assert.equal((await r('PUT', '/api/v1/domains/pinned/vcpus/0/affinity', { pcpus: [2, 3] })).status, 200);
    assert.equal((await r('PUT', '/api/v1/domains/pinned/vcpus/1/affinity', { pcpus: [0, 3] })).status, 200);
    assert.equal((await r('POST', '/api/v1/domains', { name: 'free', start: true })).status, 201);
    await first.close();

    const second = await build(t, { dir: first.dir, pcpus: 2 });
    assert.deepEqual(second.control.restore.failed, []);
    const pinned = second.control.restore.repaired.find((x) => x.name === 'pinned');
    assert.equal(
      pinned?.changes,
      'vCPU 0 affinity [2,3] became "all" (pCPUs 0..1 exist); vCPU 1 affinity [0,3] became [0] (pCPUs 0..1 exist)',
    );
    assert.equal(second.control.restore.repaired.some((x) => x.name === 'free'), false);
    const states = (await second.request('GET', '/api/v1/domains')).body.map((x: { name: string; state: string }) => `${x.name}:${x.state}`);
    assert.deepEqual(states, ['Domain-0:running', 'pinned:running', 'free:running']);
    const vcpus = (await second.request('GET', '/api/v1/domains/pinned/vcpus')).body;
    assert.deepEqual(vcpus.map((v: { affinity: unknown; pcpu: number }) => [v.affinity, v.pcpu < 2]), [['all', true], [[0], true]]);
    assert.equal(vcpus[1].pcpu, 0);
  });
});
