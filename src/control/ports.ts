/**
 * What the control layer needs from the layers below it, as interfaces: the
 * simulated host (src/hypervisor's Host satisfies it) and the runtime's clock
 * (src/runtime's tickLoop satisfies it).
 */
import type { DomctlOp, DomctlResult } from '../hypervisor/index.ts';
import type { ClockStatus } from '../runtime/tick-loop.ts';

export interface SimulatedHost {
  readonly now_ns: number;
  advanceTo(t_ns: number): void;
  domctl<O extends DomctlOp>(op: O): DomctlResult<O>;
}

export interface SimulationClock {
  /** Bring the host up to the current simulated time, so an operation happens "now". */
  sync(): void;
  setSpeed(speed: number): void;
  /** Run `ns` of simulated time forward now (after any advance already running). */
  advanceNs(ns: number): Promise<void>;
  status(): ClockStatus;
}
