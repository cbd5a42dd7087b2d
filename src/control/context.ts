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
  /** credit2's runqueue arrangement on this host, for every credit2 pool. */
  readonly credit2_runqueue: credit2.RunqueueArrangement;
  /**
   * CPU time each scheduling domain used in hypervisor groups that have ended
   * (its master was shut down or destroyed), by master: runtime state like CPU
   * time, so a group's cpu_time_ns never decreases while the daemon runs.
   */
  readonly endedGroupCpuNs: Map<number, number>;
}
