/**
 * One run of a sweep: a point's scenario with one seed, played by the
 * scenario runner, reduced to a result line (CPU % per phase, per domain and
 * per group, and wake latency for domains that block). A point the scenario
 * runner refuses is a line with its error.
 */
import { parseScenario } from './scenario-file.ts';
import { runScenario, ScenarioError, type ScenarioResult } from './scenario.ts';
import { pointScenario, pointValues, type SweepPlan } from './sweep-file.ts';
import { phaseWakeLatencies, WAKE_TRACE_MAX_EVENTS, type WakeLatency } from './wake-latency.ts';

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

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

export function runSweepPoint(plan: SweepPlan, run: number): SweepLine {
  const point = Math.floor(run / plan.seeds.length);
  const seed = plan.seeds[run % plan.seeds.length]!;
  const values = pointValues(plan, point);
  const head = { sweep: plan.hash, run, runs: plan.points * plan.seeds.length, point, seed, values };
  try {
    const scenario = parseScenario(JSON.stringify(pointScenario(plan, values, seed)), `point ${point}`);
    const result = runScenario(scenario, { traceMaxEvents: WAKE_TRACE_MAX_EVENTS });
    return { ...head, phases: phaseShares(result), trace_hash: result.trace_hash };
  } catch (error) {
    if (error instanceof ScenarioError) return { ...head, error: error.message };
    throw error;
  }
}

function phaseShares(result: ScenarioResult): PhaseShares[] {
  const latencies = phaseWakeLatencies(result);
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
