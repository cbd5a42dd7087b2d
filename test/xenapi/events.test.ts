/**
 * XenAPI events: event.from (snapshot, then changes after a token, waiting
 * for them), event.inject, the older register/next, tasks from Async calls,
 * and EVENTS_LOST when a token is older than the log keeps.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { EVENT_LOG_SIZE, EventLog } from '../../src/xenapi/event-log.ts';
import { build, type TestDaemon } from '../helpers.ts';
import { jsonRpc, type EventRecord, type From } from './helpers.ts';


async function session(t: TestContext): Promise<{ daemon: TestDaemon; call: (method: string, ...params: unknown[]) => Promise<unknown> }> {
  const daemon = await build(t);
  const ref = (await jsonRpc(daemon, 'session.login_with_password', ['root', ''])).result;
  const call = async (method: string, ...params: unknown[]): Promise<unknown> => {
    const answer = await jsonRpc(daemon, method, [ref, ...params]);
    if (answer.error !== undefined) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
    return answer.result;
  };
  return { daemon, call };
}

const summary = (events: readonly EventRecord[]) => events.map((e) => [e.class, e.operation, e.snapshot?.['name_label'] ?? e.snapshot?.['power_state'] ?? null]);

describe('XenAPI events', () => {
  it('event.from: every object with an empty token, then the changes after the token, one event per object with its latest record', async (t) => {
    const { daemon, call } = await session(t);
    const first = (await call('event.from', ['VM', 'pool'], '', 0)) as From;
    assert.deepEqual(summary(first.events), [['pool', 'add', 'nemesis'], ['vm', 'add', 'Domain-0']]);
    assert.deepEqual(first.valid_ref_counts, { vm: 1, pool: 1 });
    // Created then started through REST: one `add`, with the record as it is now.
    const created = await daemon.request('POST', '/api/v1/domains', { name: 'guest', start: true });
    const second = (await call('event.from', ['vm'], first.token, 0)) as From;
    assert.deepEqual(second.events.map((e) => [e.class, e.operation, e.ref, e.snapshot?.['power_state']]), [['vm', 'add', `OpaqueRef:${created.body.uuid as string}`, 'Running']]);
    assert.deepEqual(second.valid_ref_counts, { vm: 2 });
    // Nothing new: no events, same position.
    const third = (await call('event.from', ['vm'], second.token, 0)) as From;
    assert.deepEqual([third.events, third.token], [[], second.token]);
    // A deletion is a `del` without a snapshot; a class not asked for is not reported.
    await daemon.request('POST', '/api/v1/domains/guest/destroy');
    await daemon.request('DELETE', '/api/v1/domains/guest');
    const fourth = (await call('event.from', ['VM', 'host_cpu'], third.token, 0)) as From;
    assert.deepEqual(fourth.events.map((e) => [e.class, e.operation, 'snapshot' in e]), [['vm', 'del', false]]);
  });

  it('event.from waits for a change when there is none, and answers as soon as one comes', async (t) => {
    const { daemon, call } = await session(t);
    const { token } = (await call('event.from', ['vm'], '', 0)) as From;
    // Asked to wait up to 100 s: answered by the change, not the timeout (the test's own timeout would catch a wait).
    const waiting = call('event.from', ['vm'], token, 100) as Promise<From>;
    await daemon.request('POST', '/api/v1/domains', { name: 'late' });
    assert.deepEqual(summary((await waiting).events), [['vm', 'add', 'late']]);
  });

  it('event.inject gives a token and an event about the object; event.from ends its waits when the daemon closes', async (t) => {
    const { daemon, call } = await session(t);
    const { token } = (await call('event.from', ['pool'], '', 0)) as From;
    const pool = ((await call('pool.get_all')) as string[])[0]!;
    const injected = (await call('event.inject', 'pool', pool)) as string;
    const next = (await call('event.from', ['pool'], token, 0)) as From;
    assert.deepEqual([summary(next.events), next.token], [[['pool', 'mod', 'nemesis']], injected]);
    const waiting = call('event.from', ['pool'], injected, 100) as Promise<From>;
    await daemon.close();
    assert.deepEqual((await waiting).events, []);
  });

  it('Async.VM.* answer a task: success with its result, failure with its error list; task.destroy removes it', async (t) => {
    const { daemon, call } = await session(t);
    const { token } = (await call('event.from', ['task'], '', 0)) as From;
    const vm = (await call('VM.create', { name_label: 'guest' })) as string;
    const started = (await call('Async.VM.start', vm, false, false)) as string;
    const failed = (await call('Async.VM.unpause', vm)) as string;
    const created = (await call('Async.VM.create', { name_label: 'other' })) as string;
    assert.deepEqual([await call('task.get_status', started), await call('task.get_result', started)], ['success', '']);
    assert.deepEqual([await call('task.get_status', failed), await call('task.get_error_info', failed)], ['failure', ['VM_BAD_POWER_STATE', vm, 'paused', 'running']]);
    // A result is an XML-RPC value, as XAPI stores it.
    const other = (await daemon.request('GET', '/api/v1/domains/other')).body;
    assert.equal(await call('task.get_result', created), `<value><string>OpaqueRef:${other.uuid as string}</string></value>`);
    const events = (await call('event.from', ['task'], token, 0)) as From;
    assert.deepEqual(events.events.map((e) => [e.operation, e.ref, e.snapshot?.['status']]), [['add', started, 'success'], ['add', failed, 'failure'], ['add', created, 'success']]);
    await call('task.destroy', started);
    const after = (await call('event.from', ['task'], events.token, 0)) as From;
    assert.deepEqual(after.events.map((e) => [e.operation, e.ref]), [['del', started]]);
    assert.deepEqual(after.valid_ref_counts, { task: 2 });
  });

  it('event.register / event.next / event.unregister (the older interface)', async (t) => {
    const { daemon, call } = await session(t);
    await call('event.register', ['VM']);
    await daemon.request('POST', '/api/v1/domains', { name: 'guest', start: true });
    await daemon.request('POST', '/api/v1/domains/guest/pause');
    const events = (await call('event.next')) as EventRecord[];
    assert.deepEqual(summary(events), [['vm', 'add', 'guest']]);
    assert.equal(events[0]?.snapshot?.['power_state'], 'Paused');
    await call('event.unregister', ['VM']);
    await assert.rejects(call('event.next'), /SESSION_NOT_REGISTERED/);
  });

  it('reports EVENTS_LOST for a token older than the log keeps', () => {
    const log = new EventLog();
    const token = log.token();
    log.append([{ cls: 'pool', operation: 'mod', ref: 'OpaqueRef:p' }]);
    assert.equal(log.since(log.parse(token)!)?.length, 1);
    log.append(Array.from({ length: EVENT_LOG_SIZE }, () => ({ cls: 'pool' as const, operation: 'mod' as const, ref: 'OpaqueRef:p' })));
    assert.equal(log.since(log.parse(token)!), undefined);
    // The oldest position still kept is fine.
    assert.equal(log.since(1)?.length, EVENT_LOG_SIZE);
    // Past several turns of the ring, the entries kept are the newest, in order.
    log.append(Array.from({ length: 2 * EVENT_LOG_SIZE + 7 }, (_, i) => ({ cls: 'vm' as const, operation: 'mod' as const, ref: `OpaqueRef:${i}` })));
    const kept = log.since(log.position - EVENT_LOG_SIZE)!;
    assert.deepEqual(kept.map((entry) => entry.seq), Array.from({ length: EVENT_LOG_SIZE }, (_, i) => log.position - EVENT_LOG_SIZE + 1 + i));
    assert.equal(kept.at(-1)?.ref, `OpaqueRef:${2 * EVENT_LOG_SIZE + 6}`);
    assert.equal(log.since(log.position - EVENT_LOG_SIZE - 1), undefined);
  });
});
