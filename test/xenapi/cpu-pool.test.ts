/**
 * The cpu_pool class over JSON-RPC: the pools the REST API shows, created,
 * given and relieved of pCPUs, a VM migrated into one, and Xen's rules as
 * failures that change nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';
import { jsonRpc } from './helpers.ts';

describe('XenAPI cpu_pool', () => {
  it('lists, creates, fills, migrates into and destroys pools', async (t) => {
    const daemon = await build(t, { pcpus: 4 });
    const call = async (method: string, ...params: unknown[]) => jsonRpc(daemon, method, [session, ...params]);
    const session = (await jsonRpc(daemon, 'session.login_with_password', ['root', ''])).result;
    const cpus = (await call('host_cpu.get_all')).result as string[];
    const [pool0] = (await call('cpu_pool.get_all')).result as string[];
    const record0 = (await call('cpu_pool.get_record', pool0)).result as Record<string, unknown>;
    assert.deepEqual([record0['name_label'], record0['sched_policy'], record0['host_CPUs'], record0['ncpu']], ['Pool-0', 'credit', cpus, '4']);
    const [host] = (await call('host.get_all')).result as string[];
    assert.equal((await call('host.get_sched_policy', host)).result, 'credit');

    const batch = (await call('cpu_pool.create', { name_label: 'batch', sched_policy: 'credit2' })).result as string;
    assert.deepEqual((await call('cpu_pool.get_by_name_label', 'batch')).result, [batch]);
    // A pCPU is in one pool at most: take it from Pool-0 first.
    const busy = await call('cpu_pool.add_host_CPU_live', batch, cpus[3]);
    assert.deepEqual([busy.error?.message, busy.error?.data[0]], ['PCPU_NOT_FREE', 'pCPU 3 belongs to cpupool Pool-0; remove it from there first']);
    assert.deepEqual((await call('cpu_pool.get_host_CPUs', batch)).result, []);
    assert.equal((await call('cpu_pool.remove_host_CPU_live', pool0, cpus[3])).error, undefined);
    assert.equal((await call('cpu_pool.add_host_CPU_live', batch, cpus[3])).error, undefined);
    assert.deepEqual((await call('cpu_pool.get_host_CPUs', batch)).result, [cpus[3]]);

    const vm = (await call('VM.create', { name_label: 'guest' })).result as string;
    await call('VM.start', vm, false, false);
    assert.deepEqual((await call('VM.get_cpu_pool', vm)).result, [pool0]);
    assert.equal((await call('VM.cpu_pool_migrate', vm, batch)).error, undefined);
    assert.deepEqual([(await call('VM.get_cpu_pool', vm)).result, (await call('cpu_pool.get_started_VMs', batch)).result], [[batch], [vm]]);
    assert.equal((await daemon.request('GET', '/api/v1/domains/guest')).body.cpupool, 'batch');

    const refused = await call('cpu_pool.destroy', batch);
    assert.deepEqual([refused.error?.message, refused.error?.data[0]], ['CPUPOOL_HAS_DOMAINS', 'cpupool batch still has domains (guest); move or delete them first']);
    assert.equal((await call('cpu_pool.destroy', pool0)).error?.message, 'POOL0_PROTECTED');
    const bad = await call('cpu_pool.get_record', 'OpaqueRef:00000000-0000-0000-0000-000000000001');
    assert.equal(bad.error?.message, 'HANDLE_INVALID');
    assert.equal((await call('VM.cpu_pool_migrate', vm, pool0)).error, undefined);
    assert.equal((await call('cpu_pool.destroy', batch)).error, undefined);
    assert.deepEqual((await call('cpu_pool.get_all')).result, [pool0]);
  });
});
