/**
 * Every class's messages come from one description: each field of each
 * record has its getter, and the same filter expressions select records of
 * every class. Driven with Xen Orchestra's `xen-api` client over JSON-RPC.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient, type Xapi } from 'xen-api';
import { jsonRpc, listening } from './helpers.ts';

async function connect(url: string, t: { after(fn: () => Promise<void>): void }): Promise<Xapi> {
  const xapi = createClient({ url, auth: { user: 'root', password: '' }, transport: 'json-rpc', allowUnauthorized: true, watchEvents: false });
  t.after(() => xapi.disconnect());
  await xapi.connect();
  return xapi;
}

const CLASSES = ['pool', 'host', 'host_cpu', 'VM', 'VM_metrics', 'task'] as const;
/** The messages every class has besides its fields' getters. */
const READS = ['get_all', 'get_all_records', 'get_all_records_where', 'get_record', 'get_by_uuid', 'get_by_name_label'];

describe('XenAPI classes', () => {
  it('answers a getter for every field of every record, each equal to the record\'s field', async (t) => {
    const daemon = await listening(t);
    const xapi = await connect(daemon.url, t);
    const guest = (await xapi.call('VM.create', { name_label: 'guest' })) as string;
    await xapi.call('Async.VM.start', guest, false, false);
    const methods = (await jsonRpc(daemon, 'system.listMethods', [])).result as string[];
    for (const cls of CLASSES) {
      const records = (await xapi.call(`${cls}.get_all_records`)) as Record<string, Record<string, unknown>>;
      const [ref, record] = Object.entries(records)[0]!;
      const getters = methods.filter((m) => m.startsWith(`${cls}.get_`)).map((m) => m.slice(`${cls}.get_`.length)).filter((f) => !READS.includes(`get_${f}`));
      const own = cls === 'VM' ? getters.filter((f) => f !== 'scheduling_domain_members') : getters;
      assert.deepEqual(own.sort(), Object.keys(record).sort(), `${cls}: getters and record fields`);
      for (const field of own) assert.deepEqual(await xapi.call(`${cls}.get_${field}`, ref), record[field], `${cls}.get_${field}`);
      assert.equal(await xapi.call(`${cls}.get_by_uuid`, record['uuid']), ref);
      assert.deepEqual(await xapi.call(`${cls}_get_all`), Object.keys(records), `${cls}_get_all (the underscore spelling)`);
    }
  });

  it('selects records with XAPI\'s filter expressions: =, and, or, not, parentheses, true, false', async (t) => {
    const daemon = await listening(t);
    const xapi = await connect(daemon.url, t);
    const create = async (name: string): Promise<string> => (await xapi.call('VM.create', { name_label: name })) as string;
    const [a, b, c] = [await create('a'), await create('b'), await create('c')];
    await xapi.call('VM.start', a, false, false);
    await xapi.call('VM.start', b, true, false);
    await xapi.call('VM.add_to_VCPUs_params', b, 'cap', '20');
    const dom0 = 'OpaqueRef:00000000-0000-0000-0000-000000000000';
    const where = async (expr: string): Promise<string[]> => Object.keys((await xapi.call('VM.get_all_records_where', expr)) as object).sort();
    assert.deepEqual(await where('field "power_state" = "Halted"'), [c]);
    assert.deepEqual(await where('"Running" = field "power_state"'), [dom0, a].sort());
    assert.deepEqual(await where('field "power_state" = "Running" and field "is_control_domain" = "false"'), [a]);
    assert.deepEqual(await where('field "name_label" = "a" or field "name_label" = "c"'), [a, c].sort());
    // not binds everything after it, as in XAPI: not (x or y).
    assert.deepEqual(await where('not field "name_label" = "a" or field "name_label" = "c"'), [dom0, b].sort());
    assert.deepEqual(await where('(not field "name_label" = "a") or field "name_label" = "c"'), [dom0, b, c].sort());
    // Maps compare in XAPI's stored form.
    assert.deepEqual(await where('field "VCPUs_params" = "((\'weight\' \'256\') (\'cap\' \'20\'))"'), [b]);
    assert.deepEqual(await where('true'), [dom0, a, b, c].sort());
    assert.deepEqual(await where('false'), []);
    assert.deepEqual(Object.keys((await xapi.call('host_cpu.get_all_records_where', 'field "number" = "1"')) as object), [(await xapi.call('host_cpu.get_all') as string[])[1]]);
    for (const bad of ['field "power_state" =', 'field "power_state" = "Running" and', '(true', 'power_state = "Running"', 'true true']) {
      await assert.rejects(xapi.call('VM.get_all_records_where', bad), (error: { code: string; params: string[] }) => {
        assert.equal(error.code, 'INVALID_VALUE');
        assert.equal(error.params[0], bad);
        return true;
      });
    }
  });
});
