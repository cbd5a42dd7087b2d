/**
 * What a guest's vCPUs do, so the scheduler has something real to decide:
 * `cpu` is always runnable, `idle` always blocked, and `duty` runs `run_ms` of
 * CPU time, blocks for `sleep_ms`, wakes and starts over (I/O-like).
 */
export type Workload =
  | { readonly type: 'cpu' }
  | { readonly type: 'idle' }
  | { readonly type: 'duty'; readonly run_ms: number; readonly sleep_ms: number };

export const WORKLOAD_MAX_PHASE_MS = 3_600_000;
