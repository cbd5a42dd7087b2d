/**
 * Wake-to-run latency per phase of a scenario run, from its scheduler trace:
 * every switch to a vCPU that had woken and not yet run carries how long it
 * waited. Shared by sweeps (their result lines) and `nemesis run --compare`.
 */
import { NS_PER_MS, NS_PER_US, type SchedTrace } from '../hypervisor/index.ts';
import type { ScenarioResult } from './scenario.ts';

/** Wake-to-run latency of a domain's vCPUs over a phase, µs: how many wakes, their mean and 99th percentile. */
export interface WakeLatency {
  readonly count: number;
  readonly mean_us: number;
  readonly p99_us: number;
}

/** A run records this many trace events at most for its wake latencies; phases past the end of the record have none. */
export const WAKE_TRACE_MAX_EVENTS = 2_000_000;

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** Per phase of a traced run (that the trace covers whole), each domain that woke, by name: its wakes' latency. */
export function phaseWakeLatencies(result: ScenarioResult): Map<string, WakeLatency>[] {
  const phases = result.phases.map((p) => [p.from_ms * NS_PER_MS, p.to_ms * NS_PER_MS] as const);
  return result.trace === null ? phases.map(() => new Map()) : wakeLatencies(result.trace, result.names, phases);
}

function wakeLatencies(trace: SchedTrace, names: ReadonlyMap<number, string>, phases: readonly (readonly [number, number])[]): Map<string, WakeLatency>[] {
  const waits = phases.map(() => new Map<string, number[]>());
  let p = 0;
  for (const event of trace.events) {
    if (event.kind !== 'switch' || event.wake_latency_ns === undefined || event.to === null) continue;
    while (p < phases.length - 1 && event.t_ns >= phases[p]![1]) p++;
    const name = names.get(event.to.domid);
    if (name === undefined) continue;
    const list = waits[p]!.get(name) ?? [];
    list.push(event.wake_latency_ns);
    waits[p]!.set(name, list);
  }
  return waits.map((byName, i) =>
    phases[i]![1] > trace.end_ns ? new Map() : new Map([...byName].map(([name, ns]) => [name, summarise(ns)])),
  );
}

function summarise(latencies_ns: number[]): WakeLatency {
  const sorted = latencies_ns.toSorted((a, b) => a - b);
  const mean_ns = sorted.reduce((sum, ns) => sum + ns, 0) / sorted.length;
  // Nearest rank: the smallest latency that at least 99% of the wakes did not exceed.
  const p99_ns = sorted[Math.ceil(0.99 * sorted.length) - 1]!;
  return { count: sorted.length, mean_us: round3(mean_ns / NS_PER_US), p99_us: round3(p99_ns / NS_PER_US) };
}
