/**
 * What the control layer needs from the parts around it, as interfaces it
 * owns: the simulated host (src/hypervisor's Host satisfies it), the clock
 * (the runtime's tick loop from createTickLoop satisfies it) and the runner of
 * what-if jobs (the worker thread the daemon starts).
 */
import type { Static } from '@sinclair/typebox';
import type { DomctlOp, DomctlPlan, DomctlResult, HostSnapshot, ReplayLog, SchedName, SchedTrace, TraceRecorder } from '../hypervisor/index.ts';
import type { HistogramSnapshot } from '../runtime/histogram.ts';
import type { ClockStatus } from '../runtime/tick-loop.ts';
import type { ReplayLog as ReplayLogSchema, WhatIf, WhatIfComparison, WhatIfRequest } from '../schemas/lab.ts';
import type { DomainRecord } from '../store/index.ts';

export interface SimulatedHost {
  readonly now_ns: number;
  advanceTo(t_ns: number): void;
  domctl<O extends DomctlOp>(op: O): DomctlResult<O>;
  /** An empty plan over the host as it is now (the check phase). */
  plan(): DomctlPlan;
  /** Apply a checked plan; it cannot fail. */
  apply(plan: DomctlPlan): void;
  /** The whole state, for a copy (what-if). */
  snapshot(): HostSnapshot;
  /** How the host was made and every change since, with its simulated time. */
  replayLog(): ReplayLog;
  /** False once the log has stopped at its limit. */
  readonly replay_log_complete: boolean;
  /** Scheduler traces (Host.startTrace): a size estimate, and a recorder attached from now. */
  estimateTraceEvents(duration_ns: number): number;
  startTrace(duration_ns: number, max_events: number): TraceRecorder;
}

export interface SimulationClock {
  /** Bring the host up to the current simulated time, so an operation happens "now". */
  sync(): void;
  setSpeed(speed: number): void;
  /** Run `ns` of simulated time forward now (after any advance already running). */
  advanceNs(ns: number): Promise<void>;
  status(): ClockStatus;
  lateness(): HistogramSnapshot;
}

/** What a what-if copy is made from: the live host's state, configuration and runtime figures at one instant. */
export interface WhatIfJob {
  readonly snapshot: HostSnapshot;
  /** The configuration database, serialized (better-sqlite3 `serialize`). */
  readonly database: Uint8Array;
  readonly endedGroupCpuNs: readonly (readonly [number, number])[];
  readonly pcpus: number;
  readonly seed: number;
  readonly version: string;
  readonly ms: number;
  readonly changes: readonly WhatIfChangeRequest[];
  /** Record a scheduler trace of the changed copy over the look-ahead. */
  readonly trace: boolean;
  /** Run it once per policy, side by side (a WhatIfComparison); absent: once, on the exact copy. */
  readonly policies?: readonly SchedName[];
}

/** A trace recorded on a copy, with the copy's domain names. */
export interface CopyTrace {
  readonly trace: SchedTrace;
  readonly names: ReadonlyMap<number, string>;
}

export interface WhatIfChangeRequest {
  readonly method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
}

/** Runs what-if jobs off the main thread (src/lab); the answer is the report, or the failed change's error. */
export interface WhatIfRunner {
  run(job: WhatIfJob): Promise<WhatIfOutcome>;
}

export type WhatIfOutcome =
  | { readonly ok: true; readonly report: WhatIfView | WhatIfComparisonView; readonly trace?: CopyTrace }
  /** A change failed (its index), or the copy as changed is too large to run (null). */
  | { readonly ok: false; readonly change_index: number | null; readonly policy?: SchedName; readonly error: { readonly statusCode: number; readonly code: string; readonly message: string; readonly field?: string; readonly expected?: readonly string[]; readonly actual?: string } };

export type WhatIfView = Static<typeof WhatIf>;
export type WhatIfComparisonView = Static<typeof WhatIfComparison>;
export type ReplayLogView = Static<typeof ReplayLogSchema>;
export type WhatIfSpec = Static<typeof WhatIfRequest>;

/** The lab's part of the API (src/lab): the run so far as a replay log, and what-if previews. */
export interface LabControl {
  replayLog(): ReplayLogView;
  /** `client` identifies who asks (its address): one what-if at a time each. */
  whatIf(spec: WhatIfSpec, client: string): Promise<WhatIfView | WhatIfComparisonView>;
}

/** What the lab reads of the live control layer: enough to export its run or to copy it at one instant; it changes nothing. */
export interface LabSource {
  readonly host: Pick<SimulatedHost, 'snapshot' | 'replayLog' | 'replay_log_complete'>;
  /** To bring the host up to now before reading it. */
  readonly clock: Pick<SimulationClock, 'sync'>;
  readonly domains: () => Iterable<DomainRecord>;
  /** The configuration database, serialized. */
  readonly database: () => Uint8Array;
  readonly endedGroupCpuNs: ReadonlyMap<number, number>;
  readonly pcpus: number;
  readonly seed: number;
  readonly version: string;
  /** Keep a trace recorded on a copy with the finished ones: its id. */
  readonly keepTrace: (trace: SchedTrace, names: ReadonlyMap<number, string>) => number;
}
