/**
 * Xen's credit scheduler (sched_credit.c, Xen 3.1 rules with 4.x's exact
 * accounting and ratelimit), plus scheduling domains ("nemesis"): a group of
 * domains is one accounting entity with its master's weight and cap.
 *
 * Two activities, each readable top to bottom: the tick burns credit, the
 * accounting hands it out. The constants below are Xen's (README.md, "The
 * simulated host", says what is modelled and where it departs from Xen).
 */
import { DomctlErrorCode, domctlError, invalid, type DomctlError } from '../errors.ts';
import { bug } from '../invariant.ts';
import { capOutOfRange, DEFAULT_SCHED_PARAMS, DEFAULT_WEIGHT } from '../../vocabulary/domains.ts';
import { maxCapFor } from '../limits.ts';
import { allowedOn, type Domain, type Vcpu } from '../model.ts';
import { NS_PER_MS, NS_PER_US } from '../../vocabulary/units.ts';
import type {
  DomainSchedParams,
  GlobalSchedParams,
  PickResult,
  SchedCounters,
  Scheduler,
  SchedulerContext,
  VcpuSchedInfo,
  WakeCause,
} from './scheduler.ts';
import { ACCOUNTING_MODES } from './scheduler.ts';
import { EntityTable, VcpuTable } from './credit-tables.ts';
import { NONE, RunQueues, segmentOf } from './credit-runq.ts';

export const TICK_MS = 10;
export const CREDITS_PER_MS = 10;
/** Sampled (Xen 3.1) accounting: what the vCPU found running at a tick pays. */
export const CREDITS_PER_TICK = CREDITS_PER_MS * TICK_MS;
export const DEFAULT_TSLICE_MS = 30;
export const MIN_TSLICE_MS = 1;
export const MAX_TSLICE_MS = 1000;
export const DEFAULT_RATELIMIT_US = 1000;
export const MIN_RATELIMIT_US = 100;
export const MAX_RATELIMIT_US = 500_000;
export { DEFAULT_WEIGHT };
export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 65535;
const NS_PER_CREDIT = NS_PER_MS / CREDITS_PER_MS;

/** Xen's CSCHED_PRI_*: higher runs first. */
export const Priority = { BOOST: 0, UNDER: -1, OVER: -2, IDLE: -64 } as const;
type Priority = (typeof Priority)[keyof typeof Priority];
const PRIORITY_NAMES: Readonly<Record<Priority, string>> = { 0: 'boost', [-1]: 'under', [-2]: 'over', [-64]: 'idle' };

/** A vCPU's cold state; its credit, priority and flags are in the scheduler's VcpuTable at `slot`. */
interface CreditVcpu {
  readonly vcpu: Vcpu;
  readonly dom: CreditDomain;
  readonly slot: number;
  /** When it was last picked (ratelimit) and charged up to (exact accounting). */
  start_ns: number;
  charged_ns: number;
  /** ns run but not yet worth a whole credit. */
  residual_ns: number;
}

/** A domain; its weight, cap and place on the active list are in the scheduler's EntityTable at `slot`. */
interface CreditDomain {
  readonly domain: Domain;
  readonly slot: number;
  /** Who it is accounted as: itself, or its scheduling domain's master. */
  entity: CreditDomain;
  /** As an accounting entity: its active vCPUs (with its members'). */
  activeVcpus: CreditVcpu[];
}

const vcpuOf = (vcpu: Vcpu): CreditVcpu => vcpu.priv as CreditVcpu;
const domOf = (domain: Domain): CreditDomain => domain.priv as CreditDomain;
const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
const svName = (sv: CreditVcpu): string => `d${sv.vcpu.domain.domid}v${sv.vcpu.id}`;
/** A priority as the VcpuTable stores it. */
const asPriority = (pri: number): Priority => pri as Priority;
/** A domain's share of its scheduling domain (all equal outside one). */
const shareOf = (sv: CreditVcpu): number => sv.dom.domain.share;

/**
 * How an entity's active vCPUs split its credit: a share is per domain, so each
 * domain's part is split evenly over its active vCPUs. Null when every vCPU
 * weighs the same (share / active vCPUs alike), the even split of the 2007 patches.
 */
interface ShareSplit {
  /** Each vCPU's weight as a fraction weightNum[i] / weightDen[i] of `shareTotal`. */
  readonly weightNum: number[];
  readonly weightDen: number[];
  readonly shareTotal: number;
}

function shareSplit(vcpus: readonly CreditVcpu[]): ShareSplit | null {
  // One domain's vCPUs (every entity outside a scheduling domain) split evenly: no map to build.
  const only = vcpus[0]!.dom;
  if (vcpus.every((sv) => sv.dom === only)) return null;
  const perDomain = new Map<CreditDomain, number>();
  for (const sv of vcpus) perDomain.set(sv.dom, (perDomain.get(sv.dom) ?? 0) + 1);
  const first = vcpus[0]!;
  const sameWeight = vcpus.every((sv) => shareOf(sv) * perDomain.get(first.dom)! === shareOf(first) * perDomain.get(sv.dom)!);
  if (sameWeight) return null;
  let shareTotal = 0;
  for (const dom of perDomain.keys()) shareTotal += dom.domain.share;
  return { weightNum: vcpus.map(shareOf), weightDen: vcpus.map((sv) => perDomain.get(sv.dom)!), shareTotal };
}

/** `total` credits split by domain share, then evenly over each domain's vCPUs, in whole credits. */
function splitByDomain(total: number, vcpus: readonly CreditVcpu[]): number[] {
  const domains = [...new Set(vcpus.map((sv) => sv.dom))];
  const domainParts = apportion(total, domains.map((dom) => dom.domain.share));
  const parts = new Array<number>(vcpus.length);
  domains.forEach((dom, d) => {
    const indices = vcpus.flatMap((sv, i) => (sv.dom === dom ? [i] : []));
    const even = apportion(domainParts[d]!, indices.map(() => 1));
    indices.forEach((i, k) => (parts[i] = even[k]!));
  });
  return parts;
}

export function createCreditScheduler(ctx: SchedulerContext): Scheduler {
  return new CreditScheduler(ctx);
}

class CreditScheduler implements Scheduler {
  readonly name = 'credit';
  readonly defaultDomainParams: DomainSchedParams = { ...DEFAULT_SCHED_PARAMS };
  readonly tick_ns = TICK_MS * NS_PER_MS;
  private params: GlobalSchedParams = { tslice_ms: DEFAULT_TSLICE_MS, ratelimit_us: DEFAULT_RATELIMIT_US, accounting: 'exact' };
  private readonly runqs: RunQueues;
  /**
   * Per pCPU, during an accounting: its queued vCPUs (slots) whose priority changed, the first
   * `runqChangedCount` (a queue with any is out of order until the re-sort), and 1 once a vCPU
   * joined or left its queue. Emptied by count: `length = 0` is a runtime call, for every queue every period.
   */
  private readonly runqChanged: number[][];
  private readonly runqChangedCount: Int32Array;
  private readonly runqReshaped: Uint8Array;
  private accounting = false;
  /** When accounting last became exact (ticks at or before it charged as sampled), or -1. */
  private exactSince_ns = -1;
  /** When each pCPU was last chosen as a tick migration's target. */
  private readonly migrationTargetAt_ns: Float64Array;
  /** Per-vCPU and per-entity hot state, and who holds each slot. */
  private readonly vcpus = new VcpuTable();
  private readonly entities = new EntityTable();
  private readonly vcpuAt: (CreditVcpu | null)[] = [];
  private readonly entityAt: CreditDomain[] = [];
  /** Accounting entities (slots) in accounting order, and those activated since the last accounting. */
  private activeEntities: number[] = [];
  /** The list before the last reordering: the next one is built in it. */
  private spareEntities: number[] = [];
  /** The first `newlyActiveCount` are current: it is never cut, as an emptied array gives its storage back. */
  private newlyActive: number[] = [];
  private newlyActiveCount = 0;
  /** Set when an entity left the active list or a weight changed; else, with none newly active, the list and its weight stand. */
  private listChanged = true;
  /** The list's total weight, its lightest and heaviest entity, and whether one is capped (as of its last rebuild). */
  private listWeight = 0;
  private listMinWeight = 0;
  private listMaxWeight = 0;
  private listCapped = false;
  /** vCPUs parked by the policy now. */
  private parkedCount = 0;
  private creditBalance = 0;
  private accountings = 0;
  private readonly counts = { boost_wakes: 0, parks: 0, unparks: 0, steals: 0, migrations: 0 };
  private groupsDirty = false;
  /** 1 for the pCPUs of its cpupool: it steals and migrates only among them. */
  private readonly inPool: Uint8Array;

  /** pick()'s answer, one object reused: the framework reads it at once (a pick per context switch need not allocate). */
  private readonly picked: { vcpu: Vcpu | null; slice_ns: number } = { vcpu: null, slice_ns: 0 };

  private readonly ctx: SchedulerContext;

  constructor(ctx: SchedulerContext) {
    this.ctx = ctx;
    this.inPool = new Uint8Array(ctx.pcpuCount);
    for (const pcpu of ctx.pcpus) this.inPool[pcpu] = 1;
    this.runqs = new RunQueues(ctx.pcpuCount);
    this.runqChanged = Array.from({ length: ctx.pcpuCount }, () => []);
    this.runqChangedCount = new Int32Array(ctx.pcpuCount);
    this.runqReshaped = new Uint8Array(ctx.pcpuCount);
    this.migrationTargetAt_ns = new Float64Array(ctx.pcpuCount).fill(-1);
  }

  private get creditsPerTslice(): number {
    return CREDITS_PER_MS * this.params.tslice_ms;
  }

  accountingPeriodNs(): number {
    return this.params.tslice_ms * NS_PER_MS;
  }

  // --- domains and vCPUs ---

  insertDomain(domain: Domain): void {
    const slot = this.entities.alloc(DEFAULT_SCHED_PARAMS.weight, DEFAULT_SCHED_PARAMS.cap);
    const dom: CreditDomain = { domain, slot, entity: null!, activeVcpus: [] };
    dom.entity = dom;
    domain.priv = dom;
    this.entityAt[slot] = dom;
  }

  removeDomain(domain: Domain): void {
    const dom = domOf(domain);
    // A master's entity may still hold its former members' vCPUs: re-home them at the next accounting.
    if (dom.activeVcpus.length > 0) this.groupsDirty = true;
    this.entities.listed[dom.slot] = 0;
    this.entities.release(dom.slot);
    this.listChanged = true;
  }

  insertVcpu(vcpu: Vcpu): void {
    const slot = this.vcpus.alloc(Priority.UNDER);
    const sv: CreditVcpu = {
      vcpu,
      dom: domOf(vcpu.domain),
      slot,
      start_ns: 0,
      charged_ns: 0,
      residual_ns: 0,
    };
    vcpu.priv = sv;
    this.vcpuAt[slot] = sv;
  }

  removeVcpu(vcpu: Vcpu): void {
    const sv = vcpuOf(vcpu);
    if (this.vcpus.queued[sv.slot] === 1) this.dequeue(sv);
    if (this.vcpus.active[sv.slot] === 1) this.deactivate(sv);
    if (this.vcpus.parked[sv.slot] === 1) this.parkedCount--;
    this.vcpuAt[sv.slot] = null;
    this.vcpus.release(sv.slot);
  }

  // --- runnability ---

  wake(vcpu: Vcpu, now_ns: number, cause: WakeCause): void {
    const sv = vcpuOf(vcpu);
    if (this.vcpus.queued[sv.slot] === 1 || this.ctx.current(vcpu.processor) === vcpu) return;
    // Only a real wake boosts, and only an UNDER vCPU: an unparked one must not jump the queue.
    if (cause === 'wake' && this.vcpus.pri[sv.slot] === Priority.UNDER) {
      this.vcpus.pri[sv.slot] = Priority.BOOST;
      this.counts.boost_wakes++;
      this.ctx.traceSink?.vcpuEvent(now_ns, 'boost', vcpu);
    }
    this.enqueue(vcpu.processor, sv);
    this.tickle(vcpu.processor, sv);
  }

  sleep(vcpu: Vcpu): void {
    const sv = vcpuOf(vcpu);
    if (this.ctx.current(vcpu.processor) === vcpu) this.ctx.requestReschedule(vcpu.processor);
    else if (this.vcpus.queued[sv.slot] === 1) this.dequeue(sv);
  }

  /** A vCPU was queued on `pcpu`: preempt there if it outranks what runs, and poke an idle pCPU to steal. */
  private tickle(pcpu: number, sv: CreditVcpu): void {
    const current = this.ctx.current(pcpu);
    if (current === null) {
      this.ctx.requestReschedule(pcpu);
      return;
    }
    const pri = this.vcpus.pri;
    const preempt = pri[sv.slot]! > pri[vcpuOf(current).slot]!;
    if (preempt) this.ctx.requestReschedule(pcpu);
    const idle = this.idlePcpuFor(preempt ? current : sv.vcpu, pcpu);
    if (idle >= 0) this.ctx.requestReschedule(idle);
  }

  /** The first idle pCPU after `from` that `vcpu` may use, passing over those a tick migration claimed at `claimedAt_ns`. */
  private idlePcpuFor(vcpu: Vcpu, from: number, claimedAt_ns?: number): number {
    if (this.ctx.idlePcpus() === 0) return -1;
    const n = this.ctx.pcpuCount;
    for (let i = 1; i < n; i++) {
      const pcpu = (from + i) % n;
      if (this.inPool[pcpu] === 0 || this.ctx.current(pcpu) !== null || !allowedOn(vcpu, pcpu)) continue;
      if (this.migrationTargetAt_ns[pcpu] !== claimedAt_ns) return pcpu;
    }
    return -1;
  }

  // --- the tick: burn credit ---

  tick(pcpu: number, now_ns: number): void {
    const current = this.ctx.current(pcpu);
    if (current === null) return;
    const sv = vcpuOf(current);
    if (this.params.accounting === 'sampled') this.charge(sv, CREDITS_PER_TICK);
    else this.burn(sv, now_ns);
    // Found running at a tick: it is using real CPU, so its boost is over.
    if (this.vcpus.pri[sv.slot] === Priority.BOOST) this.vcpus.pri[sv.slot] = Priority.UNDER;
    if (this.runqs.length[pcpu]! > 0) {
      // Others wait here while a pCPU it may use idles: move it there (one vCPU per idle pCPU per tick).
      const idle = this.idlePcpuFor(current, pcpu, now_ns);
      if (idle >= 0) {
        this.migrationTargetAt_ns[idle] = now_ns;
        this.counts.migrations++;
        this.ctx.migrate(current, idle);
      }
    }
  }

  /**
   * A tick that would only burn (exact accounting, the vCPU earning, not boosted, and no idle
   * pCPU to migrate a waiter to) may be passed over: `catchUp` burns to the last tick before
   * the credit is next read. Burning to t1 then t2 leaves the same credit and remainder as
   * burning to t2 at once.
   */
  tickQuiet(pcpu: number): boolean {
    const current = this.ctx.current(pcpu);
    if (current === null) return true;
    if (this.params.accounting !== 'exact') return false;
    const v = vcpuOf(current).slot;
    return this.vcpus.active[v] === 1 && this.vcpus.pri[v] !== Priority.BOOST && (this.runqs.length[pcpu] === 0 || this.ctx.idlePcpus() === 0);
  }

  /** Burn what `pcpu`'s running vCPU owes up to its last tick, passed over or not. */
  private catchUp(pcpu: number): void {
    const current = this.ctx.current(pcpu);
    if (current === null || this.params.accounting !== 'exact') return;
    const sv = vcpuOf(current);
    const at_ns = this.ctx.lastTickNs(pcpu);
    // A tick from before the switch to exact accounting charged as sampled did.
    if (at_ns > sv.charged_ns && at_ns > this.exactSince_ns) this.burn(sv, at_ns);
  }

  private catchUpAll(): void {
    // Indexed: this runs every accounting period, and an iterator would be allocated.
    const pcpus = this.ctx.pcpus;
    for (let i = 0; i < pcpus.length; i++) this.catchUp(pcpus[i]!);
  }

  /** The tick of the pCPU running `sv` may have become loud or quiet. */
  private runningChanged(sv: CreditVcpu): void {
    const pcpu = sv.vcpu.processor;
    if (this.ctx.current(pcpu) === sv.vcpu) this.ctx.tickStateChanged(pcpu);
  }

  /** Exact accounting: 10 credits per ms actually run, carrying the remainder. */
  private burn(sv: CreditVcpu, now_ns: number): void {
    const ran_ns = now_ns - sv.charged_ns + sv.residual_ns;
    sv.charged_ns = now_ns;
    if (ran_ns <= 0) return;
    const credits = Math.floor(ran_ns / NS_PER_CREDIT);
    sv.residual_ns = ran_ns - credits * NS_PER_CREDIT;
    this.charge(sv, credits);
  }

  private charge(sv: CreditVcpu, credits: number): void {
    this.vcpus.credit[sv.slot]! -= credits;
    if (this.vcpus.active[sv.slot] === 0) this.activate(sv);
  }

  private activate(sv: CreditVcpu): void {
    this.vcpus.active[sv.slot] = 1;
    this.runningChanged(sv);
    const entity = sv.dom.entity;
    // An array grown by push from empty keeps room for 16 (136 bytes an entity); most entities have one active vCPU.
    if (entity.activeVcpus.length === 0) entity.activeVcpus = [sv];
    else entity.activeVcpus.push(sv);
    this.countActive(entity);
    const listed = this.entities.listed;
    if (listed[entity.slot] === 0) {
      listed[entity.slot] = 1;
      this.newlyActive[this.newlyActiveCount++] = entity.slot;
    }
  }

  private deactivate(sv: CreditVcpu): void {
    this.vcpus.active[sv.slot] = 0;
    this.runningChanged(sv);
    const entity = sv.dom.entity;
    const list = entity.activeVcpus;
    const index = list.indexOf(sv);
    if (index >= 0) {
      // Closed up by hand: splice would allocate the array of what it removed.
      for (let i = index; i < list.length - 1; i++) list[i] = list[i + 1]!;
      list.pop();
    }
    this.countActive(entity);
    if (list.length === 0) {
      this.entities.listed[entity.slot] = 0;
      this.listChanged = true;
    }
  }

  /** Mirror an entity's active list into the table: its length and first vCPU. */
  private countActive(entity: CreditDomain): void {
    const list = entity.activeVcpus;
    this.entities.activeCount[entity.slot] = list.length;
    this.entities.firstActive[entity.slot] = list.length === 0 ? -1 : list[0]!.slot;
  }

  // --- accounting: hand out credit ---

  account(now_ns: number): void {
    this.catchUpAll();
    if (this.groupsDirty) this.regroup();
    const weightTotal = this.orderActiveEntities();
    if (weightTotal === 0) {
      this.creditBalance = 0;
      return;
    }
    const C = this.creditsPerTslice;
    const debt = this.creditBalance < 0 ? -this.creditBalance : 0;
    const creditTotal = C * this.ctx.pcpus.length + debt;
    this.accounting = true;
    this.creditBalance = this.orderFree(C, creditTotal, weightTotal, debt)
      ? this.distributeInSlotOrder(C, creditTotal, weightTotal, now_ns)
      : this.distributeInListOrder(C, creditTotal, weightTotal, debt, now_ns);
    this.accounting = false;
    this.sortRunqueues();
  }

  /**
   * Whether the pass's order can decide nothing: no entity can reach its peak (so the credit
   * total never grows on the way and each weight's fair part is the same wherever it is met),
   * none is capped and no vCPU is parked (no park or unpark wakes anything in the pass's
   * order), nothing is traced (the ledger is in list order), and most slots are on the list.
   */
  private orderFree(C: number, creditTotal: number, weightTotal: number, debt: number): boolean {
    if (this.ctx.traceSink !== null || this.listCapped || this.parkedCount > 0) return false;
    if (this.activeEntities.length * 2 < this.entities.slots) return false;
    // fair < peak for every entity: the largest fair part under the smallest peak (one vCPU, its part of the debt).
    const fairMax = ceilDiv(creditTotal * this.listMaxWeight, weightTotal);
    return fairMax < C + (debt === 0 ? 0 : ceilDiv(debt * this.listMinWeight, weightTotal));
  }

  /** The pass when its order decides nothing (orderFree): by slot, reading the tables front to back. Returns the new balance. */
  private distributeInSlotOrder(C: number, creditTotal: number, weightTotal: number, now_ns: number): number {
    const { weight, listed, activeCount, firstActive } = this.entities;
    const { credit, pri } = this.vcpus;
    const slots = this.entities.slots;
    let lastWeight = -1;
    let fair = 0;
    let balance = 0;
    for (let entity = 0; entity < slots; entity++) {
      if (listed[entity] === 0) continue;
      const entityWeight = weight[entity]!;
      if (entityWeight !== lastWeight) {
        lastWeight = entityWeight;
        fair = ceilDiv(creditTotal * entityWeight, weightTotal);
      }
      if (activeCount[entity] !== 1) {
        balance += this.distribute(this.entityAt[entity]!, fair, 0, now_ns);
        continue;
      }
      // distributeToOne with no cap, nothing parked and no trace (orderFree), inline: most entities come here,
      // and the call cost a 64×1024 host about an eighth of its CPU time (docs/benchmarks.md).
      const v = firstActive[entity]!;
      let creditNew = credit[v]! + fair;
      const priNew = creditNew < 0 ? Priority.OVER : Priority.UNDER;
      if (pri[v] !== priNew) this.setPriority(v, priNew);
      if (creditNew < -C) creditNew = -C;
      else if (creditNew > C) {
        credit[v] = 0;
        this.deactivate(this.vcpuAt[v]!);
        continue;
      }
      credit[v] = creditNew;
      balance += creditNew;
    }
    return balance;
  }

  /** Xen's pass, in the active list's order: an entity that cannot use its share hands the surplus on to those after it. */
  private distributeInListOrder(C: number, creditTotal: number, weightTotal: number, debt: number, now_ns: number): number {
    const order = this.activeEntities;
    let weightLeft = weightTotal;
    let balance = 0;
    let someoneWantsMore = false;
    let movedToHead: number[] | null = null;
    // Read once: no slot is handed out during an accounting, so the tables do not grow.
    const { weight, cap, activeCount, firstActive } = this.entities;
    // Most entities weigh the same: their fair part and their part of a debt are worked out once per weight and credit total.
    let lastWeight = -1;
    let lastCreditTotal = -1;
    let weightFair = 0;
    let weightDebt = 0;
    for (let k = 0; k < order.length; k++) {
      const entity = order[k]!;
      const n = activeCount[entity]!;
      const entityWeight = weight[entity]!;
      const entityCap = cap[entity]!;
      weightLeft -= entityWeight;
      if (entityWeight !== lastWeight || creditTotal !== lastCreditTotal) {
        lastWeight = entityWeight;
        lastCreditTotal = creditTotal;
        weightFair = ceilDiv(creditTotal * entityWeight, weightTotal);
        weightDebt = debt === 0 ? 0 : ceilDiv(debt * entityWeight, weightTotal);
      }
      let peak = n * C + weightDebt;
      const capCredits = entityCap === 0 ? 0 : ceilDiv(entityCap * C, 100);
      if (capCredits !== 0 && capCredits < peak) peak = capCredits;
      let fair = weightFair;
      if (fair < peak) {
        someoneWantsMore = true;
      } else {
        // It cannot use all its share: hand the surplus on to the entities not yet visited.
        if (weightLeft !== 0) creditTotal += ceilDiv((fair - peak) * weightTotal, weightLeft);
        if (someoneWantsMore) (movedToHead ??= []).push(entity);
        fair = peak;
      }
      balance += n === 1 ? this.distributeToOne(firstActive[entity]!, fair, capCredits, C, now_ns) : this.distribute(this.entityAt[entity]!, fair, capCredits, now_ns);
    }
    if (movedToHead !== null) {
      const moved = new Set(movedToHead);
      this.activeEntities = [...movedToHead.reverse(), ...order.filter((e) => !moved.has(e))];
    }
    return balance;
  }

  /**
   * Hand an entity's credit to its active vCPUs, then re-prioritise each. Xen gives
   * each of n vCPUs ceil(fair / n); a scheduling domain whose vCPUs weigh differently
   * hands out that same total, split by domain share and then evenly over each
   * domain's active vCPUs (equal shares of 1-vCPU domains: exactly Xen's split).
   */
  private distribute(entity: CreditDomain, fair: number, capCredits: number, now_ns: number): number {
    const sink = this.ctx.traceSink;
    const C = this.creditsPerTslice;
    const { credit, pri, parked } = this.vcpus;
    const vcpus = entity.activeVcpus;
    const n = vcpus.length;
    let idle: CreditVcpu[] | null = null;
    const even = ceilDiv(fair, n);
    const weights = n === 1 ? null : shareSplit(vcpus);
    const split = weights === null ? null : splitByDomain(even * n, vcpus);
    let balance = 0;
    for (let i = 0; i < n; i++) {
      const sv = vcpus[i]!;
      const v = sv.slot;
      const creditNow = credit[v]!;
      const handed = split === null ? even : split[i]!;
      credit[v] = creditNow + handed;
      if (credit[v]! < 0) {
        this.setPriority(v, Priority.OVER);
        // A capped vCPU that has overrun its part of the cap is parked until its credit recovers.
        const parkBelow =
          weights === null ? -ceilDiv(capCredits, n) : -ceilDiv(capCredits * weights.weightNum[i]!, weights.shareTotal * weights.weightDen[i]!);
        if (capCredits !== 0 && credit[v]! < parkBelow && parked[v] === 0) this.park(v);
        if (credit[v]! < -C) credit[v] = -C;
      } else {
        this.setPriority(v, Priority.UNDER);
        if (parked[v] === 1) this.unpark(v);
        // Idle vCPUs cannot hoard: past one slice of credit it stops earning.
        if (credit[v]! > C) {
          (idle ??= []).push(sv);
          credit[v] = 0;
        }
      }
      balance += credit[v]!;
      // The one pushed onto `idle` just now leaves the active list after this loop.
      if (sink !== null) sink.ledger(now_ns, this.accountings, sv.vcpu, creditNow, handed, credit[v]!, PRIORITY_NAMES[asPriority(pri[v]!)], idle?.at(-1) !== sv);
    }
    if (idle !== null) for (const sv of idle) this.deactivate(sv);
    return balance;
  }

  /** `distribute` to an entity's only active vCPU (most entities' case), by its slot: ceil(fair / 1) is `fair`. */
  private distributeToOne(v: number, fair: number, capCredits: number, C: number, now_ns: number): number {
    const credit = this.vcpus.credit;
    const creditNow = credit[v]!;
    credit[v] = creditNow + fair;
    let wentIdle = false;
    if (credit[v]! < 0) {
      this.setPriority(v, Priority.OVER);
      if (capCredits !== 0 && credit[v]! < -capCredits && this.vcpus.parked[v] === 0) this.park(v);
      if (credit[v]! < -C) credit[v] = -C;
    } else {
      this.setPriority(v, Priority.UNDER);
      if (this.vcpus.parked[v] === 1) this.unpark(v);
      if (credit[v]! > C) {
        wentIdle = true;
        credit[v] = 0;
      }
    }
    const sink = this.ctx.traceSink;
    if (sink !== null) sink.ledger(now_ns, this.accountings, this.vcpuAt[v]!.vcpu, creditNow, fair, credit[v]!, PRIORITY_NAMES[asPriority(this.vcpus.pri[v]!)], !wentIdle);
    if (wentIdle) this.deactivate(this.vcpuAt[v]!);
    return credit[v]!;
  }

  /** Park (or unpark) a vCPU on the policy's own account, counted. */
  private park(v: number): void {
    this.counts.parks++;
    this.parkedCount++;
    this.vcpus.parked[v] = 1;
    this.ctx.park(this.vcpuAt[v]!.vcpu);
  }

  private unpark(v: number): void {
    this.counts.unparks++;
    this.parkedCount--;
    this.vcpus.parked[v] = 0;
    this.ctx.unpark(this.vcpuAt[v]!.vcpu);
  }

  /**
   * The active list as Xen keeps it: entities activated since the last accounting go to its
   * head, newest first. Returns its total weight (summed in the same pass over the list).
   */
  private orderActiveEntities(): number {
    const stamp = ++this.accountings;
    if (!this.listChanged && this.newlyActiveCount === 0) return this.listWeight;
    const { listed, listStamp, weight, cap } = this.entities;
    const ordered = this.spareEntities;
    // Written by index and cut once at the end: refilling an emptied array would allocate again.
    let count = 0;
    let weightTotal = 0;
    let capped = false;
    let minWeight = Infinity;
    let maxWeight = 0;
    const fresh = this.newlyActive;
    const freshCount = this.newlyActiveCount;
    const previous = this.activeEntities;
    const candidates = freshCount + previous.length;
    for (let j = 0; j < candidates; j++) {
      // The newly active, newest first, then the list as it was.
      const entity = j < freshCount ? fresh[freshCount - 1 - j]! : previous[j - freshCount]!;
      if (listed[entity] === 0 || listStamp[entity] === stamp) continue;
      listStamp[entity] = stamp;
      ordered[count++] = entity;
      const entityWeight = weight[entity]!;
      weightTotal += entityWeight;
      if (entityWeight < minWeight) minWeight = entityWeight;
      if (entityWeight > maxWeight) maxWeight = entityWeight;
      if (cap[entity] !== 0) capped = true;
    }
    ordered.length = count;
    this.newlyActiveCount = 0;
    this.spareEntities = previous;
    this.activeEntities = ordered;
    this.entities.reclaim();
    this.listChanged = false;
    this.listWeight = weightTotal;
    this.listCapped = capped;
    this.listMinWeight = minWeight;
    this.listMaxWeight = maxWeight;
    return weightTotal;
  }

  /** Membership changed: rebuild which entity every active vCPU earns for, keeping the list order. */
  private regroup(): void {
    this.groupsDirty = false;
    const listed = this.entities.listed;
    const previous = [...this.newlyActive.slice(0, this.newlyActiveCount).reverse(), ...this.activeEntities];
    for (const slot of previous) {
      const entity = this.entityAt[slot];
      if (entity !== undefined) {
        entity.activeVcpus.length = 0;
        this.countActive(entity);
      }
      listed[slot] = 0;
    }
    for (const domain of this.ctx.domains()) {
      const dom = domOf(domain);
      dom.entity = domain.master === null ? dom : domOf(domain.master);
      dom.activeVcpus.length = 0;
      this.countActive(dom);
      listed[dom.slot] = 0;
    }
    const known = new Set(previous);
    this.newlyActive = [];
    this.newlyActiveCount = 0;
    for (const domain of this.ctx.domains()) {
      for (const vcpu of domain.vcpus) {
        const sv = vcpuOf(vcpu);
        if (this.vcpus.active[sv.slot] === 0) continue;
        const entity = sv.dom.entity;
        entity.activeVcpus.push(sv);
        this.countActive(entity);
        if (listed[entity.slot] === 1) continue;
        listed[entity.slot] = 1;
        if (!known.has(entity.slot)) this.newlyActive[this.newlyActiveCount++] = entity.slot;
      }
    }
    this.activeEntities = previous;
    this.listChanged = true;
  }

  groupsChanged(): void {
    this.groupsDirty = true;
  }

  counters(): SchedCounters {
    return { accounting_periods: this.accountings, ...this.counts };
  }

  // --- picking the next vCPU ---

  pick(pcpu: number, prev: Vcpu | null, prevRunnable: boolean, now_ns: number): PickResult {
    const tslice_ns = this.accountingPeriodNs();
    if (prev !== null) {
      const sv = vcpuOf(prev);
      if (this.params.accounting === 'exact') this.burn(sv, now_ns);
      if (prevRunnable) {
        const ran_ns = now_ns - sv.start_ns;
        const ratelimit_ns = this.params.ratelimit_us * NS_PER_US;
        if (ran_ns < ratelimit_ns) return this.answer(prev, ratelimit_ns - ran_ns);
        this.enqueue(pcpu, sv);
      }
    }
    const runq = this.runqs;
    const pri = this.vcpus.pri;
    const headSlot = runq.first(pcpu);
    // The run queue is kept in priority order (BOOST, UNDER, OVER) outside accounting: the head, which decides, in its priority's segment.
    if (headSlot !== NONE && segmentOf(pri[headSlot]!) !== runq.segmentOfSlot(headSlot) && this.runqChangedCount[pcpu] === 0) bug(`pCPU ${pcpu}'s run queue is out of priority order`);
    const head = headSlot === NONE ? undefined : this.vcpuAt[headSlot]!;
    let next = head !== undefined && pri[headSlot]! >= Priority.UNDER ? head : undefined;
    if (next === undefined) next = this.steal(pcpu, head === undefined ? Priority.IDLE : asPriority(pri[headSlot]!)) ?? head;
    if (next === undefined) return this.answer(null, tslice_ns);
    if (next === head) this.dequeue(next);
    next.start_ns = now_ns;
    next.charged_ns = now_ns;
    return this.answer(next.vcpu, tslice_ns);
  }

  private answer(vcpu: Vcpu | null, slice_ns: number): PickResult {
    const picked = this.picked;
    picked.vcpu = vcpu;
    picked.slice_ns = slice_ns;
    return picked;
  }

  /** Take from a peer, in cyclic order, the first queued vCPU that outranks our best and may run here. */
  private steal(pcpu: number, localPri: Priority): CreditVcpu | undefined {
    const n = this.ctx.pcpuCount;
    const pri = this.vcpus.pri;
    const runq = this.runqs;
    for (let i = 1; i < n; i++) {
      const peer = (pcpu + i) % n;
      if (this.inPool[peer] === 0 || runq.length[peer] === 0) continue;
      for (let v = runq.first(peer); v !== NONE; v = runq.after(peer, v)) {
        if (pri[v]! <= localPri) break;
        const sv = this.vcpuAt[v]!;
        if (!allowedOn(sv.vcpu, pcpu)) continue;
        this.dequeue(sv);
        this.ctx.setProcessor(sv.vcpu, pcpu);
        this.counts.steals++;
        return sv;
      }
    }
    return undefined;
  }

  // --- run queues: by priority, FIFO among equals ---

  private enqueue(pcpu: number, sv: CreditVcpu): void {
    // Xen's BUG_ON(__vcpu_on_runq(svc)) and the run queue's home.
    if (this.vcpus.queued[sv.slot] !== 0) bug(`${svName(sv)} is queued twice`);
    if (pcpu !== sv.vcpu.processor) bug(`${svName(sv)} is queued on pCPU ${pcpu}, away from its processor ${sv.vcpu.processor}`);
    const runq = this.runqs;
    const pri = this.vcpus.pri;
    const v = sv.slot;
    if (this.accounting) {
      // Priorities changed under the queue: behind the last that ranks at least as high, as Xen walks it.
      let at = runq.last(pcpu);
      while (at !== NONE && pri[at]! < pri[v]!) at = runq.before(pcpu, at);
      runq.insertAfter(pcpu, at, v);
      this.runqReshaped[pcpu] = 1;
    } else runq.append(pcpu, v, segmentOf(pri[v]!));
    this.vcpus.queued[v] = 1;
    this.queueChanged(pcpu);
  }

  /** A tick looks at its queue only to migrate a waiter to an idle pCPU: with none idle, a queue's length does not matter to it. */
  private queueChanged(pcpu: number): void {
    if (this.ctx.idlePcpus() > 0) this.ctx.tickStateChanged(pcpu);
  }

  private dequeue(sv: CreditVcpu): void {
    if (this.vcpus.queued[sv.slot] !== 1) bug(`${svName(sv)} is dequeued but is not on pCPU ${sv.vcpu.processor}'s run queue`);
    this.runqs.remove(sv.vcpu.processor, sv.slot);
    this.vcpus.queued[sv.slot] = 0;
    if (this.accounting) this.runqReshaped[sv.vcpu.processor] = 1;
    this.queueChanged(sv.vcpu.processor);
  }

  /** Set slot `v`'s priority; a queued vCPU's queue is noted for the re-sort after accounting. */
  private setPriority(v: number, pri: Priority): void {
    const pris = this.vcpus.pri;
    if (pris[v] === pri) return;
    if (this.vcpus.queued[v] === 1) {
      const pcpu = this.runqs.pcpuOf(v);
      this.runqChanged[pcpu]![this.runqChangedCount[pcpu]!++] = v;
    }
    pris[v] = pri;
  }

  /**
   * After accounting changed priorities: BOOST, UNDER, then OVER again, each keeping its order
   * (a stable partition). A queue that only saw priorities change moves just the vCPUs that
   * changed; one that a vCPU joined or left during the accounting is read whole.
   */
  private sortRunqueues(): void {
    const pri = this.vcpus.pri;
    const counts = this.runqChangedCount;
    const reshaped = this.runqReshaped;
    // Each queue's marks are cleared as it is sorted: two fill() calls cost a small host more than this loop.
    for (let pcpu = 0; pcpu < counts.length; pcpu++) {
      // A vCPU queued during the accounting may sit in a neighbour's segment even where no priority changed.
      if (reshaped[pcpu] === 1) this.runqs.partition(pcpu, pri);
      else if (counts[pcpu]! > 0) this.runqs.moveChanged(pcpu, this.runqChanged[pcpu]!, counts[pcpu]!, pri);
      counts[pcpu] = 0;
      reshaped[pcpu] = 0;
    }
  }

  // --- parameters ---

  getDomainParams(domain: Domain): DomainSchedParams {
    const dom = domOf(domain);
    return { weight: this.entities.weight[dom.slot]!, cap: this.entities.cap[dom.slot]! };
  }

  checkDomainParams(params: DomainSchedParams, groupVcpus: number): DomctlError | null {
    const { weight, cap } = params;
    if (!Number.isInteger(weight) || weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
      return invalid('weight', `must be an integer in ${MIN_WEIGHT}..${MAX_WEIGHT}, got ${weight}`);
    }
    // A master's cap may cover every vCPU of its scheduling domain.
    const maxCap = maxCapFor(groupVcpus);
    if (!Number.isInteger(cap) || cap < 0 || cap > maxCap) {
      return invalid('cap', capOutOfRange(maxCap, cap));
    }
    return null;
  }

  checkGlobalParams(params: GlobalSchedParams): DomctlError | null {
    return globalParamsProblem(params);
  }

  adjustDomain(domain: Domain, params: DomainSchedParams): void {
    const dom = domOf(domain);
    this.entities.weight[dom.slot] = params.weight;
    this.entities.cap[dom.slot] = params.cap;
    this.listChanged = true;
  }

  getGlobalParams(): GlobalSchedParams {
    return this.params;
  }

  adjustGlobal(params: GlobalSchedParams): void {
    // What quiet ticks owe is burnt under the accounting they passed under.
    this.catchUpAll();
    if (params.accounting === 'exact' && this.params.accounting !== 'exact') this.exactSince_ns = this.ctx.now_ns();
    this.params = params;
  }

  vcpuInfo(vcpu: Vcpu): VcpuSchedInfo {
    if (this.ctx.current(vcpu.processor) === vcpu) this.catchUp(vcpu.processor);
    const sv = vcpuOf(vcpu);
    const v = sv.slot;
    return {
      credit: this.vcpus.credit[v]!,
      priority: PRIORITY_NAMES[asPriority(this.vcpus.pri[v]!)],
      runqueue: null,
      budget_ns: null,
      parked: vcpu.parked,
      active: this.vcpus.active[v] === 1,
    };
  }

  runQueue(pcpu: number): readonly Vcpu[] {
    const queued: Vcpu[] = [];
    for (let v = this.runqs.first(pcpu); v !== NONE; v = this.runqs.after(pcpu, v)) queued.push(this.vcpuAt[v]!.vcpu);
    return queued;
  }

  /** Like `xl debug-keys r`: run queues, active entities and the credit balance. */
  dump(): unknown {
    this.catchUpAll();
    const { credit, pri } = this.vcpus;
    const { weight, cap } = this.entities;
    const name = (sv: CreditVcpu): string => `d${sv.vcpu.domain.domid}v${sv.vcpu.id} ${PRIORITY_NAMES[asPriority(pri[sv.slot]!)]} ${credit[sv.slot]}`;
    return {
      params: this.params,
      credit_balance: this.creditBalance,
      active: this.activeEntities.map((slot) => {
        const e = this.entityAt[slot]!;
        return { domid: e.domain.domid, weight: weight[slot], cap: cap[slot], vcpus: e.activeVcpus.map(name) };
      }),
      runqueues: this.runqChanged.map((_, pcpu) => this.runQueue(pcpu).map((vcpu) => name(vcpuOf(vcpu)))),
    };
  }
}

/**
 * Split `total` credits in proportion to `shares`, in whole credits that add up
 * to `total` (largest remainder first, ties to the earlier vCPU).
 */
export function apportion(total: number, shares: readonly number[]): number[] {
  const shareTotal = shares.reduce((a, b) => a + b, 0);
  const parts = shares.map((share) => Math.floor((total * share) / shareTotal));
  let left = total - parts.reduce((a, b) => a + b, 0);
  const byRemainder = shares
    .map((share, i) => ({ i, remainder: (total * share) % shareTotal }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    parts[i]!++;
    left--;
  }
  return parts;
}

function globalParamsProblem(params: GlobalSchedParams): DomctlError | null {
  const { tslice_ms, ratelimit_us, accounting } = params;
  if (!Number.isInteger(tslice_ms) || tslice_ms < MIN_TSLICE_MS || tslice_ms > MAX_TSLICE_MS) {
    return invalid('tslice_ms', `must be an integer in ${MIN_TSLICE_MS}..${MAX_TSLICE_MS}, got ${tslice_ms}`);
  }
  const inRange = ratelimit_us === 0 || (ratelimit_us >= MIN_RATELIMIT_US && ratelimit_us <= MAX_RATELIMIT_US);
  if (!Number.isInteger(ratelimit_us) || !inRange) {
    return invalid('ratelimit_us', `must be 0 or an integer in ${MIN_RATELIMIT_US}..${MAX_RATELIMIT_US}, got ${ratelimit_us}`);
  }
  if (ratelimit_us > tslice_ms * 1000) {
    return invalid('ratelimit_us', `must not exceed the timeslice (${tslice_ms * 1000} us), got ${ratelimit_us}`);
  }
  if (!ACCOUNTING_MODES.includes(accounting)) {
    return domctlError(DomctlErrorCode.INVALID_ARGUMENT, `accounting: must be one of ${ACCOUNTING_MODES.join(', ')}`, 'accounting');
  }
  return null;
}
