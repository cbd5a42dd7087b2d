/** What every control-layer operation works with. */
import type { credit2 } from '../hypervisor/index.ts';
import type { ConfigState } from './config-state.ts';
import type { EventBus } from './events.ts';
import type { SimulatedHost, SimulationClock } from './ports.ts';

export interface ControlContext {
  readonly host: SimulatedHost;
  readonly clock: SimulationClock;
  readonly state: ConfigState;
  readonly events: EventBus;
  readonly pcpus: number;
  /** The runqueue arrangement of credit2 pools created without one (each pool keeps its own in its parameters). */
  readonly credit2_runqueue: credit2.RunqueueArrangement;
  /**
   * CPU time each scheduling domain used in hypervisor groups that have ended
   * (its master was shut down or destroyed), by master: runtime state like CPU
   * time, so a group's cpu_time_ns never decreases while the daemon runs.
   */
  readonly endedGroupCpuNs: Map<number, number>;
}
