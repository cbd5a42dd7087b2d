/**
 * The simulated Xen host: its public surface is the Host (domctl, plans,
 * advanceTo, inspect), the domctl types and the limits. The engine and its
 * unchecked mutators stay inside this folder.
 */
export { Host, type HostOptions } from './host.ts';
export { REPLAY_LOG_FORMAT, SNAPSHOT_FORMAT, type HostOrigin, type HostSnapshot, type ReplayEntry, type ReplayLog } from './snapshot.ts';
export type { DomctlPlan } from './plan.ts';
export { groupVcpus, type DomainFacts, type PoolFacts } from './facts.ts';
export type { HostInspection, InspectedDomain, InspectedPcpu, InspectedPool, InspectedQueueEntry, InspectedVcpu, VcpuRef } from './inspect.ts';
export * from './domctl.ts';
export * from './errors.ts';
export { InvariantError } from './invariant.ts';
export {
  SWITCH_REASONS,
  type LedgerEvent,
  type SchedTrace,
  type SwitchEvent,
  type SwitchReason,
  type TracedVcpu,
  type TraceEvent,
  type TraceRecorder,
  type VcpuEvent,
} from './sched-trace.ts';
/** The rules the control layer checks its configuration against, before anything reaches the host. */
export { checkAffinity, checkShare, masterProblem, memberProblem, type Membership } from './checks.ts';
export * from './limits.ts';
export type { Result } from './result.ts';
export type { Workload } from './workload.ts';
export { clampWorkload, WORKLOAD_MAX_PHASE_MS, WORKLOAD_MIN_PHASE_MS } from './workload.ts';
export {
  ACCOUNTING_MODES,
  SCHED_NAMES,
  type AccountingMode,
  type Credit2Params,
  type DomainSchedParams,
  type GlobalSchedParams,
  type SchedName,
  type SchedParams,
  type Topology,
} from './sched/scheduler.ts';
export * as credit from './sched/credit.ts';
export * as credit2 from './sched/credit2.ts';
export { POLICY_PROFILES, policyProfileOf, profileOf, SCHED_PROFILE_NAMES, SCHED_PROFILES, type SchedProfile } from './sched/profiles.ts';
export { NS_PER_MS, NS_PER_S, NS_PER_US } from '../vocabulary/units.ts';
export { MAX_USAGE_STEPS, USAGE_HISTORY_NS, USAGE_SAMPLE_NS, type UsageWindow } from './usage-history.ts';
export type { SchedCounters } from './sched/scheduler.ts';
