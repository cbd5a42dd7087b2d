/**
 * The host record says where the daemon is (its listen address, the machine's
 * host name), and tasks carry simulated times, like every other XenAPI time.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';
import { jsonRpc } from './helpers.ts';

describe('XenAPI host and tasks', () => {
  it('the host record has the configured listen address and the machine\'s host name', async (t) => {
    const daemon = await build(t, { bindHost: '192.0.2.7' });
    const session = (await jsonRpc(daemon, 'session.login_with_password', ['root', ''])).result;
    const host = ((await jsonRpc(daemon, 'host.get_all', [session])).result as string[])[0];
    const record = (await jsonRpc(daemon, 'host.get_record', [session, host])).result as Record<string, unknown>;
    assert.deepEqual([record['address'], record['hostname']], ['192.0.2.7', hostname()]);
    assert.deepEqual(
      [(await jsonRpc(daemon, 'host.get_address', [session, host])).result, (await jsonRpc(daemon, 'host.get_hostname', [session, host])).result],
      ['192.0.2.7', hostname()],
    );
  });

  it('a task\'s created and finished times are the simulated clock\'s (frozen, 61.5 s after the epoch)', async (t) => {
    const daemon = await build(t);
    assert.equal((await daemon.request('POST', '/api/v1/host/clock/advance', { ms: 61_500 })).status, 200);
    const session = (await jsonRpc(daemon, 'session.login_with_password', ['root', ''])).result;
    const task = (await jsonRpc(daemon, 'Async.VM.create', [session, { name_label: 'guest' }])).result;
    const record = (await jsonRpc(daemon, 'task.get_record', [session, task])).result as Record<string, unknown>;
    // 61.5 s after the epoch, to the second as XenAPI writes dates.
    assert.deepEqual([record['status'], record['created'], record['finished']], ['success', '19700101T00:01:01Z', '19700101T00:01:01Z']);
  });
});
