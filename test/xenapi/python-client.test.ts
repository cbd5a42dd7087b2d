/**
 * The XML-RPC transport as XAPI's Python clients use it: a session on
 * Python's own xmlrpc.client (test/xenapi/python) that unwraps Status/Value
 * and raises Failure as XenAPI.py does, calling the underscore spellings
 * (`event_from`, `VM_get_all`, `Async_VM_start`) Python needs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listening } from './helpers.ts';

const SCENARIO = fileURLToPath(new URL('python/scenario.py', import.meta.url));
const DOMAIN0 = 'OpaqueRef:00000000-0000-0000-0000-000000000000';

function runPython(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile('python3', [SCENARIO, url], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

describe('XenAPI from Python\'s xmlrpc.client, as XenAPI.py talks', () => {
  it('takes the underscore spellings, has every getter, filters records and names unknown uuids', async (t) => {
    const daemon = await listening(t);
    const seen = await runPython(daemon.url);
    const { guest, stubdom } = seen['refs'] as { guest: string; stubdom: string };
    const uuidOf = (ref: string): string => ref.slice('OpaqueRef:'.length);
    assert.match(seen['session'] as string, /^OpaqueRef:[0-9a-f-]{36}$/);
    // What the REST API says about the same domains.
    const rest = (await daemon.request('GET', '/api/v1/domains')).body as Array<{ uuid: string; name: string; state: string }>;
    assert.deepEqual(rest.map((d) => [d.name, d.state, d.uuid]), [['Domain-0', 'running', uuidOf(DOMAIN0)], ['guest', 'running', uuidOf(guest)], ['stubdom-1', 'paused', uuidOf(stubdom)]]);
    assert.deepEqual(seen['initial_events'], [DOMAIN0, guest, stubdom].map((ref) => ['add', ref]).sort());
    assert.deepEqual(seen['changes'], [['mod', stubdom, 'stubdom-1']]);
    assert.deepEqual(seen['vm_getters'], {
      name_description: '', allowed_operations: [], current_operations: {}, consoles: [], VIFs: [], VBDs: [],
      VCPUs_params: { weight: '512', cap: '0' }, power_state: 'Running',
    });
    assert.deepEqual(seen['stubdom'], ['Paused', guest]);
    const hostGetters = seen['host_getters'] as Record<string, unknown>;
    assert.deepEqual(hostGetters, {
      address: '127.0.0.1', hostname: hostGetters['hostname'], enabled: true, cpu_info: { cpu_count: '2' }, metrics: 'OpaqueRef:NULL',
      other_config: {}, tags: [], name_label: 'nemesis',
    });
    assert.ok(typeof hostGetters['hostname'] === 'string' && hostGetters['hostname'] !== '');
    assert.equal(seen['by_uuid'], guest);
    assert.deepEqual(seen['running_guests'], [guest]);
    assert.deepEqual(seen['by_name'], [guest, stubdom].sort());
    assert.deepEqual(seen['unknown_uuid'], ['UUID_INVALID', 'VM', '00000000-0000-4000-8000-00000000dead']);
    assert.deepEqual(seen['unknown_host_uuid'], ['UUID_INVALID', 'host', '00000000-0000-4000-8000-00000000dead']);
    assert.equal((seen['bad_expression'] as string[])[0], 'INVALID_VALUE');
    assert.equal((seen['bad_expression'] as string[])[1], 'field "power_state" = ');
    assert.deepEqual(seen['unknown_field'], ['INVALID_VALUE', 'field "colour" = "blue"', 'VM has no field "colour"']);
    assert.deepEqual(seen['unknown_method'], ['MESSAGE_METHOD_UNKNOWN', 'VM_reboot_into_space']);
  });
});
