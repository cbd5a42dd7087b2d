/** The scheduler's counters, for monitoring (the schedstats domctl). */
import type { SchedStats } from './domctl.ts';
import type { Engine } from './engine.ts';

const NO_COUNTERS = { accounting_periods: 0, boost_wakes: 0, parks: 0, unparks: 0, steals: 0, migrations: 0 };

export function schedStats(engine: Engine): SchedStats {
  return { context_switches: engine.usage.context_switches, ...(engine.scheduler.counters?.() ?? NO_COUNTERS) };
}
