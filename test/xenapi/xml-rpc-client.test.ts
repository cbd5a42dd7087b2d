/**
 * The XML-RPC transport driven by a plain XML-RPC client library, the way
 * Python's XenAPI.py drives XAPI: calls to `POST /`, every answer a struct
 * `{Status: "Success", Value}` or `{Status: "Failure", ErrorDescription}`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import xmlrpc from 'xmlrpc';
import { listening } from './helpers.ts';

type Answer = { Status: 'Success'; Value: unknown } | { Status: 'Failure'; ErrorDescription: string[] };

function client(url: string): (method: string, ...params: unknown[]) => Promise<Answer> {
  const { port } = new URL(url);
  const rpc = xmlrpc.createClient({ host: '127.0.0.1', port: Number(port), path: '/' });
  return (method, ...params) =>
    new Promise((resolve, reject) => rpc.methodCall(method, params, (error: unknown, value: Answer) => (error ? reject(error as Error) : resolve(value))));
}

/** XenAPI.py's unwrapping: the Value of a success, or throw the failure's list. */
async function value(answer: Promise<Answer>): Promise<unknown> {
  const a = await answer;
  if (a.Status !== 'Success') throw new Error(`expected Success, got ${JSON.stringify(a)}`);
  return a.Value;
}

describe('XML-RPC with a plain client (as XenAPI.py)', () => {
  it('logs in, lists VMs, starts, pauses and sets VCPUs_params, with XenAPI wrapping and ints as strings', async (t) => {
    const daemon = await listening(t);
    const call = client(daemon.url);
    const session = (await value(call('session.login_with_password', 'root', '', '2.21', 'test'))) as string;
    assert.match(session, /^OpaqueRef:[0-9a-f-]{36}$/);
    const ref = (await value(call('VM.create', session, { name_label: 'guest', VCPUs_max: '2', VCPUs_at_startup: '1' }))) as string;
    const records = (await value(call('VM.get_all_records', session))) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(records).sort(), [ref, 'OpaqueRef:00000000-0000-0000-0000-000000000000'].sort());
    const guest = records[ref]!;
    assert.deepEqual(
      [guest['name_label'], guest['power_state'], guest['domid'], guest['VCPUs_max'], guest['VCPUs_at_startup'], guest['scheduling_domain'], guest['scheduling_domain_share']],
      ['guest', 'Halted', '-1', '2', '1', 'OpaqueRef:NULL', '256'],
    );
    assert.deepEqual(await call('VM.start', session, ref, false, false), { Status: 'Success', Value: '' });
    assert.deepEqual(await call('VM.pause', session, ref), { Status: 'Success', Value: '' });
    assert.deepEqual(await call('VM.set_VCPUs_params', session, ref, { weight: '512', cap: '50' }), { Status: 'Success', Value: '' });
    assert.equal(await value(call('VM.get_power_state', session, ref)), 'Paused');
    assert.equal(await value(call('VM.get_domid', session, ref)), '1');
    // The REST API sees the same domain, changed.
    const rest = (await daemon.request('GET', '/api/v1/domains/guest')).body;
    assert.deepEqual([rest.state, rest.sched, rest.max_vcpus], ['paused', { weight: 512, cap: 50 }, 2]);
    // Floats are doubles, dates dateTime.iso8601 (the library decodes them to numbers and Dates).
    const metrics = (await value(call('VM.get_metrics', session, ref))) as string;
    const record = (await value(call('VM_metrics.get_record', session, metrics))) as Record<string, unknown>;
    assert.deepEqual(record['VCPUs_utilisation'], { 0: 0 });
    assert.ok(record['start_time'] instanceof Date);
  });

  it('answers failures as Failure structs with XenAPI error lists, and changes nothing', async (t) => {
    const daemon = await listening(t);
    const call = client(daemon.url);
    const session = (await value(call('session.login_with_password', 'root', ''))) as string;
    const ref = (await value(call('VM.create', session, { name_label: 'guest' }))) as string;
    assert.deepEqual(await call('VM.pause', session, ref), { Status: 'Failure', ErrorDescription: ['VM_BAD_POWER_STATE', ref, 'running', 'halted'] });
    assert.deepEqual(await call('VM.no_such_call', session), { Status: 'Failure', ErrorDescription: ['MESSAGE_METHOD_UNKNOWN', 'VM.no_such_call'] });
    assert.deepEqual(await call('VM.get_record', 'OpaqueRef:nobody', ref), { Status: 'Failure', ErrorDescription: ['SESSION_INVALID', 'OpaqueRef:nobody'] });
    assert.deepEqual(await call('VM.start', session, ref), {
      Status: 'Failure',
      ErrorDescription: ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'VM.start', '4', '2'],
    });
    const cap = await call('VM.add_to_VCPUs_params', session, ref, 'cap', '1000');
    assert.equal(cap.Status, 'Failure');
    assert.deepEqual(cap.Status === 'Failure' && cap.ErrorDescription.slice(0, 2), ['INVALID_VALUE', 'VCPUs_params']);
    const rest = (await daemon.request('GET', '/api/v1/domains/guest')).body;
    assert.deepEqual([rest.state, rest.sched], ['halted', { weight: 256, cap: 0 }]);
  });

  it('lists the implemented methods through system.listMethods, without a session', async (t) => {
    const daemon = await listening(t);
    const methods = (await value(client(daemon.url)('system.listMethods'))) as string[];
    for (const name of ['VM.get_all_records', 'VM.set_scheduling_domain', 'Async.VM.start', 'event.from', 'task.get_record', 'host_cpu.get_all_records']) {
      assert.ok(methods.includes(name), name);
    }
  });
});
