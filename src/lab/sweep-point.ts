/**
 * One run of a sweep: a point's scenario with one seed, played by the
 * scenario runner, reduced to a result line (CPU % per phase, per domain and
 * per group, and wake latency for domains that block). A point the scenario
 * runner refuses is a line with its error.
 */
import { NS_PER_MS, NS_PER_US, type SchedTrace } from '../hypervisor/index.ts';
import { parseScenario } from './scenario-file.ts';
import { runScenario, ScenarioError, type ScenarioResult } from './scenario.ts';
import { pointScenario, pointValues, type SweepPlan } from './sweep-file.ts';

/** Wake-to-run latency of a domain's vCPUs over a phase, µs: how many wakes, their mean and 99th percentile. */
export interface WakeLatency {
  readonly count: number;
  readonly mean_us: number;
  readonly p99_us: number;
}

export interface DomainShare {
  /** Percent of one pCPU over the phase (100 = one pCPU); null while the domain is not running. */
  readonly pct: number | null;
  readonly wake_latency?: WakeLatency;
}

export interface PhaseShares {
  readonly from_s: number;
  readonly to_s: number;
  readonly domains: Record<string, DomainShare>;
  /** Each scheduling domain in force over the phase, by its master's name: its members, and the CPU % of master and members together. */
  readonly groups: Record<string, { readonly members: readonly string[]; readonly pct: number }>;
}

/** One line of a sweep's results; its fields in this order (the JSON Lines are compared byte for byte). */
export interface SweepLine {
  readonly sweep: string;
  /** The run's number: point × seeds + the seed's place in the list; `runs` of them in the sweep. */
  readonly run: number;
  readonly runs: number;
  readonly point: number;
  readonly seed: number;
  readonly values: Record<string, unknown>;
  readonly phases?: readonly PhaseShares[];
  readonly trace_hash?: string;
  readonly error?: string;
}

/** Enough for a scenario's wake latencies; a run that records more keeps them for the phases the record covers. */
const TRACE_MAX_EVENTS = 2_000_000;

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

export function runSweepPoint(plan: SweepPlan, run: number): SweepLine {
  const point = Math.floor(run / plan.seeds.length);
  const seed = plan.seeds[run % plan.seeds.length]!;
  const values = pointValues(plan, point);
  const head = { sweep: plan.hash, run, runs: plan.points * plan.seeds.length, point, seed, values };
  try {
    const scenario = parseScenario(JSON.stringify(pointScenario(plan, values, seed)), `point ${point}`);
    const result = runScenario(scenario, { traceMaxEvents: TRACE_MAX_EVENTS });
    return { ...head, phases: phaseShares(result), trace_hash: result.trace_hash };
  } catch (error) {
    if (error instanceof ScenarioError) return { ...head, error: error.message };
    throw error;
  }
}

function phaseShares(result: ScenarioResult): PhaseShares[] {
  const latencies = result.trace === null ? [] : wakeLatencies(result.trace, result.names, result.phases.map((p) => [p.from_ms * NS_PER_MS, p.to_ms * NS_PER_MS]));
  return result.phases.map((phase, p) => ({
    from_s: phase.from_ms / 1000,
    to_s: phase.to_ms / 1000,
    domains: Object.fromEntries(
      phase.domains.map((d) => {
        const latency = latencies[p]?.get(d.name);
        return [d.name, { pct: d.pct === null ? null : round3(d.pct), ...(latency === undefined ? {} : { wake_latency: latency }) }];
      }),
    ),
    groups: Object.fromEntries(phase.groups.map((g) => [g.master, { members: g.members, pct: round3(g.pct) }])),
  }));
}

/** Per phase (that the trace covers whole), each domain that woke: its wakes' latency. */
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
