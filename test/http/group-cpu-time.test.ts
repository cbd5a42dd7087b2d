/**
 * A scheduling domain's cpu_time_ns is what its domains used while in force in
 * it: it never decreases when a member leaves or the master is shut down, so a
 * rate computed from it is right.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, type TestDaemon } from '../helpers.ts';

const NS_PER_MS = 1e6;
const groupCpuNs = async (d: TestDaemon): Promise<number> => (await d.request('GET', '/api/v1/scheduling-domains/m')).body.cpu_time_ns;
const advance = (d: TestDaemon, ms: number) => d.request('POST', '/api/v1/host/clock/advance', { ms });

describe('a scheduling domain\'s cpu_time_ns', () => {
  it('counts a member only while it is in the group, and keeps what leavers and ended groups used', async (t) => {
    const d = await build(t, { pcpus: 2 });
    // Two pCPUs, two CPU-bound 1-vCPU domains: each runs all the time, 1 s of CPU per simulated second.
    await d.request('POST', '/api/v1/domains', { name: 'm', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'x', start: true });
    await advance(d, 1000); // x runs 1 s before it joins: not the group's
    await d.request('POST', '/api/v1/scheduling-domains/m/members', { domain: 'x' });
    // The group was created with the member: the master's earlier second is not the group's either.
    assert.equal(await groupCpuNs(d), 0);
    await advance(d, 2000);
    assert.equal(await groupCpuNs(d), 4000 * NS_PER_MS);

    await d.request('DELETE', '/api/v1/scheduling-domains/m/members/x');
    assert.equal(await groupCpuNs(d), 4000 * NS_PER_MS, 'unchanged as the member leaves');
    await advance(d, 1000);
    assert.equal(await groupCpuNs(d), 5000 * NS_PER_MS, 'the master alone from then on');

    await d.request('POST', '/api/v1/domains/m/shutdown');
    assert.equal(await groupCpuNs(d), 5000 * NS_PER_MS, 'unchanged as the master stops');
    await advance(d, 1000);
    await d.request('POST', '/api/v1/domains/m/start');
    await advance(d, 1000);
    assert.equal(await groupCpuNs(d), 6000 * NS_PER_MS, 'and counting again from its start');
  });
});
