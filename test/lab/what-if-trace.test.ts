/**
 * A what-if with `trace`: the changed copy's scheduler trace over the
 * look-ahead, kept beside live traces. Its slices are the copy's CPU time:
 * each domain's running time in the trace is its predicted share.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';

const MS = 2000;

interface ChromeEvent {
  readonly ph: string;
  readonly pid: number;
  readonly name: string;
  readonly dur?: number;
}

describe('what-if trace', () => {
  it('records the changed copy over the look-ahead; its slices add up to the predicted shares', async (t) => {
    const d = await build(t, { pcpus: 2 });
    for (const body of [{ name: 'web', start: true, vcpus: 2 }, { name: 'db', start: true }, { name: 'stub', start: true, workload: { type: 'duty', run_ms: 2, sleep_ms: 3 } }]) {
      assert.equal((await d.request('POST', '/api/v1/domains', body)).status, 201);
    }
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1234 });
    const changes = [{ method: 'PUT', path: '/domains/web/sched', body: { cap: 50 } }];
    const live = (await d.request('GET', '/api/v1/host')).body.trace_hash;

    const reply = await d.request('POST', '/api/v1/host/what-if', { ms: MS, changes, trace: true });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(typeof reply.body.trace_id, 'number');
    assert.equal((await d.request('GET', '/api/v1/host')).body.trace_hash, live, 'the live host is untouched');
    const withoutTrace = await d.request('POST', '/api/v1/host/what-if', { ms: MS, changes });
    assert.equal(withoutTrace.body.trace_id, undefined);
    assert.equal(withoutTrace.body.trace_hash, reply.body.trace_hash, 'recording changes nothing in the copy');

    const trace = await d.request('GET', `/api/v1/host/trace/${reply.body.trace_id}`);
    assert.equal(trace.status, 200);
    const slices = (trace.body.traceEvents as ChromeEvent[]).filter((e) => e.ph === 'X' && e.pid === 1);
    const running_us = new Map<string, number>();
    for (const slice of slices) {
      const domain = slice.name.replace(/ v\d+$/, '');
      running_us.set(domain, (running_us.get(domain) ?? 0) + slice.dur!);
    }
    for (const row of reply.body.domains as { name: string; predicted_pct: number }[]) {
      const traced_pct = ((running_us.get(row.name) ?? 0) / (MS * 1000)) * 100;
      assert.ok(Math.abs(traced_pct - row.predicted_pct) < 0.01, `${row.name}: traced ${traced_pct}, predicted ${row.predicted_pct}`);
    }
    assert.ok(Math.abs(((running_us.get('web') ?? 0) / (MS * 1000)) * 100 - 50) < 1, 'web is held to its new cap');
  });

  it('refuses a traced what-if whose window would exceed the trace limit, naming it', async (t) => {
    const d = await build(t, { pcpus: 64 });
    const reply = await d.request('POST', '/api/v1/host/what-if', { ms: 600_000, changes: [], trace: true });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.code, 'TRACE_TOO_LARGE');
    assert.match(reply.body.message, /200000/);
  });
});
