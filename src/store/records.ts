/** The shapes the store persists: configuration, never runtime state. */
import type { Affinity } from '../hypervisor/domctl.ts';
import type { GlobalSchedParams, SchedName, SchedParams } from '../hypervisor/sched/scheduler.ts';
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
  /** The cpupool it lives in, by id; absent: Pool-0. */
  readonly cpupool?: number;
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

/** A cpupool's configuration. */
export interface PoolRecord {
  readonly id: number;
  readonly name: string;
  readonly sched: SchedName;
  readonly pcpus: readonly number[];
  /** Its policy's pool-wide parameters; null: the policy's defaults (Pool-0 under credit: the host row's). */
  readonly params: SchedParams | null;
}
