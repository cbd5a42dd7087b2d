/**
 * `GET /host/usage?step_ms=`: the usage history step by step, which the
 * dashboard's chart starts from instead of an empty minute.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from '../helpers.ts';

const MS = 1_000_000;

interface Step { now_ns: number; interval_ns: number; domains: { id: number; observed_pct: number }[]; pcpus: { id: number; busy_pct: number }[] }

test('the last 3 s in steps of 1 s: steps end at 30 ms sample instants, and together they give each domain its CPU time', async (t) => {
  const d = await build(t, { pcpus: 2 });
  const created = await d.request('POST', '/api/v1/domains', { name: 'hog', start: true });
  assert.equal(created.status, 201);
  const hog = created.body.id as number;
  assert.equal((await d.request('POST', '/api/v1/domains', { name: 'half', start: true, workload: { type: 'duty', run_ms: 10, sleep_ms: 10 } })).status, 201);
  const start_ns = (await d.request('GET', '/api/v1/host')).body.clock.now_ns as number;
  assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: 3000 })).status, 200);

  const report = await d.request('GET', '/api/v1/host/usage?window_ms=3000&step_ms=1000');
  assert.equal(report.status, 200);
  const series = report.body.series as Step[];
  const now_ns = start_ns + 3000 * MS;
  // A window reaches back to the sample at or before its start (every 30 ms): steps end at floor((now − k s) / 30 ms) × 30 ms.
  const sampleAt = (ns: number) => Math.floor(ns / (30 * MS)) * 30 * MS;
  const ends = [sampleAt(now_ns - 2000 * MS), sampleAt(now_ns - 1000 * MS), now_ns];
  const starts = [Math.max(0, sampleAt(now_ns - 3000 * MS)), ends[0]!, ends[1]!];
  assert.deepEqual(series.map((step) => step.now_ns), ends);
  assert.deepEqual(series.map((step) => step.interval_ns), ends.map((end, i) => end - starts[i]!));
  assert.equal(report.body.window_ns, now_ns - starts[0]!);

  // The steps add up to the CPU time each domain used since the window's start (the history began with the clock at start_ns).
  for (const domain of (await d.request('GET', '/api/v1/domains')).body as { id: number; cpu_time_ns: number }[]) {
    const used_ns = series.reduce((sum, step) => sum + (step.domains.find((row) => row.id === domain.id)!.observed_pct / 100) * step.interval_ns, 0);
    assert.ok(Math.abs(used_ns - domain.cpu_time_ns) < 1000, `domain ${domain.id}: steps give ${used_ns} ns, it used ${domain.cpu_time_ns} ns`);
  }
  // The CPU-bound domain has a pCPU to itself in every step.
  for (const step of series) assert.equal(step.domains.find((row) => row.id === hog)!.observed_pct, 100);
  for (const step of series) assert.equal(step.pcpus.length, 2);
});

test('steps before the history began are left out, and without step_ms there is no series', async (t) => {
  const d = await build(t, { pcpus: 1 });
  assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: 2500 })).status, 200);
  const report = await d.request('GET', '/api/v1/host/usage?window_ms=10000&step_ms=1000');
  assert.equal(report.status, 200);
  assert.equal(report.body.series.length, 3);
  assert.equal(report.body.series.reduce((sum: number, step: Step) => sum + step.interval_ns, 0), report.body.window_ns);
  const plain = await d.request('GET', '/api/v1/host/usage?window_ms=10000');
  assert.equal(plain.status, 200);
  assert.equal('series' in plain.body, false);
});

test('a step that cuts the window into more than 120 steps, or is longer than the history, is refused, naming step_ms', async (t) => {
  const d = await build(t, { pcpus: 1 });
  const before = (await d.request('GET', '/api/v1/host')).body.trace_hash;
  const refused = await d.request('GET', '/api/v1/host/usage?window_ms=60000&step_ms=100');
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'INVALID_ARGUMENT');
  assert.match(refused.body.message, /step_ms.*at most 120 steps; got 100/);
  const tooLong = await d.request('GET', '/api/v1/host/usage?window_ms=1000&step_ms=600001');
  assert.equal(tooLong.status, 400);
  assert.match(tooLong.body.message, /^step_ms: must be an integer in 1\.\.600000 .*got 600001$/);
  assert.equal((await d.request('GET', '/api/v1/host')).body.trace_hash, before);
  assert.equal((await d.request('GET', '/api/v1/host/usage?window_ms=60000&step_ms=500')).status, 200);
});
