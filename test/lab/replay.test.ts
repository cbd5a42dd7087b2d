/**
 * Record and replay: GET /host/replay-log exports the run, and replaying it
 * headless (src/lab/replay.ts) reaches the same trace_hash, every time; also
 * for a daemon whose clock ran at speed 1, where wall-clock timing decided
 * the simulated instant each request landed at.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replay, ReplayError } from '../../src/lab/replay.ts';
import { CAP_UNCHANGED, Host, type ReplayLog } from '../../src/hypervisor/index.ts';
import { build, type TestDaemon } from '../helpers.ts';

async function demo(d: TestDaemon): Promise<void> {
  await d.request('POST', '/api/v1/domains', { name: 'guest', start: true });
  await d.request('POST', '/api/v1/domains', { name: 'stubdom', start: true, workload: { type: 'duty', run_ms: 2, sleep_ms: 5 } });
  await d.request('PUT', '/api/v1/domains/guest/sched', { cap: 10 });
  await d.request('POST', '/api/v1/scheduling-domains/guest/members', { domain: 'stubdom' });
}

describe('replay', () => {
  it('a frozen daemon\'s log replays to its trace hash, and twice to the same', async (t) => {
    const d = await build(t, { pcpus: 2, seed: 9 });
    await demo(d);
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1500 });
    await d.request('PUT', '/api/v1/scheduler', { tslice_ms: 10 });
    await d.request('POST', '/api/v1/domains/stubdom/pause');
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 777 });
    const reply = await d.request('GET', '/api/v1/host/replay-log');
    assert.equal(reply.status, 200);
    const log = reply.body as ReplayLog;
    const host = (await d.request('GET', '/api/v1/host')).body;
    assert.equal(log.trace_hash, host.trace_hash);
    assert.equal(log.now_ns, host.clock.now_ns);
    assert.deepEqual(log.origin, { pcpus: 2, seed: 9, scheduler: 'credit' });
    assert.ok(log.entries.some((e) => e.op.op === 'pausedomain' && e.at_ns === 1500_000_000));
    const first = replay(log);
    assert.deepEqual(first, { entries: log.entries.length, now_ns: log.now_ns, expected_trace_hash: log.trace_hash, trace_hash: log.trace_hash, matches: true });
    assert.deepEqual(replay(structuredClone(log)), first);
  });

  it('a log whose run differs does not match, and a broken log is refused naming its entry', async (t) => {
    const d = await build(t, { pcpus: 2 });
    await demo(d);
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
    const log = (await d.request('GET', '/api/v1/host/replay-log')).body as ReplayLog;
    const shifted = { ...log, entries: log.entries.map((e, i) => (i === log.entries.length - 1 ? { ...e, at_ns: e.at_ns + 100_000_000 } : e)) };
    assert.equal(replay(shifted).matches, false);
    const refused = { ...log, entries: [...log.entries, { at_ns: log.now_ns, op: { op: 'destroydomain', domid: 77 } }] } as ReplayLog;
    assert.throws(() => replay(refused), (error: unknown) => error instanceof ReplayError && /entry \d+ \(destroydomain/.test(error.message));
  });

  it('a daemon at clock speed 1 (requests landing when the wall clock says) exports a log that replays to its hash', async (t) => {
    const d = await build(t, { pcpus: 2, speed: 1 });
    await demo(d);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await d.request('PUT', '/api/v1/domains/guest/sched', { cap: 30 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const log = (await d.request('GET', '/api/v1/host/replay-log')).body as ReplayLog;
    assert.ok(log.now_ns > 0);
    const report = replay(log);
    assert.equal(report.matches, true);
    assert.equal(replay(log).trace_hash, report.trace_hash);
  });

  it('a credit2 host on two sockets replays under credit2 to its hash; under credit it would not', () => {
    const host = new Host({ pcpus: 4, seed: 5, sched: 'credit2', topology: { sockets: 2, cores: 2, threads: 1 } });
    const created = [1, 2, 3].map((domid) => host.domctl({ op: 'createdomain', domid, max_vcpus: 2, vcpus: 2, paused: true }));
    assert.ok(created.every((r) => r.ok));
    for (const domid of [1, 2, 3]) assert.ok(host.domctl({ op: 'unpausedomain', domid }).ok);
    host.advanceTo(700_000_000);
    assert.ok(host.domctl({ op: 'scheduler_op', cmd: 'putinfo', domid: 2, weight: 512, cap: CAP_UNCHANGED }).ok);
    host.advanceTo(1_500_000_000);
    const log = host.replayLog();
    assert.equal(log.origin.scheduler, 'credit2');
    assert.deepEqual(replay(log), { entries: log.entries.length, now_ns: log.now_ns, expected_trace_hash: log.trace_hash, trace_hash: log.trace_hash, matches: true });
    const { pcpus, seed } = log.origin;
    assert.equal(replay({ ...log, origin: { pcpus, seed, scheduler: 'credit' } }).matches, false);
  });
});

