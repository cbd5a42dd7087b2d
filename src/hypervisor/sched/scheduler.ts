/**
 * The scheduler interface, an ops table like Xen's `struct scheduler`. The
 * framework (host.ts) reaches a policy only through it, so a second policy
 * plugs in without touching the rest; optional operations are simply absent.
 */
import type { DomctlError } from '../errors.ts';
import type { Domain, Vcpu } from '../model.ts';
import type { SchedTraceSink } from '../sched-trace.ts';

/** The policies a host or pool can run. */
export const SCHED_NAMES = ['credit', 'credit2'] as const;
export type SchedName = (typeof SCHED_NAMES)[number];

/** Why a vCPU is put (back) on a run queue: only a real wake may be boosted. */
export type WakeCause = 'wake' | 'unpark' | 'migrate';

export interface DomainSchedParams {
  readonly weight: number;
  readonly cap: number;
}

export const ACCOUNTING_MODES = ['exact', 'sampled'] as const;
export type AccountingMode = (typeof ACCOUNTING_MODES)[number];

/** The credit scheduler's host-wide (per-pool) parameters. */
export interface GlobalSchedParams {
  readonly tslice_ms: number;
  readonly ratelimit_us: number;
  readonly accounting: AccountingMode;
}

/** How credit2 groups a pool's pCPUs into runqueues (Xen's `credit2_runqueue=`). */
export const CREDIT2_RUNQUEUE_ARRANGEMENTS = ['cpu', 'core', 'socket', 'node', 'all'] as const;
export type RunqueueArrangement = (typeof CREDIT2_RUNQUEUE_ARRANGEMENTS)[number];

/** The credit2 scheduler's per-pool parameters (credit2.ts). */
export interface Credit2Params {
  readonly ratelimit_us: number;
  /** Xen 4.21's csched2_runtime() counts the just-descheduled vCPU's credit; 4.14-4.20 did not. */
  readonly inflight_credit: boolean;
  /** The pool's runqueue arrangement: always in what a pool reports; absent in a change, it stays as it is. */
  readonly runqueue?: RunqueueArrangement;
}

/** Any policy's pool-wide parameters. */
export type SchedParams = GlobalSchedParams | Credit2Params;

/** The host's shape: pCPU id = (socket × cores + core) × threads + thread. */
export interface Topology {
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

export interface VcpuSchedInfo {
  readonly credit: number;
  /** credit2: the runqueue it is assigned to; null under a policy of per-pCPU queues. */
  readonly runqueue: number | null;
  /** credit2: the budget it holds of its capped domain's pool, ns (negative: an overrun to pay back); null when uncapped. */
  readonly budget_ns: number | null;
  readonly priority: string;
  readonly parked: boolean;
  readonly active: boolean;
}

/** What a policy has done so far, for monitoring (Prometheus counters). */
export interface SchedCounters {
  readonly accounting_periods: number;
  readonly boost_wakes: number;
  readonly parks: number;
  readonly unparks: number;
  readonly steals: number;
  /** Running vCPUs moved to an idle pCPU at a tick. */
  readonly migrations: number;
}

export interface PickResult {
  /** The vCPU to run, or null to idle. */
  readonly vcpu: Vcpu | null;
  /** How long it may run before the pCPU schedules again. */
  readonly slice_ns: number;
}

/** What the framework offers a policy. */
export interface SchedulerContext {
  /** pCPUs on the host (ids run 0..pcpuCount-1). */
  readonly pcpuCount: number;
  /** The pCPUs of this policy's cpupool, ascending: the only ones it schedules. */
  readonly pcpus: readonly number[];
  readonly topology: Topology;
  /** The simulated time now. */
  now_ns(): number;
  domains(): Iterable<Domain>;
  /** The vCPU running on a pCPU, or null when it idles. */
  current(pcpu: number): Vcpu | null;
  /** How many pCPUs of the host idle now (free ones too): 0 spares a search for an idle one. */
  idlePcpus(): number;
  /** Something `tickQuiet(pcpu)` reads changed: the framework asks it again before the next tick. */
  tickStateChanged(pcpu: number): void;
  /** The time of `pcpu`'s last tick at or before now (handled or quiet), or -1 when it has had none. */
  lastTickNs(pcpu: number): number;
  /** Raise SCHEDULE_SOFTIRQ: the pCPU picks again before time moves on. */
  requestReschedule(pcpu: number): void;
  /** Move a not-running vCPU's home to another pCPU (run-queue bookkeeping stays the policy's). */
  setProcessor(vcpu: Vcpu, pcpu: number): void;
  /** Move a running vCPU to another pCPU once its current one deschedules it. */
  migrate(vcpu: Vcpu, pcpu: number): void;
  /** Park (pause) or unpark a vCPU on the scheduler's own account. */
  park(vcpu: Vcpu): void;
  unpark(vcpu: Vcpu): void;
  /** Call the policy's `timer` at `at_ns` (one pending time per policy: a later call replaces it). */
  setTimer(at_ns: number): void;
  /** The trace being recorded, or null (the usual case: test it before building anything for it); set by the framework. */
  traceSink: SchedTraceSink | null;
}

export interface Scheduler {
  readonly name: string;
  /** Period of the per-pCPU tick; 0 for a policy that decides at arbitrary times and has no tick. */
  readonly tick_ns: number;
  /** Period of the next accounting; absent for a policy without periodic accounting. */
  accountingPeriodNs?(): number;

  insertDomain(domain: Domain): void;
  removeDomain(domain: Domain): void;
  insertVcpu(vcpu: Vcpu): void;
  removeVcpu(vcpu: Vcpu): void;
  /** The vCPU became runnable: queue it, maybe preempt or poke a pCPU. */
  wake(vcpu: Vcpu, now_ns: number, cause: WakeCause): void;
  /** The vCPU stopped being runnable: dequeue it, or deschedule it if running. */
  sleep(vcpu: Vcpu, now_ns: number): void;
  tick?(pcpu: number, now_ns: number): void;
  /**
   * True when `pcpu`'s tick would do nothing but charge the running vCPU for the time it ran,
   * a charge the policy makes itself before it next reads that credit (to the last tick:
   * SchedulerContext.lastTickNs); the framework then passes the tick over. Absent: every tick is handled.
   * The policy calls `tickStateChanged` when anything this reads changes.
   */
  tickQuiet?(pcpu: number): boolean;
  account?(now_ns: number): void;
  /** The policy's own timer fired (see SchedulerContext.setTimer). */
  timer?(now_ns: number): void;
  /** Choose what `pcpu` runs next; `prev` is what ran there, requeued by the policy when still runnable. */
  pick(pcpu: number, prev: Vcpu | null, prevRunnable: boolean, now_ns: number): PickResult;

  /** A new domain's weight and cap. */
  readonly defaultDomainParams: DomainSchedParams;
  /** The policy's ranges, checked before anything changes; `groupVcpus` are the vCPUs the cap covers. */
  checkDomainParams(params: DomainSchedParams, groupVcpus: number): DomctlError | null;
  checkGlobalParams(params: SchedParams): DomctlError | null;
  getDomainParams(domain: Domain): DomainSchedParams;
  /** Only with parameters that passed `checkDomainParams`. */
  adjustDomain(domain: Domain, params: DomainSchedParams): void;
  getGlobalParams(): SchedParams;
  /** Only with parameters that passed `checkGlobalParams`. */
  adjustGlobal(params: SchedParams): void;
  vcpuInfo(vcpu: Vcpu): VcpuSchedInfo;
  /** The vCPUs waiting on a pCPU, in the order they would be picked. */
  runQueue(pcpu: number): readonly Vcpu[];
  /** The pCPUs of each runqueue shared by several pCPUs; absent for a policy with one queue per pCPU. */
  runqueuePcpus?(): number[][];
  dump(): unknown;

  /** Its counters; absent when the policy keeps none. */
  counters?(): SchedCounters;
  /** Check the policy's own bookkeeping (Xen's ASSERTs); absent when it has none beyond its inline checks. */
  checkInvariants?(now_ns: number): void;
  /** Scheduling domains changed (membership or shares); absent when the policy has no groups. */
  groupsChanged?(): void;
}

export type SchedulerFactory = (ctx: SchedulerContext) => Scheduler;
