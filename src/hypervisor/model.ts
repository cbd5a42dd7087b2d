/**
 * The framework's view of the host (Xen's struct domain, struct vcpu and the
 * per-pCPU state of schedule.c). Policy-private state hangs off `priv`, as
 * Xen's `sched_priv` does.
 */
import type { LatencyStats } from './latency-histogram.ts';
import type { Workload } from './workload.ts';

/** Xen's vcpu_runstate_info states. */
export const Runstate = {
  running: 0,
  runnable: 1,
  blocked: 2,
  offline: 3,
} as const;
export type Runstate = (typeof Runstate)[keyof typeof Runstate];
export const RUNSTATE_NAMES = ['running', 'runnable', 'blocked', 'offline'] as const;
export type RunstateName = (typeof RUNSTATE_NAMES)[number];

export interface Vcpu {
  readonly domain: Domain;
  readonly id: number;
  online: boolean;
  /** The pCPU it runs on, is queued on or last ran on (Xen's v->processor). */
  processor: number;
  /** Hard affinity as it applies: the one asked for within its domain's cpupool (null: every pCPU). */
  affinity: Uint8Array | null;
  /** Hard affinity as asked for (xm vcpu-pin): a mask over pCPUs, or null for all of them. */
  hardAffinity: Uint8Array | null;
  /** Set while its workload waits (I/O): not runnable until woken. */
  blocked: boolean;
  /** Set while the scheduler holds it off the pCPUs (a parked, capped-out vCPU). */
  parked: boolean;
  /** Cached runnability, to see transitions. */
  runnable: boolean;
  /** pCPU it is being moved to once descheduled, or -1. */
  migrateTo: number;
  runstate: Runstate;
  runstateSince_ns: number;
  /** Cumulative ns in each runstate, settled at each transition. */
  readonly runstateTotal_ns: number[];
  /** Workload: CPU time still to run in this burst (duty), and when it last started running. */
  burstLeft_ns: number;
  runStart_ns: number;
  /** Bumped to cancel a pending wake. */
  wakeGen: number;
  wakeups: number;
  /** When it last woke and has not run since, or -1; and its wake-to-run latencies. */
  wokeAt_ns: number;
  readonly wakeLatency: LatencyStats;
  priv: unknown;
}

export interface SchedulingGroup {
  /** Members in the order they joined; the master is not among them. */
  readonly members: Domain[];
  /** CPU time its domains used while in it: each one's CPU time when it joined, and what leavers used. */
  readonly joinedAt_ns: Map<Domain, number>;
  left_ns: number;
}

export interface Domain {
  readonly domid: number;
  /** Which domain of its domid it is (a domid may be used again after a destroy): numbered in creation order. */
  readonly serial: number;
  /** Replaced by an array of its exact length when vCPUs are added (Engine.resizeVcpus). */
  vcpus: Vcpu[];
  paused: boolean;
  /** Set once destruction begins: nothing of it may run again. */
  dying: boolean;
  /** The cpupool it lives in (its id), and whether it is between two (or its pool's scheduler is being rebuilt). */
  pool: number;
  detached: boolean;
  workload: Workload;
  /** The scheduling domain this domain is a member of (its master), or null. */
  master: Domain | null;
  /** The scheduling domain this domain is the master of, or null. */
  group: SchedulingGroup | null;
  /** Its share of its scheduling domain's credit (sub-scheduler), 1..65535. */
  share: number;
  priv: unknown;
}

export interface Pcpu {
  readonly id: number;
  current: Vcpu | null;
  /** Busy (a guest vCPU runs) and idle ns, settled at each switch. */
  busy_ns: number;
  idle_ns: number;
  since_ns: number;
  /** vCPUs whose processor is this pCPU (for placement of new vCPUs). */
  assigned: number;
  timerGen: number;
  sliceEnd_ns: number;
  reschedPending: boolean;
}

/** True when `vcpu` may run on `pcpu` under its hard affinity. */
export function allowedOn(vcpu: Vcpu, pcpu: number): boolean {
  return vcpu.affinity === null || vcpu.affinity[pcpu] === 1;
}
