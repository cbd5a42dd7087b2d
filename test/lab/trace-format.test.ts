/**
 * Trace exports: the Chrome JSON checked against the Trace Event Format's own
 * rules (the format document, "Trace Event Format", Google, 2016: required
 * fields per phase, µs timestamps, B/E balanced, slices nesting, metadata),
 * with ts monotonic per track as Perfetto's importer wants; JSON Lines one
 * record per event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Host, NS_PER_MS, type SchedTrace } from '../../src/hypervisor/index.ts';
import { toChromeTrace, toJsonLines, traceSlices } from '../../src/lab/trace-format.ts';

type Json = Record<string, unknown>;

const METADATA_NAMES = new Set(['process_name', 'process_labels', 'process_sort_index', 'thread_name', 'thread_sort_index']);
const PHASES = new Set(['B', 'E', 'X', 'i', 'I', 'C', 'M', 'b', 'n', 'e', 's', 't', 'f', 'P', 'N', 'O', 'D', 'R', 'c']);

/** Every problem with a Trace Event Format document, by its documented rules; empty when it is valid. */
function traceEventProblems(document: unknown): string[] {
  const problems: string[] = [];
  if (typeof document !== 'object' || document === null || !Array.isArray((document as Json).traceEvents)) return ['not an object with a traceEvents array'];
  const unit = (document as Json).displayTimeUnit;
  if (unit !== undefined && unit !== 'ms' && unit !== 'ns') problems.push(`displayTimeUnit ${String(unit)}`);
  const lastTs = new Map<string, number>();
  const open = new Map<string, { name: string; end: number }[]>();
  const openB = new Map<string, string[]>();
  for (const [i, raw] of ((document as Json).traceEvents as unknown[]).entries()) {
    const e = raw as Json;
    const at = `event ${i} (${JSON.stringify(e).slice(0, 120)})`;
    if (typeof e.ph !== 'string' || !PHASES.has(e.ph)) {
      problems.push(`${at}: ph`);
      continue;
    }
    if (typeof e.name !== 'string') problems.push(`${at}: name must be a string`);
    if (!Number.isInteger(e.pid)) problems.push(`${at}: pid must be an integer`);
    if (e.ph !== 'C' && !Number.isInteger(e.tid)) problems.push(`${at}: tid must be an integer`);
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) problems.push(`${at}: ts must be a number of µs`);
    if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null)) problems.push(`${at}: args must be an object`);
    if (e.ph === 'M') {
      if (!METADATA_NAMES.has(e.name as string) || typeof e.args !== 'object') problems.push(`${at}: metadata name or args`);
      continue;
    }
    const track = e.ph === 'C' ? `${e.pid}/counter/${e.name as string}` : `${e.pid}/${e.tid as number}`;
    const ts = e.ts as number;
    if (ts < (lastTs.get(track) ?? 0)) problems.push(`${at}: ts goes back on track ${track}`);
    lastTs.set(track, ts);
    if (e.ph === 'X') {
      if (typeof e.dur !== 'number' || e.dur < 0) problems.push(`${at}: X needs dur >= 0`);
      const stack = open.get(track) ?? [];
      while (stack.length > 0 && stack.at(-1)!.end <= ts) stack.pop();
      if (stack.length > 0 && ts + (e.dur as number) > stack.at(-1)!.end) problems.push(`${at}: overlaps ${stack.at(-1)!.name} without nesting`);
      stack.push({ name: e.name as string, end: ts + (e.dur as number) });
      open.set(track, stack);
    }
    if (e.ph === 'B') openB.set(track, [...(openB.get(track) ?? []), e.name as string]);
    if (e.ph === 'E' && (openB.get(track) ?? []).pop() === undefined) problems.push(`${at}: E without B`);
    if (e.ph === 'C' && (typeof e.args !== 'object' || !Object.values(e.args as Json).every((v) => typeof v === 'number'))) {
      problems.push(`${at}: a counter's args are numbers`);
    }
    if ((e.ph === 'i' || e.ph === 'I') && e.s !== undefined && !['g', 'p', 't'].includes(e.s as string)) problems.push(`${at}: instant scope`);
  }
  for (const [track, names] of openB) if (names.length > 0) problems.push(`track ${track}: B without E (${names.join(', ')})`);
  return problems;
}

function tracedHost(): { host: Host; trace: SchedTrace } {
  const host = new Host({ pcpus: 2, seed: 3 });
  const create = (domid: number, extra: object): void => {
    const result = host.domctl({ op: 'createdomain', domid, max_vcpus: 1, vcpus: 1, workload: { type: 'cpu' }, ...extra });
    assert.ok(result.ok);
  };
  create(1, {});
  create(2, { cap: 25 });
  create(3, { workload: { type: 'duty', run_ms: 2, sleep_ms: 5 } });
  host.advanceTo(500 * NS_PER_MS + 777);
  const recorder = host.startTrace(400 * NS_PER_MS, 100_000);
  host.advanceTo(host.now_ns + 400 * NS_PER_MS);
  return { host, trace: recorder.finish() };
}

const NAMES = new Map([[0, 'Domain-0'], [1, 'web'], [2, 'capped'], [3, 'io']]);

describe('trace exports', () => {
  it('the validator refuses what the format forbids', () => {
    assert.deepEqual(traceEventProblems({ traceEvents: [] }), []);
    assert.equal(traceEventProblems({ traceEvents: [{ name: 'a', ph: 'X', pid: 1, tid: 0, ts: 5 }] }).length, 1, 'X without dur');
    assert.equal(traceEventProblems({ traceEvents: [{ name: 'a', ph: 'B', pid: 1, tid: 0, ts: 5 }] }).length, 1, 'unbalanced B');
    const backwards = [{ name: 'a', ph: 'i', pid: 1, tid: 0, ts: 5 }, { name: 'b', ph: 'i', pid: 1, tid: 0, ts: 4 }];
    assert.equal(traceEventProblems({ traceEvents: backwards }).length, 1, 'ts going back on a track');
    const overlap = [{ name: 'a', ph: 'X', pid: 1, tid: 0, ts: 0, dur: 5 }, { name: 'b', ph: 'X', pid: 1, tid: 0, ts: 3, dur: 5 }];
    assert.equal(traceEventProblems({ traceEvents: overlap }).length, 1, 'overlapping slices');
  });

  it('Chrome JSON: valid, one named track per pCPU whose slices are exactly the time each vCPU ran there', () => {
    const { trace } = tracedHost();
    const chrome = JSON.parse(JSON.stringify(toChromeTrace(trace, NAMES))) as { traceEvents: Json[] };
    assert.deepEqual(traceEventProblems(chrome), []);
    const threadNames = chrome.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === 1).map((e) => (e.args as Json).name);
    assert.deepEqual(threadNames, ['pCPU 0', 'pCPU 1']);
    for (let pcpu = 0; pcpu < 2; pcpu++) {
      const busy_us = chrome.traceEvents.filter((e) => e.ph === 'X' && e.tid === pcpu).reduce((sum, e) => sum + (e.dur as number), 0);
      const busy_ns = traceSlices(trace)[pcpu]!.filter((s) => s.vcpu !== null).reduce((sum, s) => sum + s.end_ns - s.start_ns, 0);
      assert.ok(Math.abs(busy_us * 1000 - busy_ns) < 1e-3 * trace.events.length, `pCPU ${pcpu}`);
    }
    const names = new Set(chrome.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name));
    assert.ok(names.has('web v0') && names.has('capped v0') && names.has('io v0'), [...names].join());
    assert.ok(chrome.traceEvents.some((e) => e.ph === 'C' && e.name === 'credit capped v0'), 'a credit counter');
    for (const kind of ['park', 'unpark', 'boost']) assert.ok(chrome.traceEvents.some((e) => e.ph === 'i' && e.name === kind), kind);
  });

  it("slices tile each pCPU's window: idle and running, end to end", () => {
    const { trace } = tracedHost();
    for (const slices of traceSlices(trace)) {
      assert.equal(slices[0]!.start_ns, trace.start_ns);
      assert.equal(slices.at(-1)!.end_ns, trace.end_ns);
      for (let i = 1; i < slices.length; i++) assert.equal(slices[i]!.start_ns, slices[i - 1]!.end_ns);
    }
  });

  it('JSON Lines: a header, then one parseable record per event in order', () => {
    const { trace } = tracedHost();
    const lines = toJsonLines(trace, NAMES).trimEnd().split('\n');
    assert.equal(lines.length, trace.events.length + 1);
    const header = JSON.parse(lines[0]!) as Json;
    assert.equal(header.kind, 'trace');
    assert.equal(header.end_ns, trace.end_ns);
    assert.deepEqual(header.domains, { 0: 'Domain-0', 1: 'web', 2: 'capped', 3: 'io' });
    const records = lines.slice(1).map((line) => JSON.parse(line) as Json);
    assert.deepEqual(records, JSON.parse(JSON.stringify(trace.events)));
    for (let i = 1; i < records.length; i++) assert.ok((records[i]!.t_ns as number) >= (records[i - 1]!.t_ns as number));
  });
});
