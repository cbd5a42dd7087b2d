/** What every control-layer operation works with. */
import type { ConfigState } from './config-state.ts';
import type { EventBus } from './events.ts';
import type { SimulatedHost, SimulationClock } from './ports.ts';

export interface ControlContext {
  readonly host: SimulatedHost;
  readonly clock: SimulationClock;
  readonly state: ConfigState;
  readonly events: EventBus;
  readonly pcpus: number;
}
