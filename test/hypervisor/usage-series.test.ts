/**
 * getusageseries: the usage history in steps, in one pass. Each step must be
 * exactly what two neighbouring getusage windows differ by, to the nanosecond.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_USAGE_STEPS, USAGE_HISTORY_NS, type Host } from '../../src/hypervisor/index.ts';
import { createDomain, must, newHost, NS_PER_MS, NS_PER_S } from './helpers.ts';

/** Step k of `steps` (1 = newest) the slow way: window(k × step) less window((k − 1) × step). */
function stepByWindows(host: Host, window_ns: number, step_ns: number, k: number) {
  const outer = must(host, { op: 'getusage', window_ns: Math.min(k * step_ns, window_ns) });
  const inner = k === 1 ? undefined : must(host, { op: 'getusage', window_ns: (k - 1) * step_ns });
  const innerCpu = new Map(inner?.domains.map((d) => [d.domid, d.cpu_ns]));
  return {
    from_ns: outer.from_ns,
    to_ns: inner?.from_ns ?? outer.to_ns,
    domains: outer.domains.map((d) => ({ domid: d.domid, cpu_ns: d.cpu_ns - (innerCpu.get(d.domid) ?? 0) })),
    pcpus: outer.pcpus.map((p) => ({ id: p.id, busy_ns: p.busy_ns - (inner?.pcpus[p.id]?.busy_ns ?? 0) })),
  };
}

test('each step is the difference of two neighbouring windows, to the nanosecond, oldest first', () => {
  const host = newHost(2);
  createDomain(host, 1);
  createDomain(host, 2, { weight: 512, workload: { type: 'duty', run_ms: 7, sleep_ms: 13 } });
  createDomain(host, 3, { cap: 30 });
  host.advanceTo(75 * NS_PER_S + 17 * NS_PER_MS);
  for (const [window_ns, step_ns] of [[10 * NS_PER_S, NS_PER_S], [7 * NS_PER_S, 2 * NS_PER_S], [120 * NS_PER_S, NS_PER_S]] as const) {
    const series = must(host, { op: 'getusageseries', window_ns, step_ns });
    const steps = Math.ceil(window_ns / step_ns);
    const slow = Array.from({ length: steps }, (_, i) => stepByWindows(host, window_ns, step_ns, steps - i)).filter((step) => step.to_ns > step.from_ns);
    assert.deepEqual(series, slow, `window ${window_ns / NS_PER_S} s in steps of ${step_ns / NS_PER_S} s`);
  }
});

test('a step that would cut the window into more steps than kept, or a window past the history, is refused', () => {
  const host = newHost(1);
  const refused = host.domctl({ op: 'getusageseries', window_ns: 60 * NS_PER_S, step_ns: 60 * NS_PER_S / (MAX_USAGE_STEPS + 1) });
  assert.equal(refused.ok, false);
  assert.equal(host.domctl({ op: 'getusageseries', window_ns: USAGE_HISTORY_NS + 1, step_ns: USAGE_HISTORY_NS }).ok, false);
  assert.equal(host.domctl({ op: 'getusageseries', window_ns: 60 * NS_PER_S, step_ns: 60 * NS_PER_S / MAX_USAGE_STEPS }).ok, true);
});
