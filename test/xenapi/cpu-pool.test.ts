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

  it('answers the reads every class answers: a getter per record field, get_by_uuid, get_all_records_where', async (t) => {
    const daemon = await build(t, { pcpus: 4 });
    const session = (await jsonRpc(daemon, 'session.login_with_password', ['root', ''])).result;
    const call = async (method: string, ...params: unknown[]) => jsonRpc(daemon, method, [session, ...params]);
    await daemon.request('POST', '/api/v1/cpupools', { name: 'batch', sched: 'credit2' });
    const records = (await call('cpu_pool.get_all_records')).result as Record<string, Record<string, unknown>>;
    const [pool0, batch] = Object.keys(records);
    const [host] = (await call('host.get_all')).result as string[];
    // xend's cpu_pool record, field for field.
    assert.deepEqual(records[batch!], {
      uuid: batch!.slice('OpaqueRef:'.length), name_label: 'batch', name_description: '', resident_on: host, auto_power_on: false,
      started_VMs: [], ncpu: '0', sched_policy: 'credit2', proposed_CPUs: [], host_CPUs: [], activated: true, other_config: {},
    });
    for (const [field, value] of Object.entries(records[pool0!]!)) assert.deepEqual((await call(`cpu_pool.get_${field}`, pool0)).result, value, field);
    assert.equal((await call('cpu_pool.get_by_uuid', records[batch!]!['uuid'])).result, batch);
    assert.deepEqual((await call('cpu_pool.get_by_uuid', '00000000-0000-0000-0000-00000000000f')).error?.data, ['cpu_pool', '00000000-0000-0000-0000-00000000000f']);
    assert.deepEqual(Object.keys((await call('cpu_pool.get_all_records_where', 'field "sched_policy" = "credit2"')).result as object), [batch]);
    assert.deepEqual(Object.keys((await call('cpu_pool.get_all_records_where', 'not (field "ncpu" = "0")')).result as object), [pool0]);
    assert.equal((await call('cpu_pool.get_all_records_where', 'field "colour" = "red"')).error?.message, 'INVALID_VALUE');
    const methods = (await jsonRpc(daemon, 'system.listMethods', [])).result as string[];
    assert.deepEqual(methods.filter((m) => m.startsWith('cpu_pool.') && !m.startsWith('cpu_pool.get_')), ['cpu_pool.add_host_CPU_live', 'cpu_pool.create', 'cpu_pool.destroy', 'cpu_pool.remove_host_CPU_live']);
  });
});
