import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { build } from '../helpers.ts';

const withoutCpuTime = <T extends { cpu_time_ns: number }>(items: T[]): T[] => items.map((item) => ({ ...item, cpu_time_ns: 0 }));

describe('restart on the same database', () => {
  it('brings back every domain with its domid, uuid, configuration, power state and group membership', async (t) => {
    const first = await build(t, { pcpus: 1 });
    const r = first.request;
    await r('POST', '/api/v1/domains', { name: 'guest', start: true, cap: 10, weight: 300, memory_mb: 1024 });
    await r('POST', '/api/v1/domains', { name: 'paused', start: true, workload: { type: 'duty', run_ms: 2, sleep_ms: 8 } });
    await r('POST', '/api/v1/domains/paused/pause');
    await r('POST', '/api/v1/domains', { name: 'halted', max_vcpus: 4, vcpus: 2 });
    await r('PUT', '/api/v1/domains/halted/vcpus/3/affinity', { pcpus: [0] });
    await r('POST', '/api/v1/domains', { name: 'stub', start: true });
    await r('POST', '/api/v1/domains', { name: 'gone' });
    await r('DELETE', '/api/v1/domains/gone');
    await r('POST', '/api/v1/scheduling-domains', { master: 'guest', members: [{ domain: 'stub' }, { domain: 'halted', share: 300 }] });
    await r('PUT', '/api/v1/scheduler', { tslice_ms: 20, ratelimit_us: 500 });
    await r('PUT', '/api/v1/domains/0/sched', { weight: 512 });
    const domainsBefore = (await r('GET', '/api/v1/domains')).body;
    const groupsBefore = (await r('GET', '/api/v1/scheduling-domains')).body;
    const vcpusBefore = (await r('GET', '/api/v1/domains/halted/vcpus')).body;
    await first.close();

    const second = await build(t, { dir: first.dir, pcpus: 1 });
    const s = second.request;
    assert.deepEqual(withoutCpuTime((await s('GET', '/api/v1/domains')).body), withoutCpuTime(domainsBefore));
    assert.deepEqual(
      (await s('GET', '/api/v1/domains')).body.map((d: { name: string; state: string }) => `${d.name}:${d.state}`),
      ['Domain-0:running', 'guest:running', 'paused:paused', 'halted:halted', 'stub:running'],
    );
    assert.deepEqual(withoutCpuTime((await s('GET', '/api/v1/scheduling-domains')).body), withoutCpuTime(groupsBefore));
    assert.deepEqual((await s('GET', '/api/v1/domains/halted/vcpus')).body, vcpusBefore);
    assert.deepEqual((await s('GET', '/api/v1/scheduler')).body, { name: 'credit', profile: 'custom', tick_ms: 10, tslice_ms: 20, ratelimit_us: 500, accounting: 'exact' });
    assert.deepEqual((await s('GET', '/api/v1/domains/0/sched')).body, { weight: 512, cap: 0 });

    // The hypervisor has them live again: the group is in force (guest + stub share guest's 10%).
    await s('POST', '/api/v1/host/clock/advance', { ms: 30_000 });
    const list = (await s('GET', '/api/v1/domains')).body as { name: string; cpu_time_ns: number }[];
    const used = (name: string) => list.find((d) => d.name === name)?.cpu_time_ns ?? -1;
    const share = (used('guest') + used('stub')) / 30e9;
    assert.ok(Math.abs(share - 0.10) <= 0.003, `group share after restart ${share}`);
    assert.equal(used('paused'), 0, 'a paused domain stays paused');

    // New domids continue from the stored counter ("gone" used 5).
    assert.equal((await s('POST', '/api/v1/domains', { name: 'new' })).body.id, 6);
    await s('POST', '/api/v1/domains/paused/unpause');
    assert.equal((await s('GET', '/api/v1/domains/paused')).body.state, 'running');
  });

  it('keeps shares changed after the group was made, and applies them again', async (t) => {
    const CAP_PERCENT = 20;
    const MASTER_SHARE = 768;
    const MEMBER_SHARE = 256;
    const first = await build(t, { pcpus: 1 });
    const r = first.request;
    await r('POST', '/api/v1/domains', { name: 'guest', start: true, cap: CAP_PERCENT });
    await r('POST', '/api/v1/domains', { name: 'stub', start: true });
    await r('POST', '/api/v1/domains', { name: 'halted' });
    await r('POST', '/api/v1/scheduling-domains', { master: 'guest', members: [{ domain: 'stub', share: 512 }, { domain: 'halted' }] });
    assert.equal((await r('PATCH', '/api/v1/scheduling-domains/guest', { master_share: MASTER_SHARE })).status, 200);
    assert.equal((await r('PUT', '/api/v1/scheduling-domains/guest/members/stub', { share: MEMBER_SHARE })).status, 200);
    assert.equal((await r('PUT', '/api/v1/scheduling-domains/guest/members/halted', { share: 9 })).status, 200);
    const groupsBefore = (await r('GET', '/api/v1/scheduling-domains')).body;
    assert.deepEqual(groupsBefore[0].members.map((m: { share: number }) => m.share), [MEMBER_SHARE, 9]);
    await first.close();

    const second = await build(t, { dir: first.dir, pcpus: 1 });
    const s = second.request;
    assert.deepEqual(withoutCpuTime((await s('GET', '/api/v1/scheduling-domains')).body), withoutCpuTime(groupsBefore));
    // In force in the hypervisor again: the group's cap split 3:1.
    const used = async (name: string): Promise<number> => (await s('GET', `/api/v1/domains/${name}`)).body.cpu_time_ns;
    const guest0 = await used('guest');
    const stub0 = await used('stub');
    await s('POST', '/api/v1/host/clock/advance', { ms: 30_000 });
    const guest = (await used('guest')) - guest0;
    const stub = (await used('stub')) - stub0;
    const ratio = guest / stub;
    assert.ok(Math.abs(ratio / (MASTER_SHARE / MEMBER_SHARE) - 1) <= 0.05, `guest/stub after restart ${ratio}`);
    assert.ok(Math.abs((guest + stub) / 30e9 - CAP_PERCENT / 100) <= 0.003, `pair after restart ${(guest + stub) / 30e9}`);
  });

  it('an acknowledged change is on disk before the reply (read back by a separate connection)', async (t) => {
    const d = await build(t);
    await d.request('POST', '/api/v1/domains', { name: 'durable' });
    // A plain SQLite connection: the daemon's lock keeps a second store (a second daemon) off the file, not a reader.
    const other = new Database(d.dbPath, { readonly: true });
    assert.deepEqual((other.prepare('SELECT name FROM domains ORDER BY domid').all() as { name: string }[]).map((x) => x.name), ['Domain-0', 'durable']);
    other.close();
  });
});
