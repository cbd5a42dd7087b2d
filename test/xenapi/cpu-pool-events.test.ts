/**
 * XenAPI events for cpu_pool objects, over JSON-RPC and over XML-RPC (a plain
 * XML-RPC client, as XenAPI.py): a pool's add, mod and del when it is made,
 * destroyed, given or relieved of a pCPU or its scheduler changes, and when a
 * VM starts in it or moves between pools (the VM gets a mod too: its cpu_pool
 * field changes). Changes are made through REST and through the Xen API.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import xmlrpc from 'xmlrpc';
import type { TestDaemon } from '../helpers.ts';
import { jsonRpc, listening, type From } from './helpers.ts';

type Call = (method: string, ...params: unknown[]) => Promise<unknown>;

async function overJsonRpc(daemon: TestDaemon): Promise<Call> {
  const session = (await jsonRpc(daemon, 'session.login_with_password', ['root', ''])).result;
  return async (method, ...params) => {
    const answer = await jsonRpc(daemon, method, [session, ...params]);
    if (answer.error !== undefined) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
    return answer.result;
  };
}

async function overXmlRpc(url: string): Promise<Call> {
  const rpc = xmlrpc.createClient({ host: '127.0.0.1', port: Number(new URL(url).port), path: '/' });
  type Answer = { Status: 'Success'; Value: unknown } | { Status: 'Failure'; ErrorDescription: string[] };
  const raw = (method: string, params: unknown[]): Promise<Answer> =>
    new Promise((resolve, reject) => rpc.methodCall(method, params, (error: unknown, value: Answer) => (error ? reject(error as Error) : resolve(value))));
  const login = await raw('session.login_with_password', ['root', '', '2.21', 'test']);
  assert.equal(login.Status, 'Success');
  const session = login.Status === 'Success' ? login.Value : undefined;
  return async (method, ...params) => {
    const answer = await raw(method, [session, ...params]);
    if (answer.Status !== 'Success') throw new Error(`${method}: ${JSON.stringify(answer.ErrorDescription)}`);
    return answer.Value;
  };
}

/** Each event as [class, operation, ref], and one field of its snapshot when asked. */
const summary = (from: From, field?: string): unknown[][] =>
  from.events.map((e) => [e.class, e.operation, e.ref, ...(field === undefined ? [] : [e.snapshot?.[field] ?? null])]);

async function walkThroughPoolChanges(t: TestContext, daemon: TestDaemon & { url: string }, call: Call): Promise<void> {
  const first = (await call('event.from', ['cpu_pool'], '', 0)) as From;
  const [pool0] = (await call('cpu_pool.get_all')) as string[];
  assert.deepEqual(summary(first, 'name_label'), [['cpu_pool', 'add', pool0, 'Pool-0']]);
  assert.equal(Number(first.valid_ref_counts['cpu_pool']), 1);
  const cpus = (await call('host_cpu.get_all')) as string[];
  let token = first.token;
  const next = async (classes: string[], field?: string): Promise<unknown[][]> => {
    const from = (await call('event.from', classes, token, 0)) as From;
    token = from.token;
    return summary(from, field);
  };

  await t.test('a pool made through the Xen API is an add', async () => {
    const batch = (await call('cpu_pool.create', { name_label: 'batch', sched_policy: 'credit2' })) as string;
    assert.deepEqual(await next(['cpu_pool'], 'sched_policy'), [['cpu_pool', 'add', batch, 'credit2']]);
  });
  const batch = ((await call('cpu_pool.get_by_name_label', 'batch')) as string[])[0]!;

  await t.test('a pCPU moved between pools (REST) is a mod of each, in the order of the changes', async () => {
    assert.equal((await daemon.request('DELETE', '/api/v1/cpupools/0/pcpus/3')).status, 200);
    assert.equal((await daemon.request('POST', '/api/v1/cpupools/batch/pcpus', { pcpu: 3 })).status, 200);
    assert.deepEqual(await next(['cpu_pool'], 'host_CPUs'), [['cpu_pool', 'mod', pool0, cpus.slice(0, 3)], ['cpu_pool', 'mod', batch, [cpus[3]]]]);
  });

  await t.test("a pool's scheduler parameters are a mod of it; Pool-0's (PUT /scheduler) also of the host", async () => {
    assert.equal((await daemon.request('PUT', '/api/v1/cpupools/batch/scheduler', { ratelimit_us: 2000 })).status, 200);
    assert.deepEqual(await next(['cpu_pool']), [['cpu_pool', 'mod', batch]]);
    assert.equal((await daemon.request('PUT', '/api/v1/scheduler', { tslice_ms: 10 })).status, 200);
    const [host] = (await call('host.get_all')) as string[];
    assert.deepEqual(await next(['cpu_pool', 'host']), [['host', 'mod', host], ['cpu_pool', 'mod', pool0]]);
  });

  await t.test('a VM started in a pool is a mod of it; moved to another, a mod of the VM (its cpu_pool) and of both pools (their started_VMs)', async () => {
    const domain0 = 'OpaqueRef:00000000-0000-0000-0000-000000000000';
    const vm = (await call('VM.create', { name_label: 'guest' })) as string;
    assert.deepEqual(await next(['cpu_pool', 'VM'], 'started_VMs'), [['vm', 'add', vm, null]], 'a halted VM is in no started_VMs');
    await call('VM.start', vm, false, false);
    assert.deepEqual(await next(['cpu_pool', 'VM'], 'started_VMs'), [['vm', 'mod', vm, null], ['cpu_pool', 'mod', pool0, [domain0, vm]]]);
    assert.equal((await daemon.request('PUT', '/api/v1/domains/guest/cpupool', { cpupool: 'batch' })).status, 200);
    const moved = (await call('event.from', ['cpu_pool', 'VM'], token, 0)) as From;
    token = moved.token;
    assert.deepEqual(
      moved.events.map((e) => [e.class, e.operation, e.ref, e.snapshot?.[e.class === 'vm' ? 'cpu_pool' : 'started_VMs']]),
      [['vm', 'mod', vm, [batch]], ['cpu_pool', 'mod', pool0, [domain0]], ['cpu_pool', 'mod', batch, [vm]]],
    );
    await call('VM.cpu_pool_migrate', vm, pool0);
    await call('VM.hard_shutdown', vm);
    assert.deepEqual(await next(['cpu_pool'], 'started_VMs'), [['cpu_pool', 'mod', batch, []], ['cpu_pool', 'mod', pool0, [domain0]]]);
  });

  await t.test('a destroyed pool is a del without a snapshot; "*" covers cpu_pool', async () => {
    await call('cpu_pool.destroy', batch);
    const gone = (await call('event.from', ['*'], token, 0)) as From;
    assert.deepEqual(gone.events.filter((e) => e.class === 'cpu_pool').map((e) => [e.operation, e.ref, 'snapshot' in e]), [['del', batch, false]]);
    assert.equal(Number(gone.valid_ref_counts['cpu_pool']), 1);
    const everything = (await call('event.from', ['*'], '', 0)) as From;
    assert.deepEqual(everything.events.filter((e) => e.class === 'cpu_pool').map((e) => [e.operation, e.ref]), [['add', pool0]]);
  });
}

describe('XenAPI events for cpu_pool', () => {
  it('over JSON-RPC', async (t) => {
    const daemon = await listening(t, { pcpus: 4 });
    await walkThroughPoolChanges(t, daemon, await overJsonRpc(daemon));
  });
  it('over XML-RPC', async (t) => {
    const daemon = await listening(t, { pcpus: 4 });
    await walkThroughPoolChanges(t, daemon, await overXmlRpc(daemon.url));
  });
});
