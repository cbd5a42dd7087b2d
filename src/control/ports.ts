/**
 * What the control layer needs from the layers below it, as interfaces: the
 * simulated host (src/hypervisor's Host satisfies it) and the runtime's clock
 * (src/runtime's tickLoop satisfies it).
 */
import type { DomctlOp, DomctlPlan, DomctlResult, TraceRecorder } from '../hypervisor/index.ts';
import type { HistogramSnapshot } from '../runtime/histogram.ts';
import type { ClockStatus } from '../runtime/tick-loop.ts';

export interface SimulatedHost {
  readonly now_ns: number;
  advanceTo(t_ns: number): void;
  domctl<O extends DomctlOp>(op: O): DomctlResult<O>;
  /** An empty plan over the host as it is now (the check phase). */
  plan(): DomctlPlan;
  /** Apply a checked plan; it cannot fail. */
  apply(plan: DomctlPlan): void;
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
