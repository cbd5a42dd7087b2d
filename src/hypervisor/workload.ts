/**
 * What a guest's vCPUs do, so the scheduler has something real to decide:
 * `cpu` is always runnable, `idle` always blocked, and `duty` runs `run_ms` of
 * CPU time, blocks for `sleep_ms`, wakes and starts over (I/O-like).
 */
import { msToNs } from '../vocabulary/units.ts';

export type Workload =
  | { readonly type: 'cpu' }
  | { readonly type: 'idle' }
  | { readonly type: 'duty'; readonly run_ms: number; readonly sleep_ms: number };

/**
 * The shortest run or sleep phase: 100 µs, Xen's shortest scheduler timer
 * (CSCHED_MIN_TIMER, also the ratelimit's minimum). A shorter phase cannot be
 * scheduled meaningfully (it ends before the scheduler can act on it), and it
 * costs events in proportion to its inverse: 1 ns phases cost 10^7 events per
 * 10 ms tick, which stalls the daemon; 100 µs phases cost about 100.
 */
export const WORKLOAD_MIN_PHASE_MS = 0.1;
export const WORKLOAD_MAX_PHASE_MS = 3_600_000;
const MIN_PHASE_NS = msToNs(WORKLOAD_MIN_PHASE_MS);

/**
 * A phase as the engine runs it. Never shorter than the minimum, whatever it
 * is given (the domctl refuses shorter ones; this is the engine's own guard),
 * so no workload can make an advance handle more than about two events per
 * vCPU per 100 µs, and a zero-length phase can never loop at one instant.
 */
export const phaseNs = (ms: number): number => Math.max(MIN_PHASE_NS, msToNs(ms));

/** A stored workload made valid today: phases clamped into the accepted range (same object when nothing changes). */
export function clampWorkload(workload: Workload): Workload {
  if (workload.type !== 'duty') return workload;
  const clamp = (ms: number): number =>
    Number.isFinite(ms) ? Math.min(WORKLOAD_MAX_PHASE_MS, Math.max(WORKLOAD_MIN_PHASE_MS, ms)) : WORKLOAD_MIN_PHASE_MS;
  const run_ms = clamp(workload.run_ms);
  const sleep_ms = clamp(workload.sleep_ms);
  return run_ms === workload.run_ms && sleep_ms === workload.sleep_ms ? workload : { type: 'duty', run_ms, sleep_ms };
}
