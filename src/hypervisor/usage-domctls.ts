/** The read-only monitoring domctls: recent CPU usage (getusage) and the scheduler's counters (schedstats). */
import type { SchedStats } from './domctl.ts';
import { invalid, type DomctlError } from './errors.ts';
import type { Host } from './host.ts';
import { fail, ok, type Result } from './result.ts';
import { USAGE_HISTORY_NS, type UsageWindow } from './usage-history.ts';

const NO_COUNTERS = { accounting_periods: 0, boost_wakes: 0, parks: 0, unparks: 0, steals: 0, migrations: 0 };

export function usageWindow(host: Host, window_ns: number): Result<UsageWindow, DomctlError> {
  if (!Number.isInteger(window_ns) || window_ns < 0 || window_ns > USAGE_HISTORY_NS) {
    return fail(invalid('window_ns', `must be an integer in 0..${USAGE_HISTORY_NS} (the kept history), got ${window_ns}`));
  }
  return ok(host.usage.window(window_ns, host.now_ns, host));
}

export function schedStats(host: Host): SchedStats {
  return { context_switches: host.usage.context_switches, ...(host.scheduler.counters?.() ?? NO_COUNTERS) };
}
