/**
 * domctl: the one typed entry point into the simulated hypervisor, like Xen's
 * domctl hypercall. Every later layer goes through it. Each operation either
 * succeeds with a typed value or fails with a typed error and changes nothing.
 */
import type { DomctlError } from './errors.ts';
import type { LatencySummary } from './latency-histogram.ts';
import type { RunstateName } from './model.ts';
import type { Result } from './result.ts';
import type { Credit2Params, DomainSchedParams, GlobalSchedParams, RunqueueArrangement, SchedCounters, SchedName, SchedParams } from './sched/scheduler.ts';
import type { UsageWindow } from './usage-history.ts';
import type { Workload } from './workload.ts';

/** Xen's "leave it alone" sentinels in XEN_DOMCTL_SCHEDOP_putinfo. */
export const WEIGHT_UNCHANGED = 0;
export const CAP_UNCHANGED = 0xffff;

/** A vCPU's hard affinity: pCPU ids, or every pCPU. */
export type Affinity = readonly number[] | 'all';

export interface CreateDomain {
  readonly op: 'createdomain';
  readonly domid: number;
  readonly max_vcpus: number;
  /** vCPUs online at creation (0..n-1). */
  readonly vcpus: number;
  readonly weight?: number;
  readonly cap?: number;
  readonly workload?: Workload;
  /** Per vCPU, by id; missing entries mean every pCPU. */
  readonly affinity?: readonly Affinity[];
  /** Created paused (Xen creates domains paused; the toolstack unpauses). */
  readonly paused?: boolean;
  /** The cpupool it lives in (its id); Pool-0 when absent. */
  readonly pool?: number;
}

/** Cpupools (Xen's XEN_SYSCTL_cpupool_op and `xl cpupool-*`); a pool is named by its id. */
export type CpupoolOp =
  | {
      readonly op: 'cpupool_create';
      /** An unused id (the caller chooses, so a restored configuration keeps its ids). */
      readonly id: number;
      readonly name: string;
      readonly sched: SchedName;
      /** credit2's runqueue arrangement (default: the host's, TopologyInfo.credit2_runqueue). */
      readonly credit2_runqueue?: RunqueueArrangement;
    }
  | { readonly op: 'cpupool_destroy'; readonly pool: number }
  /** xl cpupool-cpu-add: a free pCPU joins the pool. */
  | { readonly op: 'cpupool_add_pcpu'; readonly pool: number; readonly pcpu: number }
  /** xl cpupool-cpu-remove: the pCPU leaves the pool and becomes free. */
  | { readonly op: 'cpupool_remove_pcpu'; readonly pool: number; readonly pcpu: number }
  /** xl cpupool-migrate. */
  | { readonly op: 'cpupool_move_domain'; readonly domid: number; readonly pool: number }
  | { readonly op: 'cpupool_info'; readonly pool: number }
  | { readonly op: 'cpupool_list' }
  | { readonly op: 'cpupool_sched'; readonly pool: number; readonly cmd: 'getinfo' }
  | { readonly op: 'cpupool_sched'; readonly pool: number; readonly cmd: 'putinfo'; readonly params: Partial<GlobalSchedParams> | Partial<Credit2Params> };

export interface CpupoolInfo {
  readonly id: number;
  readonly name: string;
  readonly sched: SchedName;
  readonly pcpus: readonly number[];
  /** The domains living in it (domids, in creation order). */
  readonly domains: readonly number[];
  /** Its policy's parameters. */
  readonly params: SchedParams;
  /** Under credit2: the pCPUs of each runqueue; null under credit (one queue per pCPU). */
  readonly runqueues: readonly (readonly number[])[] | null;
}

/** The host's shape and its free pCPUs. */
export interface TopologyInfo {
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
  /** pCPUs in no cpupool. */
  readonly free_pcpus: readonly number[];
  /** The runqueue arrangement a credit2 pool gets when its creation names none (Xen's boot option `credit2_runqueue=`). */
  readonly credit2_runqueue: RunqueueArrangement;
}

export type DomctlOp =
  | CreateDomain
  | { readonly op: 'destroydomain'; readonly domid: number }
  | { readonly op: 'pausedomain'; readonly domid: number }
  | { readonly op: 'unpausedomain'; readonly domid: number }
  | { readonly op: 'getdomaininfo'; readonly domid: number }
  | { readonly op: 'getdomaininfolist' }
  | { readonly op: 'max_vcpus'; readonly domid: number; readonly max_vcpus: number }
  | { readonly op: 'setonlinevcpus'; readonly domid: number; readonly vcpus: number }
  | { readonly op: 'setvcpuaffinity'; readonly domid: number; readonly vcpu: number; readonly pcpus: Affinity }
  | { readonly op: 'getvcpuinfo'; readonly domid: number }
  | { readonly op: 'setworkload'; readonly domid: number; readonly workload: Workload }
  | { readonly op: 'scheduler_op'; readonly domid: number; readonly cmd: 'getinfo' }
  | {
      readonly op: 'scheduler_op';
      readonly domid: number;
      readonly cmd: 'putinfo';
      /** WEIGHT_UNCHANGED (0) leaves the weight alone. */
      readonly weight: number;
      /** CAP_UNCHANGED (0xFFFF) leaves the cap alone. */
      readonly cap: number;
    }
  | { readonly op: 'sched_global'; readonly cmd: 'getinfo' }
  | { readonly op: 'sched_global'; readonly cmd: 'putinfo'; readonly params: Partial<GlobalSchedParams> | Partial<Credit2Params> }
  | { readonly op: 'getcpuinfo' }
  | { readonly op: 'physinfo' }
  /** CPU used per domain and per pCPU over the last `window_ns` (0..USAGE_HISTORY_NS) of simulated time. */
  | { readonly op: 'getusage'; readonly window_ns: number }
  /** The same, cut into steps of `step_ns` back from now (at most MAX_USAGE_STEPS), oldest first. */
  | { readonly op: 'getusageseries'; readonly window_ns: number; readonly step_ns: number }
  | { readonly op: 'schedstats' }
  | { readonly op: 'topologyinfo' }
  | SchedGroupOp
  | CpupoolOp;

/** The scheduling-domain ("nemesis") sub-operations. */
export type SchedGroupOp =
  | { readonly op: 'schedgroup'; readonly cmd: 'create'; readonly master: number }
  | {
      readonly op: 'schedgroup';
      readonly cmd: 'add_member';
      readonly master: number;
      readonly member: number;
      readonly share?: number;
    }
  | { readonly op: 'schedgroup'; readonly cmd: 'remove_member'; readonly master: number; readonly member: number }
  | {
      readonly op: 'schedgroup';
      readonly cmd: 'set_share';
      readonly master: number;
      /** The master itself or one of its members. */
      readonly domid: number;
      readonly share: number;
    }
  | { readonly op: 'schedgroup'; readonly cmd: 'get'; readonly master: number }
  | { readonly op: 'schedgroup'; readonly cmd: 'list' }
  | { readonly op: 'schedgroup'; readonly cmd: 'dissolve'; readonly master: number };

export interface DomainInfo {
  readonly domid: number;
  readonly state: 'running' | 'paused';
  readonly max_vcpus: number;
  readonly online_vcpus: number;
  readonly workload: Workload;
  readonly sched: DomainSchedParams;
  /** Master's domid when a member of a scheduling domain, else null. */
  readonly scheduling_domain: number | null;
  readonly share: number;
  /** Simulated CPU time consumed, all vCPUs, cumulative. */
  readonly cpu_time_ns: number;
}

export interface VcpuInfo {
  readonly id: number;
  readonly state: RunstateName;
  /** The pCPU it runs on, is queued on or last ran on. */
  readonly pcpu: number;
  readonly affinity: number[] | 'all';
  readonly online: boolean;
  readonly cpu_time_ns: number;
  readonly runstate_ns: Readonly<Record<RunstateName, number>>;
  readonly wakeups: number;
  /** Wake-to-run latency since the domain started. */
  readonly wake_latency: LatencySummary;
  /** Earning credit in accounting (on its accounting entity's active list). */
  readonly active: boolean;
  readonly credit: number;
  readonly priority: string;
  readonly runqueue: number | null;
  readonly budget_ns: number | null;
  readonly parked: boolean;
}

export interface PcpuInfo {
  readonly id: number;
  readonly current: { readonly domain: number; readonly vcpu: number } | null;
  readonly busy_ns: number;
  readonly idle_ns: number;
}

export interface PhysInfo {
  readonly pcpus: number;
  readonly scheduler: string;
  readonly tick_ms: number;
  readonly now_ns: number;
  /** A hash of every scheduling decision so far: equal runs have equal hashes. */
  readonly trace_hash: string;
  readonly events_processed: number;
}

export interface SchedStats extends SchedCounters {
  readonly context_switches: number;
}

export interface SchedGroupInfo {
  readonly master: number;
  readonly master_share: number;
  readonly members: readonly { readonly domid: number; readonly share: number }[];
  /** CPU time of master and members together, cumulative. */
  readonly cpu_time_ns: number;
}

/** What each operation returns on success. */
export interface DomctlResults {
  createdomain: DomainInfo;
  destroydomain: null;
  pausedomain: DomainInfo;
  unpausedomain: DomainInfo;
  getdomaininfo: DomainInfo;
  getdomaininfolist: DomainInfo[];
  max_vcpus: DomainInfo;
  setonlinevcpus: DomainInfo;
  setvcpuaffinity: VcpuInfo;
  getvcpuinfo: VcpuInfo[];
  setworkload: DomainInfo;
  scheduler_op: DomainSchedParams;
  sched_global: SchedParams;
  getcpuinfo: PcpuInfo[];
  physinfo: PhysInfo;
  getusage: UsageWindow;
  getusageseries: UsageWindow[];
  schedstats: SchedStats;
  schedgroup: SchedGroupInfo;
  topologyinfo: TopologyInfo;
  cpupool_create: CpupoolInfo;
  cpupool_destroy: null;
  cpupool_add_pcpu: CpupoolInfo;
  cpupool_remove_pcpu: CpupoolInfo;
  cpupool_move_domain: CpupoolInfo;
  cpupool_info: CpupoolInfo;
  cpupool_list: CpupoolInfo[];
  cpupool_sched: SchedParams;
}

/** The success value of one operation (schedgroup's depends on its sub-operation). */
export type DomctlValue<O extends DomctlOp> = O extends { op: 'schedgroup'; cmd: 'list' }
  ? SchedGroupInfo[]
  : O extends { op: 'schedgroup'; cmd: 'dissolve' }
    ? null
    : DomctlResults[O['op']];

export type DomctlResult<O extends DomctlOp> = Result<DomctlValue<O>, DomctlError>;
