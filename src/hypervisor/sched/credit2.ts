/**
 * Xen's credit2 scheduler (xen/common/sched/credit2.c), the default since Xen
 * 4.12: credit in ns of "time at the highest weight", burnt exactly at every
 * decision and refilled by a reset when the best candidate has none left;
 * runqueues shared by the pCPUs of a socket (or core, or pCPU, per
 * `credit2_runqueue`), balanced by EWMA load; caps as a budget pool per 10 ms
 * period with parking. Each rule names the function of credit2.c it follows.
 * Not modelled: soft affinity, SMT-aware placement, yield, tasklets.
 *
 * Scheduling domains (this project's rule): a group claims what its master
 * claims alone (the master's weight times its online vCPUs); that claim is
 * split by share over the group's domains with a vCPU that wants to run, and
 * evenly over each domain's such vCPUs, as per-vCPU effective weights; the
 * master's cap covers the group through one budget pool.
 */
import { domctlError, DomctlErrorCode, invalid, type DomctlError } from '../errors.ts';
import { bug, invariant } from '../invariant.ts';
import { CAP_PER_VCPU, maxCapFor } from '../limits.ts';
import { allowedOn, type Domain, type Vcpu } from '../model.ts';
import { NS_PER_MS, NS_PER_US } from '../../vocabulary/units.ts';
import {
  CREDIT2_RUNQUEUE_ARRANGEMENTS,
  type Credit2Params,
  type DomainSchedParams,
  type PickResult,
  type RunqueueArrangement,
  type SchedParams,
  type Scheduler,
  type SchedulerContext,
  type Topology,
  type VcpuSchedInfo,
  type WakeCause,
} from './scheduler.ts';

export { CREDIT2_RUNQUEUE_ARRANGEMENTS, type RunqueueArrangement } from './scheduler.ts';

export const CREDIT2_DEFAULT_WEIGHT = 256;
export const CREDIT2_MIN_WEIGHT = 1;
export const CREDIT2_MAX_WEIGHT = 65535;
/** CSCHED2_CREDIT_INIT: start credit and reset increment. */
export const CREDIT_INIT_NS = 10 * NS_PER_MS;
export const CREDIT_MIN_NS = -CREDIT_INIT_NS;
/** The idle vCPU's credit, below any real one. */
const IDLE_CREDIT_NS = CREDIT_MIN_NS - 1;
export const MIN_TIMER_NS = 500 * NS_PER_US;
export const CREDIT2_MAX_TIMER_MS = 10;
const MAX_TIMER_NS = CREDIT2_MAX_TIMER_MS * NS_PER_MS;
export const CARRYOVER_MAX_NS = MIN_TIMER_NS;
/** sched_credit2_migrate_resist's default. */
export const MIGRATE_RESIST_NS = 500 * NS_PER_US;
export const MIGRATE_COMPENSATION_NS = 50 * NS_PER_US;
const RATELIMIT_TICKLE_TOLERANCE_NS = 50 * NS_PER_US;
const CREDIT_RESET = 0;
/** credit2_cap_period_ms's default. */
export const BUDGET_PERIOD_NS = 10 * NS_PER_MS;
/** Load averages: time in 2^10 ns units, a window of 2^20 of them, 18 bits of precision. */
const LOAD_GRANULARITY_NS = 1024;
const LOAD_WINDOW = 2 ** 20;
const LOAD_ONE = 2 ** 18;
/** credit2_balance_under (0) and credit2_balance_over (-3), as thresholds in load units. */
const BALANCE_UNDER = LOAD_ONE;
const BALANCE_OVER = LOAD_ONE / 8;
export const MAX_CPUS_PER_RUNQUEUE = 16;
export const CREDIT2_DEFAULT_RATELIMIT_US = 1000;
export const CREDIT2_MIN_RATELIMIT_US = 100;
export const CREDIT2_MAX_RATELIMIT_US = 500_000;

/** Xen 4.21's rules, and 4.14-4.20's (csched2_runtime() without the descheduled vCPU's credit). */
export const CREDIT2_PROFILES = {
  'xen-4.21': { ratelimit_us: CREDIT2_DEFAULT_RATELIMIT_US, inflight_credit: true },
  'xen-4.14': { ratelimit_us: CREDIT2_DEFAULT_RATELIMIT_US, inflight_credit: false },
} as const satisfies Record<string, Credit2Params>;
export type Credit2Profile = keyof typeof CREDIT2_PROFILES;
export const CREDIT2_PROFILE_NAMES = Object.keys(CREDIT2_PROFILES) as Credit2Profile[];

/** The profile `params` are exactly, or 'custom'. */
export function credit2ProfileOf(params: Credit2Params): Credit2Profile | 'custom' {
  const match = CREDIT2_PROFILE_NAMES.find((name) => {
    const profile = CREDIT2_PROFILES[name];
    return profile.ratelimit_us === params.ratelimit_us && profile.inflight_credit === params.inflight_credit;
  });
  return match ?? 'custom';
}

export interface Credit2Options {
  readonly runqueue?: RunqueueArrangement;
  readonly profile?: Credit2Profile;
}

interface Runqueue {
  readonly id: number;
  readonly pcpus: readonly number[];
  /** Waiting vCPUs, highest credit first, FIFO among equals (runq_insert()). */
  readonly runq: C2Vcpu[];
  /** Every vCPU assigned to it, running, waiting or asleep (rqd->svc), in assignment order. */
  readonly svc: C2Vcpu[];
  maxWeight: number;
  /** vCPUs queued or running here, and its load averages (update_runq_load()). */
  load: number;
  avgload: number;
  bAvgload: number;
  loadUpdate: number;
  pickBias: number;
  /** How many of its pCPUs idle (rqd->idle's weight): runq_tickle() looks for an idle one only when some are. */
  idlers: number;
}

interface C2Vcpu {
  readonly vcpu: Vcpu;
  readonly dom: C2Dom;
  rqd: Runqueue;
  /** Its effective weight: the domain's, or its part of a scheduling domain's claim. */
  weight: number;
  credit: number;
  /** Time × max_weight not yet worth a whole ns of credit (t2c_update()). */
  residual: number;
  /** Charged up to (svc->start_time), and switched in at (state_entry_time, for the ratelimit). */
  start_ns: number;
  switchedIn_ns: number;
  /** ns it may still run under its domain's cap (Infinity when uncapped), and what it grabs at a time. */
  budget: number;
  quota: number;
  queued: boolean;
  /** Its place among queued vCPUs of equal credit: runqueues are in (credit desc, seq asc) order. */
  seq: number;
  tickledCpu: number;
  /** The affinity mask `pinned` was counted for (it is replaced, never changed in place), and whether it allows one pCPU. */
  pinnedFor: Uint8Array | null;
  pinned: boolean;
  /** The pCPU csched2_res_pick() placed it on at insertion, or balance_load() sent it to, until it next wakes; else -1. */
  placedOn: number;
  avgload: number;
  loadUpdate: number;
}

interface C2Dom {
  readonly domain: Domain;
  weight: number;
  cap: number;
  /** Whose budget pool and claim it belongs to: itself, or its scheduling domain's master. */
  entity: C2Dom;
  /** As a capped entity: the pool, the period's total, the next refill, and its parked vCPUs (newest first). */
  pool: number;
  total: number;
  nextRepl_ns: number;
  readonly parked: C2Vcpu[];
  /** Budget ever put in and burnt: pool + what vCPUs hold = issued − burned (the budget is conserved). */
  issued: number;
  burned: number;
}

const vcpuOf = (vcpu: Vcpu): C2Vcpu => vcpu.priv as C2Vcpu;
const domOf = (domain: Domain): C2Dom => domain.priv as C2Dom;
const svName = (sv: C2Vcpu): string => `d${sv.vcpu.domain.domid}v${sv.vcpu.id}`;
const capped = (sv: C2Vcpu): boolean => sv.dom.entity.cap !== 0;
/** Wants the CPU, parked or not (a scheduling domain's claim is split over these). */
const wantsToRun = (vcpu: Vcpu): boolean => vcpu.online && !vcpu.blocked && !vcpu.domain.paused && !vcpu.domain.dying;

/**
 * The pCPUs of each runqueue (cpu_add_to_runqueue(), cpu_runqueue_match()): one per
 * pCPU, core, socket (a node is a socket here) or one for all, then groups of more than
 * 16 pCPUs split evenly into ceil(n/16) runqueues of whole cores.
 */
export function arrangeRunqueues(topology: Topology, arrangement: RunqueueArrangement): number[][] {
  const { sockets, cores, threads } = topology;
  const core = (socket: number, c: number): number[] => Array.from({ length: threads }, (_, t) => (socket * cores + c) * threads + t);
  if (arrangement === 'cpu') return Array.from({ length: sockets * cores * threads }, (_, id) => [id]);
  const groups: number[][][] = [];
  for (let s = 0; s < sockets; s++) {
    const socketCores = Array.from({ length: cores }, (_, c) => core(s, c));
    if (arrangement === 'core') groups.push(...socketCores.map((c) => [c]));
    else if (arrangement === 'all' && s > 0) groups[0]!.push(...socketCores);
    else groups.push(socketCores);
  }
  const runqueues: number[][] = [];
  for (const group of groups) {
    const count = Math.ceil((group.length * threads) / MAX_CPUS_PER_RUNQUEUE);
    for (let i = 0; i < count; i++) {
      const from = Math.floor((i * group.length) / count);
      const to = Math.floor(((i + 1) * group.length) / count);
      runqueues.push(group.slice(from, to).flat());
    }
  }
  return runqueues;
}

export function createCredit2Scheduler(ctx: SchedulerContext, options: Credit2Options = {}): Scheduler {
  return new Credit2Scheduler(ctx, options);
}

/** A factory for the Host's `scheduler` option with these options. */
export const credit2With =
  (options: Credit2Options) =>
  (ctx: SchedulerContext): Scheduler =>
    createCredit2Scheduler(ctx, options);

class Credit2Scheduler implements Scheduler {
  readonly name = 'credit2';
  readonly defaultDomainParams: DomainSchedParams = { weight: CREDIT2_DEFAULT_WEIGHT, cap: 0 };
  readonly tick_ns = 0;
  readonly arrangement: RunqueueArrangement;
  private params: Credit2Params;
  private ratelimit_ns: number;
  private readonly runqueues: Runqueue[];
  private readonly rqOf: Runqueue[];
  /** What each pCPU runs, as decided by its last pick. */
  private readonly curr: (C2Vcpu | null)[];
  /** When what each pCPU runs was switched in: runq_tickle() passes over pCPUs inside the ratelimit without reading their vCPU. */
  private readonly currSince: Float64Array;
  /** rqd->idle and rqd->tickled, host-wide. */
  private readonly idle: Uint8Array;
  private readonly tickled: Uint8Array;
  /** Capped entities, whose budget timers are pending. */
  private readonly cappedEntities = new Set<C2Dom>();
  /** The pCPU whose pick is under way, so parking what it runs does not poke it again. */
  private scheduling = -1;
  /** Resets so far, numbering them in a trace's ledger. */
  private resets = 0;
  /** pick()'s answer, one object reused: the framework reads it at once (a pick per 1 ms per pCPU need not allocate). */
  private readonly picked: { vcpu: Vcpu | null; slice_ns: number } = { vcpu: null, slice_ns: 0 };
  /** The last queue-order number handed out (runqInsert()). */
  private seqs = 0;
  private readonly ctx: SchedulerContext;

  constructor(ctx: SchedulerContext, options: Credit2Options) {
    this.ctx = ctx;
    this.arrangement = options.runqueue ?? 'socket';
    this.params = { ...CREDIT2_PROFILES[options.profile ?? 'xen-4.21'], runqueue: this.arrangement };
    this.ratelimit_ns = this.params.ratelimit_us * NS_PER_US;
    const n = ctx.pcpuCount;
    // The topology's runqueues, each cut down to the pCPUs of this policy's cpupool.
    const inPool = new Set(ctx.pcpus);
    const arranged = arrangeRunqueues(ctx.topology, this.arrangement).map((pcpus) => pcpus.filter((p) => inPool.has(p)));
    this.runqueues = arranged.filter((pcpus) => pcpus.length > 0).map((pcpus, id) => ({
      id,
      pcpus,
      runq: [],
      svc: [],
      maxWeight: 1,
      load: 0,
      avgload: 0,
      bAvgload: 0,
      loadUpdate: 0,
      pickBias: pcpus[0]!,
      idlers: pcpus.length,
    }));
    this.rqOf = new Array<Runqueue>(n);
    for (const rqd of this.runqueues) for (const pcpu of rqd.pcpus) this.rqOf[pcpu] = rqd;
    this.curr = new Array<C2Vcpu | null>(n).fill(null);
    this.currSince = new Float64Array(n);
    this.idle = new Uint8Array(n).fill(1);
    this.tickled = new Uint8Array(n);
  }

  // --- domains and vCPUs ---

  insertDomain(domain: Domain): void {
    const dom: C2Dom = {
      domain,
      weight: CREDIT2_DEFAULT_WEIGHT,
      cap: 0,
      entity: null!,
      pool: 0,
      total: 0,
      nextRepl_ns: Infinity,
      parked: [],
      issued: 0,
      burned: 0,
    };
    dom.entity = dom;
    domain.priv = dom;
  }

  removeDomain(domain: Domain): void {
    const dom = domOf(domain);
    this.cappedEntities.delete(dom);
    this.armBudgetTimer();
  }

  /** csched2_alloc_udata(): CREDIT_INIT credit, half a load, the domain's weight; csched2_unit_insert(): placed by csched2_res_pick(). */
  insertVcpu(vcpu: Vcpu): void {
    const dom = domOf(vcpu.domain);
    const sv: C2Vcpu = {
      vcpu,
      dom,
      rqd: null!,
      weight: dom.entity === dom ? dom.weight : 1,
      credit: CREDIT_INIT_NS,
      residual: 0,
      start_ns: this.ctx.now_ns(),
      switchedIn_ns: 0,
      budget: dom.entity.cap === 0 ? Infinity : 0,
      quota: 0,
      queued: false,
      seq: 0,
      tickledCpu: -1,
      pinnedFor: null,
      pinned: false,
      placedOn: -1,
      avgload: LOAD_ONE / 2,
      loadUpdate: Math.floor(this.ctx.now_ns() / LOAD_GRANULARITY_NS),
    };
    vcpu.priv = sv;
    this.place(sv);
    this.assign(sv, this.rqOf[vcpu.processor]!);
    this.reweigh(dom.entity);
    if (dom.entity.cap !== 0) this.setQuotas(dom.entity);
  }

  removeVcpu(vcpu: Vcpu): void {
    const sv = vcpuOf(vcpu);
    invariant(!sv.queued && this.curr[vcpu.processor] !== sv, () => `${svName(sv)} is removed while queued or running`);
    const entity = sv.dom.entity;
    // What it holds, or overran, goes back to the pool.
    if (capped(sv)) {
      entity.pool += sv.budget;
      sv.budget = 0;
    }
    const at = entity.parked.indexOf(sv);
    if (at >= 0) entity.parked.splice(at, 1);
    this.deassign(sv);
    // The vCPU array shrinks after this call: weigh and share the quota without it.
    this.reweigh(entity, sv);
    if (entity.cap !== 0) this.setQuotas(entity, sv);
  }

  // --- runnability: csched2_unit_wake(), csched2_unit_sleep() ---

  wake(vcpu: Vcpu, now_ns: number, cause: WakeCause): void {
    const sv = vcpuOf(vcpu);
    if (sv.queued || this.curr[vcpu.processor] === sv) return;
    // A move the framework made (sched_unit_migrate_finish(): a migration, or an affinity that left its runqueue while
    // it slept) asks csched2_res_pick() where to go, unless it is where credit2 itself put it.
    if ((cause === 'migrate' || this.rqOf[vcpu.processor] !== sv.rqd) && vcpu.processor !== sv.placedOn) this.place(sv);
    sv.placedOn = -1;
    const rqd = this.rqOf[vcpu.processor]!;
    // Moved while it could not run (a migration finished, its affinity changed): it belongs to its new pCPU's runqueue.
    if (rqd !== sv.rqd) {
      this.deassign(sv);
      this.assign(sv, rqd);
    }
    if (sv.dom.entity.domain.group !== null) this.reweigh(sv.dom.entity);
    this.updateLoad(rqd, sv, 1, now_ns);
    this.runqInsert(sv);
    this.runqTickle(sv, now_ns);
  }

  sleep(vcpu: Vcpu, now_ns: number): void {
    const sv = vcpuOf(vcpu);
    if (this.curr[vcpu.processor] === sv) {
      if (this.scheduling !== vcpu.processor) this.ctx.requestReschedule(vcpu.processor);
    } else if (sv.queued) {
      this.runqRemove(sv);
      this.updateLoad(sv.rqd, sv, -1, now_ns);
    }
    if (sv.dom.entity.domain.group !== null) this.reweigh(sv.dom.entity);
  }

  // --- picking: csched2_schedule() ---

  pick(pcpu: number, prev: Vcpu | null, prevRunnable: boolean, now_ns: number): PickResult {
    this.scheduling = pcpu;
    const rqd = this.rqOf[pcpu]!;
    this.tickled[pcpu] = 0;
    const scurr = prev === null ? null : vcpuOf(prev);
    if (scurr !== this.curr[pcpu]) bug(`pCPU ${pcpu} runs ${prev === null ? 'idle' : svName(scurr!)}, credit2 thought ${this.curr[pcpu] === null ? 'idle' : svName(this.curr[pcpu]!)}`);
    if (scurr !== null) {
      this.burn(scurr, now_ns);
      if (scurr.budget <= 0) this.grabBudget(scurr);
    }
    const keep = scurr !== null && prevRunnable && scurr.vcpu.runnable;
    const snext = this.runqCandidate(rqd, pcpu, keep ? scurr : null, now_ns);
    const delayedAdd = scurr !== null && keep && snext !== scurr;
    let inflight = 0;
    if (snext !== null) {
      if (snext !== scurr) this.runqRemove(snext);
      else this.updateLoad(rqd, snext, 0, now_ns);
      if (this.idle[pcpu] === 1) rqd.idlers--;
      this.idle[pcpu] = 0;
      const head = rqd.runq[0];
      const top = head === undefined ? snext.credit : Math.max(snext.credit, head.credit);
      if (top <= CREDIT_RESET) {
        this.resetCredit(rqd, pcpu, snext, now_ns);
        this.balanceLoad(pcpu, scurr, snext, now_ns);
      }
      if (delayedAdd && this.params.inflight_credit) inflight = scurr.credit;
      snext.start_ns = now_ns;
      snext.tickledCpu = -1;
      if (snext.vcpu.processor !== pcpu) snext.credit += MIGRATE_COMPENSATION_NS;
      if (snext !== scurr) snext.switchedIn_ns = now_ns;
    } else {
      if (this.idle[pcpu] === 0) rqd.idlers++;
      this.idle[pcpu] = 1;
      this.updateLoad(rqd, null, 0, now_ns);
    }
    const slice_ns = snext === null ? MAX_TIMER_NS : this.runtime(rqd, snext, snext === scurr, inflight, now_ns);
    this.curr[pcpu] = snext;
    this.currSince[pcpu] = snext === null ? 0 : snext.switchedIn_ns;
    if (scurr !== null && snext !== scurr) this.contextSaved(scurr, delayedAdd, now_ns);
    this.scheduling = -1;
    const picked = this.picked;
    picked.vcpu = snext === null ? null : snext.vcpu;
    picked.slice_ns = slice_ns;
    return picked;
  }

  /** csched2_context_saved(): what stopped running gives back its budget and is queued again or counted out. */
  private contextSaved(sv: C2Vcpu, requeue: boolean, now_ns: number): void {
    const unpark = this.returnBudget(sv);
    if (requeue) {
      this.runqInsert(sv);
      this.runqTickle(sv, now_ns);
    } else this.updateLoad(sv.rqd, sv, -1, now_ns);
    if (unpark) this.unparkAll(sv.dom.entity);
  }

  /** runq_candidate(), without soft affinity or yield. */
  private runqCandidate(rqd: Runqueue, pcpu: number, scurr: C2Vcpu | null, now_ns: number): C2Vcpu | null {
    // Inside the ratelimit the running vCPU stays.
    if (scurr !== null && this.ratelimit_ns > 0 && now_ns - scurr.switchedIn_ns < this.ratelimit_ns) return scurr;
    let snext = scurr;
    const bar = (): number => (snext === null ? IDLE_CREDIT_NS : snext.credit);
    const runq = rqd.runq;
    for (let i = 0; i < runq.length; i++) {
      const sv = runq[i]!;
      if (sv.credit <= bar()) break;
      if (!allowedOn(sv.vcpu, pcpu)) continue;
      // Left for the pCPU it was tickled towards, while that one has not scheduled yet.
      if (sv.tickledCpu !== -1 && sv.tickledCpu !== pcpu && this.tickled[sv.tickledCpu] === 1) continue;
      if (sv.vcpu.processor !== pcpu && bar() + MIGRATE_RESIST_NS > sv.credit) continue;
      // Budget last: grabbing it has side effects (a vCPU without any is parked and leaves the queue).
      if (capped(sv) && !this.grabBudget(sv)) {
        if (!sv.queued) i--;
        continue;
      }
      snext = sv;
      break;
    }
    return snext;
  }

  /** csched2_runtime(): run until the credits meet, within [min_time, 10 ms] and the budget. */
  private runtime(rqd: Runqueue, snext: C2Vcpu, kept: boolean, inflight: number, now_ns: number): number {
    let minTime = MIN_TIMER_NS;
    const ratelimit_ns = this.ratelimit_ns;
    if (ratelimit_ns > 0) {
      const left = kept ? snext.switchedIn_ns + ratelimit_ns - now_ns : ratelimit_ns;
      if (left > minTime) minTime = left;
    }
    let rtCredit = snext.credit;
    const head = rqd.runq[0];
    let waitCredit = head !== undefined && head.credit > 0 ? head.credit : 0;
    if (waitCredit < inflight) waitCredit = inflight;
    if (waitCredit > 0) rtCredit = snext.credit - waitCredit;
    let time = rtCredit > 0 ? this.c2t(rqd, rtCredit, snext) : 0;
    if (capped(snext) && snext.budget < time) time = snext.budget;
    if (time < minTime) return minTime;
    return time > MAX_TIMER_NS ? MAX_TIMER_NS : time;
  }

  // --- credit ---

  /** burn_credits() with t2c_update(): max_weight/weight credit per ns, the remainder carried. */
  private burn(sv: C2Vcpu, now_ns: number): void {
    const delta = now_ns - sv.start_ns;
    if (delta <= 0) {
      sv.start_ns = now_ns;
      return;
    }
    const weight = sv.weight;
    if (weight === sv.rqd.maxWeight && sv.residual < weight) {
      // At the highest weight the charge is the time itself and the remainder stays as it was.
      sv.credit -= delta;
    } else {
      const value = delta * sv.rqd.maxWeight + sv.residual;
      sv.residual = value % weight;
      sv.credit -= (value - sv.residual) / weight;
    }
    if (sv.credit < CREDIT_MIN_NS) sv.credit = CREDIT_MIN_NS;
    if (capped(sv)) {
      sv.budget -= delta;
      sv.dom.entity.burned += delta;
    }
    sv.start_ns = now_ns;
  }

  /** c2t(): credit back to time at this vCPU's weight. */
  private c2t(rqd: Runqueue, credit: number, sv: C2Vcpu): number {
    return Math.trunc((credit * sv.weight) / rqd.maxWeight);
  }

  /** reset_credit(): everyone assigned here gains 10 ms (20 ms when snext sits at the floor), up to 10.5 ms. */
  private resetCredit(rqd: Runqueue, pcpu: number, snext: C2Vcpu, now_ns: number): void {
    const m = snext.credit === CREDIT_MIN_NS ? 2 * CREDIT_INIT_NS : CREDIT_INIT_NS;
    const sink = this.ctx.traceSink;
    this.resets++;
    for (const sv of rqd.svc) {
      const cpu = sv.vcpu.processor;
      if (this.curr[cpu] === sv) {
        this.burn(sv, now_ns);
        if (sv.budget <= 0 && cpu !== pcpu) this.tickleCpu(cpu);
      }
      const before = sv.credit;
      sv.credit = Math.min(sv.credit + m, CREDIT_INIT_NS + CARRYOVER_MAX_NS);
      sv.start_ns = now_ns;
      // A reset is credit2's ledger entry, numbered like credit's accounting periods.
      sink?.ledger(now_ns, this.resets, sv.vcpu, before, sv.credit - before, sv.credit, 'reset', true);
    }
    // The clip at 10.5 ms can make unequal credits equal: number the queue again in its order.
    for (const sv of rqd.runq) sv.seq = ++this.seqs;
  }

  // --- runqueues ---

  /** runq_insert(): after every vCPU with equal or more credit. */
  private runqInsert(sv: C2Vcpu): void {
    if (sv.queued) bug(`${svName(sv)} is queued twice`);
    const rqd = sv.rqd;
    if (this.rqOf[sv.vcpu.processor] !== rqd) bug(`${svName(sv)} is queued on runqueue ${rqd.id}, away from its pCPU ${sv.vcpu.processor}`);
    if (!sv.vcpu.runnable) bug(`${svName(sv)} is queued but cannot run`);
    const runq = rqd.runq;
    let lo = 0;
    let hi = runq.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (runq[mid]!.credit >= sv.credit) lo = mid + 1;
      else hi = mid;
    }
    if (lo === runq.length) runq.push(sv);
    else runq.splice(lo, 0, sv);
    sv.queued = true;
    sv.seq = ++this.seqs;
  }

  /**
   * Found by (credit, seq): the queue is in that order, as a queued vCPU's credit only moves
   * with everyone's at a reset, which numbers the queue again.
   */
  private runqRemove(sv: C2Vcpu): void {
    const runq = sv.rqd.runq;
    const { credit, seq } = sv;
    let lo = 0;
    let hi = runq.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = runq[mid]!;
      if (other.credit > credit || (other.credit === credit && other.seq < seq)) lo = mid + 1;
      else hi = mid;
    }
    if (runq[lo] !== sv) bug(`${svName(sv)} is dequeued but is not on runqueue ${sv.rqd.id}`);
    if (lo === 0) runq.shift();
    else runq.splice(lo, 1);
    sv.queued = false;
  }

  /** _runq_assign(). */
  private assign(sv: C2Vcpu, rqd: Runqueue): void {
    sv.rqd = rqd;
    rqd.svc.push(sv);
    if (sv.weight > rqd.maxWeight) rqd.maxWeight = sv.weight;
    rqd.bAvgload += sv.avgload;
  }

  /** _runq_deassign(). */
  private deassign(sv: C2Vcpu): void {
    const rqd = sv.rqd;
    const at = rqd.svc.indexOf(sv);
    invariant(at >= 0, () => `${svName(sv)} is not assigned to runqueue ${rqd.id}`);
    rqd.svc.splice(at, 1);
    if (sv.weight === rqd.maxWeight) this.updateMaxWeight(rqd);
    rqd.bAvgload = Math.max(rqd.bAvgload - sv.avgload, 0);
  }

  /** update_max_weight(), brute force: the largest weight assigned here, 1 when none. */
  private updateMaxWeight(rqd: Runqueue): void {
    let max = 1;
    for (const sv of rqd.svc) if (sv.weight > max) max = sv.weight;
    rqd.maxWeight = max;
  }

  // --- tickling: runq_tickle(), tickle_score(), is_preemptable() ---

  private tickleCpu(pcpu: number): void {
    this.tickled[pcpu] = 1;
    this.ctx.requestReschedule(pcpu);
  }

  private runqTickle(sv: C2Vcpu, now_ns: number): void {
    const cpu = sv.vcpu.processor;
    const rqd = sv.rqd;
    const pcpus = rqd.pcpus;
    const { idle, tickled } = this;
    let ipid = -1;
    if (this.isPinned(sv) && idle[cpu] === 1 && tickled[cpu] === 0) ipid = cpu;
    if (ipid === -1 && rqd.idlers > 0) ipid = this.idleFor(sv, cpu, pcpus);
    if (ipid === -1) {
      let max = 0;
      if (this.rqOf[cpu] === rqd && idle[cpu] === 0 && tickled[cpu] === 0 && allowedOn(sv.vcpu, cpu)) {
        const score = this.tickleScore(sv, cpu, now_ns);
        // Its own pCPU is within its (whole-pool) soft affinity: taken at once.
        if (score > max) ipid = cpu;
      }
      if (ipid === -1) {
        const affinity = sv.vcpu.affinity;
        const { currSince, ratelimit_ns } = this;
        // is_preemptable() from the switch-in times alone: a pCPU inside the ratelimit scores -1.
        const ranAtMost_ns = ratelimit_ns <= RATELIMIT_TICKLE_TOLERANCE_NS ? -Infinity : ratelimit_ns - RATELIMIT_TICKLE_TOLERANCE_NS;
        for (let i = 0; i < pcpus.length; i++) {
          const p = pcpus[i]!;
          if (p === cpu || idle[p] === 1 || tickled[p] === 1 || now_ns - currSince[p]! <= ranAtMost_ns || (affinity !== null && affinity[p] !== 1)) continue;
          const score = this.tickleScore(sv, p, now_ns);
          if (score > max) {
            max = score;
            ipid = p;
          }
        }
      }
    }
    if (ipid === -1) return;
    this.tickleCpu(ipid);
    sv.tickledCpu = ipid;
  }

  /** CSFLAG_pinned: its hard affinity allows one pCPU (counted again only when the mask is replaced). */
  private isPinned(sv: C2Vcpu): boolean {
    const affinity = sv.vcpu.affinity;
    if (affinity === null) return false;
    if (sv.pinnedFor !== affinity) {
      let count = 0;
      for (let p = 0; p < affinity.length; p++) count += affinity[p]!;
      sv.pinnedFor = affinity;
      sv.pinned = count === 1;
    }
    return sv.pinned;
  }

  /** An idle, untickled pCPU of the runqueue it may use: its own, else the next one cyclically (cpumask_test_or_cycle()). */
  private idleFor(sv: C2Vcpu, cpu: number, pcpus: readonly number[]): number {
    let after = -1;
    let first = -1;
    for (const p of pcpus) {
      if (this.idle[p] === 0 || this.tickled[p] === 1 || !allowedOn(sv.vcpu, p)) continue;
      if (p === cpu) return p;
      if (first === -1) first = p;
      if (after === -1 && p > cpu) after = p;
    }
    return after !== -1 ? after : first;
  }

  private tickleScore(sv: C2Vcpu, pcpu: number, now_ns: number): number {
    const cur = this.curr[pcpu];
    if (cur === null || cur === undefined || !this.isPreemptable(cur, now_ns)) return -1;
    this.burn(cur, now_ns);
    let score = sv.credit - cur.credit;
    if (sv.vcpu.processor !== pcpu) score -= MIGRATE_RESIST_NS;
    // Soft affinity is the whole pool: a positive score always gets the new vCPU's bonus.
    if (score > 0) score += CREDIT_INIT_NS;
    return score;
  }

  private isPreemptable(cur: C2Vcpu, now_ns: number): boolean {
    const ratelimit_ns = this.ratelimit_ns;
    return ratelimit_ns <= RATELIMIT_TICKLE_TOLERANCE_NS || now_ns - cur.switchedIn_ns > ratelimit_ns - RATELIMIT_TICKLE_TOLERANCE_NS;
  }

  // --- caps: unit_grab_budget(), unit_return_budget(), replenish_domain_budget() ---

  private grabBudget(sv: C2Vcpu): boolean {
    if (sv.budget > 0) return true;
    const entity = sv.dom.entity;
    // An overrun (budget below 0) is paid back to the pool first.
    entity.pool += sv.budget;
    if (entity.pool > 0) {
      sv.budget = Math.min(sv.quota, entity.pool);
      entity.pool -= sv.budget;
      return true;
    }
    sv.budget = 0;
    entity.parked.unshift(sv);
    this.ctx.park(sv.vcpu);
    return false;
  }

  /** What a capped vCPU did not use goes back to the pool; true when parked vCPUs may now run. */
  private returnBudget(sv: C2Vcpu): boolean {
    if (!capped(sv) || sv.budget <= 0) return false;
    const entity = sv.dom.entity;
    entity.pool += sv.budget;
    sv.budget = 0;
    return entity.pool > 0;
  }

  private unparkAll(entity: C2Dom): void {
    const parked = entity.parked.splice(0);
    for (const sv of parked) if (sv.vcpu.parked) this.ctx.unpark(sv.vcpu);
  }

  timer(now_ns: number): void {
    for (const entity of this.cappedEntities) {
      if (entity.nextRepl_ns > now_ns) continue;
      do {
        entity.nextRepl_ns += BUDGET_PERIOD_NS;
        entity.pool += entity.total;
        entity.issued += entity.total;
      } while (entity.nextRepl_ns <= now_ns);
      const first = entity.domain.vcpus[0];
      if (first !== undefined) this.ctx.traceSink?.vcpuEvent(now_ns, 'refill', first);
      if (entity.pool <= 0) continue;
      if (entity.pool > entity.total) {
        entity.issued -= entity.pool - entity.total;
        entity.pool = entity.total;
      }
      this.unparkAll(entity);
    }
    this.armBudgetTimer();
  }

  private armBudgetTimer(): void {
    let next = Infinity;
    for (const entity of this.cappedEntities) if (entity.nextRepl_ns < next) next = entity.nextRepl_ns;
    this.ctx.setTimer(next);
  }

  /** The vCPUs a cap covers: the entity's own and its members'. */
  private *groupVcpus(entity: C2Dom, without?: C2Vcpu): Generator<C2Vcpu> {
    for (const vcpu of entity.domain.vcpus) if (vcpu.priv !== null && vcpu.priv !== without) yield vcpuOf(vcpu);
    for (const member of entity.domain.group?.members ?? []) {
      for (const vcpu of member.vcpus) if (vcpu.priv !== null && vcpu.priv !== without) yield vcpuOf(vcpu);
    }
  }

  /** csched2_dom_cntl(): quota = max(total / vCPUs, MIN_TIMER). */
  private setQuotas(entity: C2Dom, without?: C2Vcpu): void {
    const vcpus = [...this.groupVcpus(entity, without)];
    const quota = Math.max(Math.floor(entity.total / Math.max(vcpus.length, 1)), MIN_TIMER_NS);
    for (const sv of vcpus) sv.quota = quota;
  }

  /** A cap turned on or changed, or the group under it changed: a full pool, every vCPU must grab first. */
  private startCap(entity: C2Dom, now_ns: number): void {
    entity.total = Math.floor((BUDGET_PERIOD_NS * entity.cap) / 100);
    for (const sv of this.groupVcpus(entity)) {
      if (this.curr[sv.vcpu.processor] === sv) {
        // Burnt before the cap applies: what ran so far is not charged to the budget.
        const cap = entity.cap;
        entity.cap = 0;
        this.burn(sv, now_ns);
        entity.cap = cap;
        this.tickleCpu(sv.vcpu.processor);
      }
      sv.budget = 0;
    }
    this.setQuotas(entity);
    entity.pool = entity.total;
    entity.issued = entity.total;
    entity.burned = 0;
    entity.nextRepl_ns = now_ns + BUDGET_PERIOD_NS;
    this.cappedEntities.add(entity);
    this.armBudgetTimer();
  }

  private stopCap(entity: C2Dom): void {
    for (const sv of this.groupVcpus(entity)) sv.budget = Infinity;
    this.cappedEntities.delete(entity);
    this.armBudgetTimer();
    this.unparkAll(entity);
  }

  // --- scheduling domains ---

  /**
   * Effective weights: an entity without members weighs its own weight per vCPU; a
   * scheduling domain's claim (master's weight × its online vCPUs) is split by share over
   * its domains with a vCPU that wants to run, then evenly over those vCPUs.
   */
  private reweigh(entity: C2Dom, without?: C2Vcpu): void {
    const group = entity.domain.group;
    const changed = new Set<Runqueue>();
    const setWeight = (sv: C2Vcpu, weight: number): void => {
      if (sv.weight === weight) return;
      const now_ns = this.ctx.now_ns();
      if (this.curr[sv.vcpu.processor] === sv) this.burn(sv, now_ns);
      sv.weight = weight;
      changed.add(sv.rqd);
    };
    if (group === null) {
      for (const sv of this.groupVcpus(entity, without)) setWeight(sv, entity.weight);
    } else {
      const domains = [entity.domain, ...group.members];
      let online = 0;
      for (const vcpu of entity.domain.vcpus) if (vcpu.online && vcpu.priv !== without) online++;
      const claim = entity.weight * Math.max(online, 1);
      const active = domains.map((d) => d.vcpus.filter((v) => v.priv !== without && wantsToRun(v)).length);
      let shares = 0;
      domains.forEach((d, i) => (shares += active[i]! > 0 ? d.share : 0));
      domains.forEach((d, i) => {
        const spread = Math.max(active[i]!, 1);
        const weight = Math.max(1, Math.round((claim * d.share) / ((shares === 0 ? d.share : shares) * spread)));
        for (const vcpu of d.vcpus) if (vcpu.priv !== null && vcpu.priv !== without) setWeight(vcpuOf(vcpu), weight);
      });
    }
    for (const rqd of changed) this.updateMaxWeight(rqd);
  }

  groupsChanged(): void {
    const now_ns = this.ctx.now_ns();
    const touched = new Set<C2Dom>();
    for (const domain of this.ctx.domains()) {
      const dom = domOf(domain);
      const entity = domain.master === null ? dom : domOf(domain.master);
      if (entity === dom.entity) continue;
      touched.add(dom.entity);
      touched.add(entity);
      // What it held goes back to its old pool; parked vCPUs follow it to the new one.
      for (const vcpu of domain.vcpus) {
        const sv = vcpuOf(vcpu);
        if (capped(sv) && Number.isFinite(sv.budget)) dom.entity.pool += sv.budget;
        const at = dom.entity.parked.indexOf(sv);
        if (at >= 0) {
          dom.entity.parked.splice(at, 1);
          entity.parked.push(sv);
        }
      }
      dom.entity = entity;
    }
    // Shares may have changed anywhere: every entity weighs its vCPUs again.
    for (const domain of this.ctx.domains()) {
      const dom = domOf(domain);
      if (dom.entity === dom) this.reweigh(dom);
    }
    for (const entity of touched) {
      // A new member's own cap waits until it leaves: its budget pool is no longer in use.
      if (entity.entity !== entity || !this.isLive(entity)) this.cappedEntities.delete(entity);
      else if (entity.cap !== 0) this.startCap(entity, now_ns);
      else this.stopCap(entity);
    }
    this.armBudgetTimer();
  }

  private isLive(dom: C2Dom): boolean {
    for (const domain of this.ctx.domains()) if (domain === dom.domain) return true;
    return false;
  }

  // --- load: update_runq_load(), update_svc_load(), balance_load() ---

  private updateLoad(rqd: Runqueue, sv: C2Vcpu | null, change: number, now_ns: number): void {
    const now = Math.floor(now_ns / LOAD_GRANULARITY_NS);
    const load = rqd.load * LOAD_ONE;
    if (rqd.loadUpdate + LOAD_WINDOW < now) {
      rqd.avgload = load;
      rqd.bAvgload = load;
    } else {
      const delta = Math.max(now - rqd.loadUpdate, 0);
      const gain = Math.floor((delta * load) / LOAD_WINDOW);
      rqd.avgload += gain - Math.floor((delta * rqd.avgload) / LOAD_WINDOW);
      rqd.bAvgload += gain - Math.floor((delta * rqd.bAvgload) / LOAD_WINDOW);
    }
    rqd.load += change;
    rqd.loadUpdate = now;
    if (rqd.load < 0) bug(`runqueue ${rqd.id}'s load went below 0`);
    if (sv !== null) this.updateSvcLoad(sv, change, now_ns);
  }

  private updateSvcLoad(sv: C2Vcpu, change: number, now_ns: number): void {
    const now = Math.floor(now_ns / LOAD_GRANULARITY_NS);
    const load = (change === -1 ? 1 : change === 1 ? 0 : sv.vcpu.runnable ? 1 : 0) * LOAD_ONE;
    if (sv.loadUpdate + LOAD_WINDOW < now) sv.avgload = load;
    else {
      const delta = Math.max(now - sv.loadUpdate, 0);
      sv.avgload += Math.floor((delta * load) / LOAD_WINDOW) - Math.floor((delta * sv.avgload) / LOAD_WINDOW);
    }
    sv.loadUpdate = now;
  }

  /**
   * balance_load(): against the runqueue whose balancing load differs most, make the single
   * push, pull or swap that leaves the smallest difference, if smaller than now. The vCPUs
   * this pCPU is switching between are left alone.
   */
  private balanceLoad(pcpu: number, scurr: C2Vcpu | null, snext: C2Vcpu, now_ns: number): void {
    if (this.runqueues.length < 2) return;
    const lrqd = this.rqOf[pcpu]!;
    this.updateLoad(lrqd, null, 0, now_ns);
    let loadDelta = 0;
    let best: Runqueue | null = null;
    for (const rqd of this.runqueues) {
      if (rqd === lrqd) continue;
      this.updateLoad(rqd, null, 0, now_ns);
      const delta = Math.abs(lrqd.bAvgload - rqd.bAvgload);
      if (delta > loadDelta) {
        loadDelta = delta;
        best = rqd;
      }
    }
    if (best === null) return;
    // As Xen does, the capacity test reads the last runqueue of the list (st.orqd after the loop), not necessarily `best`.
    const last = this.runqueues.at(-1)!;
    const loadMax = Math.max(lrqd.bAvgload, last.bAvgload);
    const cpusMax = Math.max(lrqd.pcpus.length, last.pcpus.length);
    if (loadDelta < (loadMax < cpusMax * LOAD_ONE ? BALANCE_UNDER : BALANCE_OVER)) return;
    const orqd = best;
    const movable = (sv: C2Vcpu, to: Runqueue): boolean =>
      sv !== scurr && sv !== snext && sv.vcpu.migrateTo < 0 && to.pcpus.some((p) => allowedOn(sv.vcpu, p));
    let push: C2Vcpu | null = null;
    let pull: C2Vcpu | null = null;
    const consider = (pushed: C2Vcpu | null, pulled: C2Vcpu | null): void => {
      let l = lrqd.bAvgload;
      let o = orqd.bAvgload;
      if (pushed !== null) {
        l -= pushed.avgload;
        o += pushed.avgload;
      }
      if (pulled !== null) {
        l += pulled.avgload;
        o -= pulled.avgload;
      }
      const delta = Math.abs(l - o);
      if (delta < loadDelta) {
        loadDelta = delta;
        push = pushed;
        pull = pulled;
      }
    };
    let innerUpdated = false;
    for (const pushed of lrqd.svc) {
      this.updateSvcLoad(pushed, 0, now_ns);
      if (!movable(pushed, orqd)) continue;
      for (const pulled of orqd.svc) {
        if (!innerUpdated) this.updateSvcLoad(pulled, 0, now_ns);
        if (movable(pulled, lrqd)) consider(pushed, pulled);
      }
      innerUpdated = true;
      consider(pushed, null);
    }
    for (const pulled of orqd.svc) if (movable(pulled, lrqd)) consider(null, pulled);
    const sink = this.ctx.traceSink;
    if (pull !== null) {
      sink?.vcpuEvent(now_ns, 'balance', (pull as C2Vcpu).vcpu);
      this.migrate(pull, lrqd, now_ns);
    }
    if (push !== null) {
      sink?.vcpuEvent(now_ns, 'balance', (push as C2Vcpu).vcpu);
      this.migrate(push, orqd, now_ns);
    }
  }

  /** migrate(): a running vCPU moves when descheduled; a waiting or sleeping one at once. */
  private migrate(sv: C2Vcpu, trqd: Runqueue, now_ns: number): void {
    const from = sv.vcpu.processor;
    const target = this.cycle(trqd.pickBias, trqd.pcpus, sv.vcpu);
    trqd.pickBias = target;
    if (this.curr[from] === sv) {
      // The migrate request: csched2_res_pick() honours it when the move completes.
      sv.placedOn = target;
      this.ctx.migrate(sv.vcpu, target);
      this.tickled[from] = 1;
      return;
    }
    const onRunq = sv.queued;
    if (onRunq) {
      this.runqRemove(sv);
      this.updateLoad(sv.rqd, null, -1, now_ns);
    }
    this.deassign(sv);
    this.ctx.setProcessor(sv.vcpu, target);
    this.assign(sv, trqd);
    if (onRunq) {
      this.updateLoad(trqd, null, 1, now_ns);
      this.runqInsert(sv);
      this.runqTickle(sv, now_ns);
    }
  }

  /**
   * csched2_res_pick(), without soft affinity: the runqueue of least balancing load among
   * those with a pCPU of its hard affinity (its own counted without its own load; the first
   * on ties), and there the next allowed pCPU after the runqueue's pick_bias.
   */
  private place(sv: C2Vcpu): void {
    const vcpu = sv.vcpu;
    let best: Runqueue | null = null;
    let bestLoad = Infinity;
    for (const rqd of this.runqueues) {
      if (!rqd.pcpus.some((p) => allowedOn(vcpu, p))) continue;
      const load = rqd === sv.rqd ? Math.max(rqd.bAvgload - sv.avgload, 0) : rqd.bAvgload;
      if (load < bestLoad) {
        bestLoad = load;
        best = rqd;
      }
    }
    invariant(best !== null, () => `${svName(sv)} may run on no pCPU of its pool`);
    const target = this.cycle(best.pickBias, best.pcpus, vcpu);
    best.pickBias = target;
    sv.placedOn = target;
    if (target !== vcpu.processor) this.ctx.setProcessor(vcpu, target);
  }

  /** cpumask_cycle(): the first pCPU after `bias` (cyclically) of `pcpus` that `vcpu` may use. */
  private cycle(bias: number, pcpus: readonly number[], vcpu: Vcpu): number {
    let first = -1;
    for (const p of pcpus) {
      if (!allowedOn(vcpu, p)) continue;
      if (p > bias) return p;
      if (first === -1) first = p;
    }
    invariant(first !== -1, () => `d${vcpu.domain.domid}v${vcpu.id} may run on no pCPU of the target runqueue`);
    return first;
  }

  // --- parameters ---

  getDomainParams(domain: Domain): DomainSchedParams {
    const dom = domOf(domain);
    return { weight: dom.weight, cap: dom.cap };
  }

  checkDomainParams(params: DomainSchedParams, groupVcpus: number): DomctlError | null {
    const { weight, cap } = params;
    if (!Number.isInteger(weight) || weight < CREDIT2_MIN_WEIGHT || weight > CREDIT2_MAX_WEIGHT) {
      return invalid('weight', `must be an integer in ${CREDIT2_MIN_WEIGHT}..${CREDIT2_MAX_WEIGHT}, got ${weight}`);
    }
    const maxCap = maxCapFor(groupVcpus);
    if (!Number.isInteger(cap) || cap < 0 || cap > maxCap) {
      return invalid('cap', `must be an integer in 0..${maxCap} (${CAP_PER_VCPU} per vCPU; 0 = no cap), got ${cap}`);
    }
    return null;
  }

  adjustDomain(domain: Domain, params: DomainSchedParams): void {
    const dom = domOf(domain);
    const capWas = dom.cap;
    dom.weight = params.weight;
    dom.cap = params.cap;
    // A member's own weight and cap wait until it leaves its scheduling domain.
    if (dom.entity !== dom) return;
    this.reweigh(dom);
    if (dom.cap !== 0 && dom.cap !== capWas) this.startCap(dom, this.ctx.now_ns());
    else if (dom.cap === 0 && capWas !== 0) this.stopCap(dom);
  }

  checkGlobalParams(params: SchedParams): DomctlError | null {
    const foreign = Object.keys(params).find((key) => key !== 'ratelimit_us' && key !== 'inflight_credit' && key !== 'runqueue');
    if (foreign !== undefined) return invalid(foreign, 'is not a parameter of the credit2 scheduler (it has ratelimit_us, inflight_credit and runqueue)');
    const { ratelimit_us, inflight_credit, runqueue } = params as Credit2Params;
    if (runqueue !== undefined && !CREDIT2_RUNQUEUE_ARRANGEMENTS.includes(runqueue)) {
      return invalid('runqueue', `must be one of ${CREDIT2_RUNQUEUE_ARRANGEMENTS.join(', ')}, got ${String(runqueue)}`);
    }
    const inRange = ratelimit_us === 0 || (ratelimit_us >= CREDIT2_MIN_RATELIMIT_US && ratelimit_us <= CREDIT2_MAX_RATELIMIT_US);
    if (!Number.isInteger(ratelimit_us) || !inRange) {
      return invalid('ratelimit_us', `must be 0 or an integer in ${CREDIT2_MIN_RATELIMIT_US}..${CREDIT2_MAX_RATELIMIT_US}, got ${ratelimit_us}`);
    }
    if (typeof inflight_credit !== 'boolean') return domctlError(DomctlErrorCode.INVALID_ARGUMENT, 'inflight_credit: must be true or false', 'inflight_credit');
    return null;
  }

  getGlobalParams(): Credit2Params {
    return this.params;
  }

  /** The arrangement is this instance's for life: a pool whose arrangement changes gets a new instance (engine.ts). */
  adjustGlobal(params: SchedParams): void {
    const { ratelimit_us, inflight_credit } = params as Credit2Params;
    this.params = { ratelimit_us, inflight_credit, runqueue: this.arrangement };
    this.ratelimit_ns = ratelimit_us * NS_PER_US;
  }

  vcpuInfo(vcpu: Vcpu): VcpuSchedInfo {
    const sv = vcpuOf(vcpu);
    return {
      credit: sv.credit,
      priority: 'none',
      runqueue: sv.rqd.id,
      budget_ns: Number.isFinite(sv.budget) ? sv.budget : null,
      parked: vcpu.parked,
      active: sv.queued || this.curr[vcpu.processor] === sv,
    };
  }

  /** The vCPUs waiting in `pcpu`'s runqueue that last ran on it, in credit order. */
  runQueue(pcpu: number): readonly Vcpu[] {
    return this.rqOf[pcpu]!.runq.filter((sv) => sv.vcpu.processor === pcpu).map((sv) => sv.vcpu);
  }

  runqueuePcpus(): number[][] {
    return this.runqueues.map((rqd) => [...rqd.pcpus]);
  }

  /** Like `xl debug-keys r`: each runqueue's pCPUs, max weight, loads and queue; capped pools. */
  dump(): unknown {
    const name = (sv: C2Vcpu): string => `d${sv.vcpu.domain.domid}v${sv.vcpu.id} ${sv.credit}`;
    return {
      params: this.params,
      runqueue_arrangement: this.arrangement,
      runqueues: this.runqueues.map((rqd) => ({
        id: rqd.id,
        pcpus: rqd.pcpus,
        max_weight: rqd.maxWeight,
        load: rqd.load,
        avgload: rqd.avgload,
        b_avgload: rqd.bAvgload,
        runq: rqd.runq.map(name),
      })),
      budgets: [...this.cappedEntities].map((e) => ({ domid: e.domain.domid, cap: e.cap, pool_ns: e.pool, total_ns: e.total, parked: e.parked.map(name) })),
    };
  }

  /** Xen's ASSERTs, all at once: one place per vCPU, sorted runqueues, credit bounds, load counters, budgets. */
  checkInvariants(): void {
    const seen = new Set<C2Vcpu>();
    for (const rqd of this.runqueues) {
      let counted = 0;
      rqd.runq.forEach((sv, i) => {
        invariant(sv.queued && sv.rqd === rqd && !seen.has(sv), () => `${svName(sv)} is misplaced on runqueue ${rqd.id}`);
        seen.add(sv);
        const before = rqd.runq[i - 1];
        const ordered = before === undefined || before.credit > sv.credit || (before.credit === sv.credit && before.seq < sv.seq);
        invariant(ordered, () => `runqueue ${rqd.id} is out of (credit, queue order) order at ${svName(sv)}`);
        invariant(this.curr[sv.vcpu.processor] !== sv, () => `${svName(sv)} is queued and running`);
        counted++;
      });
      for (const pcpu of rqd.pcpus) {
        const sv = this.curr[pcpu];
        if (sv === null || sv === undefined) continue;
        invariant(sv.rqd === rqd && sv.vcpu.processor === pcpu && this.ctx.current(pcpu) === sv.vcpu, () => `${svName(sv)} runs on pCPU ${pcpu} away from its runqueue`);
        // A running vCPU that is leaving (blocked, parked, migrating) is counted until its pCPU deschedules it.
        counted++;
      }
      invariant(rqd.load === counted, () => `runqueue ${rqd.id}'s load is ${rqd.load}, but ${counted} vCPUs wait or run there`);
      const idlers = rqd.pcpus.filter((p) => this.idle[p] === 1).length;
      invariant(rqd.idlers === idlers, () => `runqueue ${rqd.id} counts ${rqd.idlers} idle pCPUs, but ${idlers} idle`);
      for (const sv of rqd.svc) {
        invariant(sv.rqd === rqd, () => `${svName(sv)} is listed on runqueue ${rqd.id} but assigned to ${sv.rqd.id}`);
        invariant(
          sv.credit >= CREDIT_MIN_NS && sv.credit <= CREDIT_INIT_NS + CARRYOVER_MAX_NS + MIGRATE_COMPENSATION_NS,
          () => `${svName(sv)}'s credit ${sv.credit} is outside [${CREDIT_MIN_NS}, ${CREDIT_INIT_NS + CARRYOVER_MAX_NS}] (+ one migration's compensation)`,
        );
        invariant(sv.weight <= rqd.maxWeight, () => `${svName(sv)} weighs more than runqueue ${rqd.id}'s max weight`);
      }
    }
    for (const entity of this.cappedEntities) {
      let held = entity.pool;
      for (const sv of this.groupVcpus(entity)) held += sv.budget;
      invariant(held === entity.issued - entity.burned, () => `d${entity.domain.domid}'s budget is not conserved: ${held} held, ${entity.issued - entity.burned} issued less burnt`);
    }
  }
}
