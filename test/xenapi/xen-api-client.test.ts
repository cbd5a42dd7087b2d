/**
 * Xen Orchestra's own connector (`xen-api` from npm) against a listening
 * daemon: it connects (login, pool, system.listMethods, event.inject,
 * event.from), lists VMs, runs the 2007 demo through XenAPI calls, and its
 * object collection follows a power change through event.from.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createClient, type Xapi, type XapiObject } from 'xen-api';
import type { TestDaemon } from '../helpers.ts';
import { listening } from './helpers.ts';

/** Resolves when `check` holds for the client's object collection (checked at every change it sees). */
function until(xapi: Xapi, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const test = (): void => {
      if (!check()) return;
      xapi.objects.off('finish', test);
      resolve();
    };
    xapi.objects.on('finish', test);
    test();
  });
}

/**
 * The client reports a call that the closing daemon cut off (its event.from
 * poll, a records refresh) through console.warn, with a stack, once the test
 * is over: at the end of the test output, where it reads like a failure.
 * Those, and only while a test ends, are left out.
 */
const CUT_OFF = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
let ending = false;
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  const cutOff = args.some((arg) => CUT_OFF.has(String((arg as { code?: unknown } | null)?.code)));
  if (!(ending && cutOff)) warn(...args);
};

/**
 * A listening daemon, and clients of it that disconnect when the test ends,
 * before the daemon closes (hooks run in the order they were registered).
 */
async function start(t: TestContext): Promise<{ daemon: TestDaemon & { url: string }; connect(transport: 'json-rpc' | 'xml-rpc' | 'auto'): Promise<Xapi> }> {
  ending = false;
  const clients: Xapi[] = [];
  t.after(async () => {
    ending = true;
    await Promise.all(clients.map((xapi) => xapi.disconnect()));
  });
  const daemon = await listening(t);
  const connect = async (transport: 'json-rpc' | 'xml-rpc' | 'auto'): Promise<Xapi> => {
    const xapi = createClient({ url: daemon.url, auth: { user: 'root', password: '' }, transport, allowUnauthorized: true, eventPollDelay: 100, debounce: 10 });
    clients.push(xapi);
    await xapi.connect();
    await xapi.objectsFetched;
    return xapi;
  };
  return { daemon, connect };
}

const vms = (xapi: Xapi): XapiObject[] => Object.values(xapi.objects.all).filter((o) => o.$type === 'VM');

describe('the xen-api client (Xen Orchestra)', () => {
  it('connects over JSON-RPC (no fallback: the transport is forced), reads the pool and lists the VMs', async (t) => {
    const { connect } = await start(t);
    const xapi = await connect('json-rpc');
    assert.equal(xapi.status, 'connected');
    assert.equal(xapi.pool.$type, 'pool');
    assert.equal(xapi.getObjectByRef(xapi.pool['master'] as string)['sched_policy'], 'credit');
    const records = (await xapi.call('VM.get_all_records')) as Record<string, { name_label: string; is_control_domain: boolean; power_state: string }>;
    assert.deepEqual(Object.values(records).map((r) => [r.name_label, r.is_control_domain, r.power_state]), [['Domain-0', true, 'Running']]);
    // Its collection holds the same VM, fetched through the classes system.listMethods announced.
    assert.deepEqual(vms(xapi).map((vm) => vm['name_label']), ['Domain-0']);
    assert.equal(Object.values(xapi.objects.all).filter((o) => o.$type === 'host_cpu').length, 2);
  });

  it("runs the 2007 demo: cap 10 through VCPUs_params, a scheduling domain through VM.set_scheduling_domain; the pair gets 10% of one pCPU", async (t) => {
    const { daemon, connect } = await start(t);
    const xapi = await connect('json-rpc');
    const guest = (await xapi.call('VM.create', { name_label: 'guest' })) as string;
    const stubdom = (await xapi.call('VM.create', { name_label: 'stubdom' })) as string;
    // Lifecycle calls through Async.VM.start: a task the client watches through events on the task class.
    assert.equal(await xapi.callAsync('VM.start', guest, false, false), '');
    assert.equal(await xapi.callAsync('VM.start', stubdom, false, false), '');
    await xapi.call('VM.add_to_VCPUs_params_live', guest, 'cap', '10');
    await xapi.call('VM.set_scheduling_domain', stubdom, guest);
    assert.deepEqual(await xapi.call('VM.get_VCPUs_params', guest), { weight: '256', cap: '10' });
    assert.equal(await xapi.call('VM.get_scheduling_domain', stubdom), guest);
    assert.deepEqual(await xapi.call('VM.get_scheduling_domain_members', guest), [stubdom]);

    const before = (await daemon.request('GET', '/api/v1/scheduling-domains/guest')).body.cpu_time_ns as number;
    assert.equal((await daemon.request('POST', '/api/v1/host/clock/advance', { ms: 60_000 })).status, 200);
    const after = (await daemon.request('GET', '/api/v1/scheduling-domains/guest')).body.cpu_time_ns as number;
    // 10% of one pCPU for 60 s of simulated time: 6 s of CPU time for the pair.
    assert.equal(after - before, 6_000_000_000);
    // XenAPI's own view: the pair's vCPU utilisation over the last second adds up to 0.1.
    const utilisation = async (vm: string): Promise<number> => {
      const metrics = (await xapi.call('VM.get_metrics', vm)) as string;
      const perVcpu = (await xapi.call('VM_metrics.get_VCPUs_utilisation', metrics)) as Record<string, number>;
      return Object.values(perVcpu).reduce((sum, u) => sum + u, 0);
    };
    const pair = (await utilisation(guest)) + (await utilisation(stubdom));
    assert.ok(Math.abs(pair - 0.1) < 1e-9, `the pair's utilisation is ${pair}`);
  });

  it("follows a power change through event.from: the collection's VM becomes Paused", async (t) => {
    const { daemon, connect } = await start(t);
    const created = await daemon.request('POST', '/api/v1/domains', { name: 'guest', start: true });
    assert.equal(created.status, 201);
    const xapi = await connect('auto');
    const ref = `OpaqueRef:${created.body.uuid as string}`;
    assert.equal(xapi.getObjectByRef(ref)['power_state'], 'Running');
    // Changed through REST, seen through XenAPI's events.
    assert.equal((await daemon.request('POST', '/api/v1/domains/guest/pause')).status, 200);
    await until(xapi, () => xapi.getObjectByRef(ref)['power_state'] === 'Paused');
    assert.equal(xapi.getObjectByRef(ref)['domid'], created.body.id);
    // And a deletion removes it from the collection.
    assert.equal((await daemon.request('POST', '/api/v1/domains/guest/destroy')).status, 200);
    assert.equal((await daemon.request('DELETE', '/api/v1/domains/guest')).status, 204);
    await until(xapi, () => xapi.getObjectByRef(ref, null) === null);
    assert.deepEqual(vms(xapi).map((vm) => vm['name_label']), ['Domain-0']);
  });

  it('connects over XML-RPC too (POST /xmlrpc), with the same records', async (t) => {
    const { connect } = await start(t);
    const xapi = await connect('xml-rpc');
    const ref = (await xapi.call('VM.create', { name_label: 'guest', VCPUs_max: 2, memory_static_max: 512 * 1024 * 1024 })) as string;
    await xapi.call('VM.add_to_VCPUs_params', ref, 'weight', '512');
    const record = (await xapi.call('VM.get_record', ref)) as Record<string, unknown>;
    // XenAPI's XML-RPC ints are strings; the client hands them on as they came.
    assert.deepEqual(
      [record['name_label'], record['VCPUs_max'], record['memory_static_max'], record['VCPUs_params'], record['power_state']],
      ['guest', '2', String(512 * 1024 * 1024), { weight: '512', cap: '0' }, 'Halted'],
    );
    await until(xapi, () => xapi.getObjectByRef(ref, null) !== null);
  });
});
