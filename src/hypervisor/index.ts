/** The simulated Xen host: its public surface is the Host and the domctl types. */
export { Host, DEFAULT_SEED, DOMAIN0_ID, MAX_PCPUS, MAX_SEED, type HostOptions } from './host.ts';
export * from './domctl.ts';
export * from './errors.ts';
export type { Result } from './result.ts';
export type { Workload } from './workload.ts';
export { clampWorkload, WORKLOAD_MAX_PHASE_MS, WORKLOAD_MIN_PHASE_MS } from './workload.ts';
export { MAX_DOMID, MAX_GUEST_VCPUS, MIN_SHARE, MAX_SHARE } from './domctl-handlers.ts';
export { DEFAULT_SHARE } from './model.ts';
export { ACCOUNTING_MODES, type AccountingMode, type DomainSchedParams, type GlobalSchedParams } from './sched/scheduler.ts';
export * as credit from './sched/credit.ts';
export { NS_PER_MS, NS_PER_S, NS_PER_US } from './time.ts';
