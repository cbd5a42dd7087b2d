/** The shapes the store persists: configuration, never runtime state. */
import type { Affinity } from '../hypervisor/domctl.ts';
import type { GlobalSchedParams } from '../hypervisor/sched/scheduler.ts';
import type { Workload } from '../hypervisor/workload.ts';

export const POWER_STATES = ['running', 'paused', 'halted'] as const;
export type PowerState = (typeof POWER_STATES)[number];

export interface DomainRecord {
  readonly domid: number;
  readonly uuid: string;
  readonly name: string;
  /** vCPUs online (0..vcpus-1). */
  readonly vcpus: number;
  readonly max_vcpus: number;
  readonly memory_mb: number;
  readonly weight: number;
  readonly cap: number;
  readonly workload: Workload;
  /** One entry per vCPU up to max_vcpus. */
  readonly affinity: readonly Affinity[];
  readonly state: PowerState;
}

export interface MemberRecord {
  readonly domid: number;
  readonly share: number;
}

export interface GroupRecord {
  readonly master: number;
  readonly master_share: number;
  /** In the order they joined. */
  readonly members: readonly MemberRecord[];
}

export interface HostRecord {
  readonly next_domid: number;
  readonly sched: GlobalSchedParams;
}
