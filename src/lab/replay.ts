/**
 * Replay a run headless: make the host the log says, apply every change at
 * its simulated time, run to where the log ends, and compare trace hashes.
 * The simulation is deterministic, so a faithful log gives the same hash.
 */
import { Host, REPLAY_LOG_FORMAT, SCHED_NAMES, type ReplayLog } from '../hypervisor/index.ts';

export type { ReplayLog };

export interface ReplayReport {
  /** Changes applied. */
  readonly entries: number;
  readonly now_ns: number;
  /** The hash the log recorded, the hash the replay reached, and whether they agree. */
  readonly expected_trace_hash: string;
  readonly trace_hash: string;
  readonly matches: boolean;
}

/** A problem with the log itself (not a mismatch): its message names the entry. */
export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

export function replay(log: ReplayLog): ReplayReport {
  if (log.format !== REPLAY_LOG_FORMAT) throw new ReplayError(`not a replay log (format ${String(log.format)}, expected ${REPLAY_LOG_FORMAT})`);
  if (!(SCHED_NAMES as readonly string[]).includes(log.origin.scheduler)) throw new ReplayError(`the log's host ran the ${log.origin.scheduler} scheduler, which is not simulated here`);
  const host = Host.fromOrigin(log.origin);
  log.entries.forEach((entry, index) => {
    if (entry.at_ns < host.now_ns) throw new ReplayError(`entry ${index} (${entry.op.op}) is at ${entry.at_ns} ns, before the previous one (${host.now_ns} ns)`);
    host.advanceTo(entry.at_ns);
    const result = host.domctl(entry.op);
    if (!result.ok) throw new ReplayError(`entry ${index} (${entry.op.op} at ${entry.at_ns} ns) was refused on replay: ${result.error.message}`);
  });
  host.advanceTo(log.now_ns);
  return { entries: log.entries.length, now_ns: host.now_ns, expected_trace_hash: log.trace_hash, trace_hash: host.trace_hash, matches: host.trace_hash === log.trace_hash };
}
