/**
 * A master's cap kept after its group shrinks, adding a member as a create, a
 * master's own group in the domain list, affinity at creation, and the vCPU
 * view's accounting and wake latency.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';

describe('a master keeps a cap set for a larger group when members leave', () => {
  it('unrelated updates succeed, the cap is kept, and only a new cap above the limit is refused', async (t) => {
    const d = await build(t, { pcpus: 2 });
    await d.request('POST', '/api/v1/domains', { name: 'm', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'x', start: true });
    assert.equal((await d.request('POST', '/api/v1/scheduling-domains/m/members', { domain: 'x' })).status, 201);
    assert.equal((await d.request('PUT', '/api/v1/domains/m/sched', { cap: 150 })).status, 200);
    assert.equal((await d.request('DELETE', '/api/v1/scheduling-domains/m/members/x')).status, 200);

    const patch = await d.request('PATCH', '/api/v1/domains/m', { memory_mb: 512 });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    assert.deepEqual([patch.body.memory_mb, patch.body.sched], [512, { weight: 256, cap: 150 }]);
    const sched = await d.request('PUT', '/api/v1/domains/m/sched', { weight: 300 });
    assert.equal(sched.status, 200, JSON.stringify(sched.body));
    assert.deepEqual(sched.body, { weight: 300, cap: 150 });
    assert.deepEqual((await d.request('GET', '/api/v1/domains/m')).body.sched, { weight: 300, cap: 150 });

    const raise = await d.request('PUT', '/api/v1/domains/m/sched', { cap: 160 });
    assert.deepEqual([raise.status, raise.body.code, raise.body.field], [400, 'INVALID_ARGUMENT', 'cap']);
    assert.deepEqual((await d.request('GET', '/api/v1/domains/m/sched')).body, { weight: 300, cap: 150 });
    // Alone, its one vCPU is held to what it can use: the whole of one pCPU.
    const before = (await d.request('GET', '/api/v1/domains/m')).body.cpu_time_ns;
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 3000 });
    const after = (await d.request('GET', '/api/v1/domains/m')).body.cpu_time_ns;
    assert.ok(Math.abs((after - before) / 3e9 - 1) < 0.01, `m used ${(after - before) / 3e9} of a pCPU`);
  });
});

describe('scheduling-domain membership', () => {
  it('adding a member answers 201 with Location naming the membership; an emptied group stays listed until dissolved', async (t) => {
    const d = await build(t, { pcpus: 1 });
    await d.request('POST', '/api/v1/domains', { name: 'm' });
    await d.request('POST', '/api/v1/domains', { name: 'x' });
    const add = await d.request('POST', '/api/v1/scheduling-domains/m/members', { domain: 'x', share: 100 });
    assert.equal(add.status, 201);
    assert.equal(add.headers.location, '/api/v1/scheduling-domains/1/members/2');
    assert.deepEqual(add.body.members, [{ domain: 2, share: 100, active: false }]);
    const changed = await d.request('PUT', String(add.headers.location), { share: 200 });
    assert.deepEqual([changed.status, changed.body.master, changed.body.members], [200, 1, [{ domain: 2, share: 200, active: false }]]);
    assert.deepEqual((await d.request('GET', '/api/v1/scheduling-domains/m')).body.members, [{ domain: 2, share: 200, active: false }]);

    const emptied = await d.request('DELETE', '/api/v1/scheduling-domains/m/members/x');
    assert.deepEqual([emptied.status, emptied.body.members], [200, []]);
    const listed = await d.request('GET', '/api/v1/scheduling-domains');
    assert.deepEqual(listed.body.map((g: { master: number }) => g.master), [1]);
    assert.equal((await d.request('DELETE', '/api/v1/scheduling-domains/m')).status, 204);
    assert.deepEqual((await d.request('GET', '/api/v1/scheduling-domains')).body, []);
  });

  it('a master shows its own id as its scheduling domain, like its members', async (t) => {
    const d = await build(t, { pcpus: 1 });
    await d.request('POST', '/api/v1/domains', { name: 'm' });
    await d.request('POST', '/api/v1/domains', { name: 'x' });
    await d.request('POST', '/api/v1/domains', { name: 'alone' });
    await d.request('POST', '/api/v1/scheduling-domains/m/members', { domain: 'x' });
    const list = await d.request('GET', '/api/v1/domains');
    assert.deepEqual(list.body.map((v: { name: string; scheduling_domain: number | null }) => [v.name, v.scheduling_domain]), [
      ['Domain-0', null],
      ['m', 1],
      ['x', 1],
      ['alone', null],
    ]);
    assert.equal((await d.request('GET', '/api/v1/domains/m')).body.scheduling_domain, 1);
  });
});

describe('affinity at creation', () => {
  it('pins every vCPU of a new domain, halted or started', async (t) => {
    const d = await build(t, { pcpus: 4 });
    const created = await d.request('POST', '/api/v1/domains', { name: 'p', vcpus: 2, max_vcpus: 3, affinity: [1, 2], start: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const vcpus = (await d.request('GET', '/api/v1/domains/p/vcpus')).body;
    assert.deepEqual(vcpus.map((v: { affinity: unknown }) => v.affinity), [[1, 2], [1, 2], [1, 2]]);
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 100 });
    for (const v of (await d.request('GET', '/api/v1/domains/p/vcpus')).body) {
      if (v.state !== 'offline') assert.ok([1, 2].includes(v.pcpu), `vCPU ${v.id} on pCPU ${v.pcpu}`);
    }
    const all = await d.request('POST', '/api/v1/domains', { name: 'q', affinity: 'all' });
    assert.deepEqual((await d.request('GET', '/api/v1/domains/q/vcpus')).body.map((v: { affinity: unknown }) => v.affinity), ['all']);
    assert.equal(all.status, 201);
  });

  it('refuses a pCPU that does not exist, naming affinity, and creates nothing', async (t) => {
    const d = await build(t, { pcpus: 2 });
    const bad = await d.request('POST', '/api/v1/domains', { name: 'p', affinity: [0, 5] });
    assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, 'BAD_AFFINITY', 'affinity']);
    assert.equal((await d.request('GET', '/api/v1/domains/p')).status, 404);
  });
});

describe('the vCPU view', () => {
  it('says whether a vCPU is active in accounting and gives its wake latency', async (t) => {
    const d = await build(t, { pcpus: 1 });
    await d.request('POST', '/api/v1/domains', { name: 'hog', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'io', start: true, workload: { type: 'duty', run_ms: 1, sleep_ms: 9 } });
    await d.request('POST', '/api/v1/domains', { name: 'quiet', start: true, workload: { type: 'idle' } });
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
    const [hog] = (await d.request('GET', '/api/v1/domains/hog/vcpus')).body;
    const [io] = (await d.request('GET', '/api/v1/domains/io/vcpus')).body;
    const [quiet] = (await d.request('GET', '/api/v1/domains/quiet/vcpus')).body;
    assert.deepEqual([hog.active, quiet.active], [true, false]);
    // The hog woke once, at start; the duty guest about every 10 ms and ran each time.
    assert.equal(hog.wake_latency.count, 1);
    assert.ok(io.wake_latency.count >= io.wakeups - 1 && io.wake_latency.count > 90, JSON.stringify(io.wake_latency));
    const { count, mean_ns, p99_ns, max_ns } = io.wake_latency;
    assert.ok(max_ns >= p99_ns && p99_ns > 0, JSON.stringify(io.wake_latency));
    // io runs 1 ms at a time, never long enough to be preempted: all its runnable time is waiting after a wake.
    assert.ok(Math.abs(mean_ns * count - io.runstate_ns.runnable) <= count, `${mean_ns} ns × ${count} against ${io.runstate_ns.runnable} ns runnable`);
  });
});
