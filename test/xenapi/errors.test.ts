/**
 * Every XenAPI error code the front door gives, over JSON-RPC (the
 * dispatcher is the same for XML-RPC), each with the state unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { build, type TestDaemon } from '../helpers.ts';
import { jsonRpc } from './helpers.ts';

const DOMAIN0 = 'OpaqueRef:00000000-0000-0000-0000-000000000000';

/** A daemon with a session and two VMs (`guest` running, `other` halted). */
async function setUp(t: TestContext, options: { token?: string } = {}) {
  const daemon = await build(t, options);
  const login = await jsonRpc(daemon, 'session.login_with_password', ['root', options.token ?? '']);
  const session = login.result as string;
  const create = async (name: string): Promise<string> => (await jsonRpc(daemon, 'VM.create', [session, { name_label: name }])).result as string;
  const guest = await create('guest');
  const other = await create('other');
  assert.equal((await jsonRpc(daemon, 'VM.start', [session, guest, false, false])).result, '');
  const call = (method: string, ...params: unknown[]) => jsonRpc(daemon, method, [session, ...params]);
  return { daemon, session, guest, other, call };
}

/** The REST view of everything a failed call could have changed. */
async function state(daemon: TestDaemon): Promise<unknown> {
  return [(await daemon.request('GET', '/api/v1/domains')).body, (await daemon.request('GET', '/api/v1/scheduling-domains')).body];
}

/** `call` fails with exactly `description`, and changes nothing. */
async function fails(daemon: TestDaemon, call: Promise<Awaited<ReturnType<typeof jsonRpc>>>, description: string[]): Promise<void> {
  const before = await state(daemon);
  const answer = await call;
  assert.deepEqual(answer.error, { code: 1, message: description[0], data: description.slice(1) });
  assert.equal(answer.result, undefined);
  assert.deepEqual(await state(daemon), before);
}

describe('XenAPI errors', () => {
  it('MESSAGE_METHOD_UNKNOWN names the method (also for names of Object.prototype)', async (t) => {
    const { daemon, call } = await setUp(t);
    await fails(daemon, call('VM.reboot_into_space'), ['MESSAGE_METHOD_UNKNOWN', 'VM.reboot_into_space']);
    await fails(daemon, jsonRpc(daemon, 'constructor', []), ['MESSAGE_METHOD_UNKNOWN', 'constructor']);
  });

  it('MESSAGE_PARAMETER_COUNT_MISMATCH gives method, expected and received counts (the session counts)', async (t) => {
    const { daemon, call, guest } = await setUp(t);
    await fails(daemon, call('VM.start', guest), ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'VM.start', '4', '2']);
    await fails(daemon, call('VM.get_record', guest, 'extra'), ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'VM.get_record', '2', '3']);
    await fails(daemon, jsonRpc(daemon, 'session.login_with_password', ['root']), ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'session.login_with_password', '4', '1']);
  });

  it('SESSION_INVALID for a ref that is no session, and after logout', async (t) => {
    const { daemon, session, guest, call } = await setUp(t);
    await fails(daemon, jsonRpc(daemon, 'VM.hard_shutdown', ['OpaqueRef:forged', guest]), ['SESSION_INVALID', 'OpaqueRef:forged']);
    assert.equal((await call('session.logout')).result, '');
    await fails(daemon, jsonRpc(daemon, 'VM.get_all', [session]), ['SESSION_INVALID', session]);
  });

  it('SESSION_AUTHENTICATION_FAILED: a wrong token, or no token configured and not from loopback', async (t) => {
    const { daemon } = await setUp(t, { token: 's3cret' });
    await fails(daemon, jsonRpc(daemon, 'session.login_with_password', ['root', 'guess']), ['SESSION_AUTHENTICATION_FAILED', 'root', 'wrong password (NEMESIS_TOKEN)']);
    const open = await build(t);
    const remote = await open.app.inject({
      method: 'POST', url: '/jsonrpc', remoteAddress: '192.0.2.7', headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'session.login_with_password', params: ['root', ''] }),
    });
    assert.deepEqual(remote.json().error.data, ['root', 'no token is configured: log in from loopback']);
  });

  it('HANDLE_INVALID names the class and the ref, for every class', async (t) => {
    const { daemon, call } = await setUp(t);
    await fails(daemon, call('VM.pause', 'OpaqueRef:0f0f'), ['HANDLE_INVALID', 'VM', 'OpaqueRef:0f0f']);
    await fails(daemon, call('VM.set_scheduling_domain', DOMAIN0, 'OpaqueRef:gone'), ['HANDLE_INVALID', 'VM', 'OpaqueRef:gone']);
    await fails(daemon, call('VM_metrics.get_record', DOMAIN0), ['HANDLE_INVALID', 'VM_metrics', DOMAIN0]);
    await fails(daemon, call('host.get_record', DOMAIN0), ['HANDLE_INVALID', 'host', DOMAIN0]);
    await fails(daemon, call('task.get_status', 'OpaqueRef:NULL'), ['HANDLE_INVALID', 'task', 'OpaqueRef:NULL']);
    await fails(daemon, call('event.inject', 'VM', 'OpaqueRef:0f0f'), ['HANDLE_INVALID', 'VM', 'OpaqueRef:0f0f']);
  });

  it('VM_BAD_POWER_STATE gives the VM, the state it needs and the state it is in', async (t) => {
    const { daemon, call, guest, other } = await setUp(t);
    await fails(daemon, call('VM.start', guest, false, false), ['VM_BAD_POWER_STATE', guest, 'halted', 'running']);
    await fails(daemon, call('VM.destroy', guest), ['VM_BAD_POWER_STATE', guest, 'halted', 'running']);
    await fails(daemon, call('VM.clean_shutdown', other), ['VM_BAD_POWER_STATE', other, 'running or paused', 'halted']);
    await fails(daemon, call('VM.unpause', guest), ['VM_BAD_POWER_STATE', guest, 'paused', 'running']);
  });

  it('FIELD_TYPE_ERROR names the parameter of the wrong type', async (t) => {
    const { daemon, call, guest, session } = await setUp(t);
    await fails(daemon, call('VM.start', guest, 'yes', false), ['FIELD_TYPE_ERROR', 'start_paused']);
    await fails(daemon, call('VM.set_VCPUs_max', guest, 'two'), ['FIELD_TYPE_ERROR', 'value']);
    await fails(daemon, call('VM.set_VCPUs_max', guest, 2.5), ['FIELD_TYPE_ERROR', 'value']);
    await fails(daemon, call('VM.get_record', 42), ['FIELD_TYPE_ERROR', 'self']);
    await fails(daemon, call('VM.set_VCPUs_params', guest, { weight: 512 }), ['FIELD_TYPE_ERROR', 'value']);
    await fails(daemon, call('VM.create', { name_label: 'x', VCPUs_max: 'many' }), ['FIELD_TYPE_ERROR', 'VCPUs_max']);
    // Deep nesting where a map is expected is a type error too, not a crash.
    const depth = 100_000;
    const deep = `{"jsonrpc":"2.0","id":1,"method":"VM.set_VCPUs_params","params":["${session}","${guest}",${'['.repeat(depth)}${']'.repeat(depth)}]}`;
    const answer = await daemon.request('POST', '/jsonrpc', deep, { 'content-type': 'application/json' });
    assert.deepEqual(answer.body.error.data, ['value']);
  });

  it('INVALID_VALUE names the XenAPI field, with the REST rules (ranges, names, whole MiB, weight and cap only)', async (t) => {
    const { daemon, call, guest } = await setUp(t);
    const invalid = async (promise: ReturnType<typeof call>, field: string): Promise<void> => {
      const before = await state(daemon);
      const answer = await promise;
      assert.deepEqual([answer.error?.message, answer.error?.data[0]], ['INVALID_VALUE', field], JSON.stringify(answer));
      assert.deepEqual(await state(daemon), before);
    };
    await invalid(call('VM.add_to_VCPUs_params_live', guest, 'cap', '101'), 'VCPUs_params');
    await invalid(call('VM.add_to_VCPUs_params', guest, 'weight', '0'), 'VCPUs_params');
    await invalid(call('VM.add_to_VCPUs_params', guest, 'mask', '1'), 'VCPUs_params');
    await invalid(call('VM.add_to_VCPUs_params', guest, 'cap', 'ten'), 'VCPUs_params');
    await invalid(call('VM.set_memory_static_max', guest, 1000), 'memory_static_max');
    await invalid(call('VM.set_name_label', guest, 'other'), 'name_label');
    await invalid(call('VM.set_name_label', guest, '12'), 'name_label');
    await invalid(call('VM.set_VCPUs_at_startup', guest, 2), 'VCPUs_at_startup');
    await invalid(call('VM.create', { name_label: 'big', VCPUs_max: 1000 }), 'VCPUs_max');
  });

  it('OPERATION_NOT_ALLOWED for Domain-0, and the scheduling-domain rules keep their codes', async (t) => {
    const { daemon, call, guest, other } = await setUp(t);
    const refused = async (promise: ReturnType<typeof call>, code: string): Promise<void> => {
      const before = await state(daemon);
      assert.equal((await promise).error?.message, code);
      assert.deepEqual(await state(daemon), before);
    };
    await refused(call('VM.pause', DOMAIN0), 'OPERATION_NOT_ALLOWED');
    await refused(call('VM.set_scheduling_domain', DOMAIN0, guest), 'OPERATION_NOT_ALLOWED');
    await refused(call('VM.set_scheduling_domain', guest, guest), 'SELF_MEMBERSHIP');
    assert.equal((await call('VM.set_scheduling_domain', other, guest)).result, '');
    const third = (await call('VM.create', { name_label: 'third' })).result as string;
    // A member can't be in two groups, and groups do not nest.
    await refused(call('VM.set_scheduling_domain', other, third), 'ALREADY_IN_GROUP');
    await refused(call('VM.set_scheduling_domain', third, other), 'NESTED_GROUP');
    await refused(call('VM.set_scheduling_domain', guest, third), 'NESTED_GROUP');
    await refused(call('VM.set_scheduling_domain_share', third, 512), 'NO_SUCH_SCHEDULING_DOMAIN');
    await refused(call('VM.set_scheduling_domain_share', other, 0), 'INVALID_VALUE');
  });

  it('UUID_INVALID, SESSION_NOT_REGISTERED and EVENTS_LOST', async (t) => {
    const { daemon, call, session } = await setUp(t);
    await fails(daemon, call('VM.get_by_uuid', '6f1c6d2e-0000-4000-8000-000000000000'), ['UUID_INVALID', 'VM', '6f1c6d2e-0000-4000-8000-000000000000']);
    await fails(daemon, call('event.next'), ['SESSION_NOT_REGISTERED', session]);
    // A token of another daemon life (or none this daemon gave).
    await fails(daemon, call('event.from', ['vm'], 'deadbeef:0000000000000001', 0), ['EVENTS_LOST']);
    await fails(daemon, call('event.from', ['vm'], 'garbage', 0), ['EVENTS_LOST']);
  });

  it('JSON-RPC documents that are not a call: parse error and invalid request, in JSON-RPC 2.0 shape', async (t) => {
    const daemon = await build(t);
    const post = (payload: string) => daemon.request('POST', '/jsonrpc', payload, { 'content-type': 'application/json' });
    const broken = await post('{"jsonrpc":');
    assert.equal(broken.status, 200);
    assert.equal(broken.headers['content-type'], 'application/json');
    assert.deepEqual([broken.body.id, broken.body.error.code, broken.body.error.message], [null, -32700, 'Parse error']);
    for (const payload of ['[]', '{"id":1,"params":[]}', '{"id":1,"method":"VM.get_all","params":{}}', '{"id":{},"method":"VM.get_all"}']) {
      assert.equal((await post(payload)).body.error.code, -32600, payload);
    }
  });
});

