/**
 * The engine behind the Host: pCPUs, domains and vCPUs, and the scheduling
 * framework (Xen's schedule.c) as a discrete-event engine. Time only moves in
 * `advanceTo`; every state change happens at an event, and what is reported
 * between events is computed, never stored, so one hour simulated in one call
 * or in a thousand gives the same run. Its mutators do no checking: only the
 * domctl handlers call them, after the check phase (checks.ts). Nothing
 * outside this folder reaches it.
 */
import { EventQueue } from './event-queue.ts';
import { bug, invariant } from './invariant.ts';
import { newLatencyStats, recordLatency } from './latency-histogram.ts';
import { poolFacts, type DomainFacts, type HostFacts, type PoolFacts } from './facts.ts';
import { DEFAULT_SEED, DEFAULT_SHARE, MAX_PCPUS, POOL0_ID, POOL0_NAME } from './limits.ts';
import { allowedOn, Runstate, type Domain, type Pcpu, type Vcpu } from './model.ts';
import { createRandom, type Random } from './random.ts';
import type { RunqueueArrangement } from './sched/credit2.ts';
import { factoryFor } from './sched/policies.ts';
import type { DomainSchedParams, SchedName, SchedParams, Scheduler, SchedulerContext, SchedulerFactory, Topology, WakeCause } from './sched/scheduler.ts';
import type { SchedTraceSink, SwitchReason } from './sched-trace.ts';
import { TraceHash } from './trace-hash.ts';
import { USAGE_SAMPLE_NS, UsageHistory } from './usage-history.ts';
import { phaseNs, type Workload } from './workload.ts';

export interface HostOptions {
  readonly pcpus: number;
  /** sockets × cores × threads, whose product is `pcpus`; default one socket of `pcpus` single-thread cores. */
  readonly topology?: Topology;
  /** Seeds the generator behind every random choice (duty workloads' start phase). */
  readonly seed?: number;
  /** The boot scheduler, by name (Xen's `sched=`): credit (the default here) or credit2. */
  readonly sched?: SchedName;
  /** credit2's runqueue arrangement (Xen's `credit2_runqueue=`) for Pool-0 and for pools created without one, default socket. */
  readonly credit2_runqueue?: RunqueueArrangement;
  /** A policy of one's own (tests); it overrides `sched`. */
  readonly scheduler?: SchedulerFactory;
}

/** A cpupool: named pCPUs with a scheduler instance of their own (Xen's struct cpupool). */
export interface CpuPool {
  readonly id: number;
  readonly name: string;
  readonly sched: SchedName;
  /** credit2's runqueue arrangement for this pool (a change rebuilds its policy instance). */
  runqueue: RunqueueArrangement;
  /** Its pCPUs, ascending. */
  readonly pcpus: number[];
  scheduler: Scheduler;
  /** What its policy reaches the framework through: kept, so a snapshot can rebind it to its copy (snapshot.ts). */
  context: SchedulerContext;
  /** Bumped to cancel its policy's pending timer (SchedulerContext.setTimer). */
  timerGen: number;
  /** Which pool of this id it is (ids are reused after a destroy): its accounting events name it. */
  readonly serial: number;
}


/** Policies of one's own (tests) by engine: functions stay out of the engine, whose state must copy as data. */
const customFactories = new WeakMap<Engine, SchedulerFactory>();


/** Event kinds, in the order they are handled when they fall on the same ns (pCPU ticks, kept apart, come first). */
const EventRank = { account: 1, wake: 2, pcpuTimer: 3, usageSample: 4, policyTimer: 5 } as const;

/** The queue carries each event's generation beside it (its tag), so a pCPU's or vCPU's events can share one payload. */
type HostEvent =
  | { readonly kind: 'account'; readonly pool: number; readonly serial: number }
  | { readonly kind: 'policyTimer'; readonly pool: number; readonly serial: number }
  | { readonly kind: 'wake'; readonly vcpu: Vcpu }
  | { readonly kind: 'pcpuTimer'; readonly pcpu: Pcpu }
  | { readonly kind: 'usageSample' };

const USAGE_SAMPLE_EVENT: HostEvent = { kind: 'usageSample' };

export class Engine implements HostFacts {
  readonly pcpus: readonly Pcpu[];
  readonly topology: Topology;
  /** The runqueue arrangement of credit2 pools created without one (HostOptions.credit2_runqueue). */
  readonly credit2Runqueue: RunqueueArrangement;
  /** Live domains in creation order (Domain-0 first). */
  readonly domains = new Map<number, Domain>();
  /** Cpupools by id, Pool-0 first; and the pool of each pCPU, or null while it is free. */
  readonly pools = new Map<number, CpuPool>();
  readonly pcpuPool: (CpuPool | null)[];
  private readonly events = new EventQueue<HostEvent>();
  /** Each pCPU's timer event, made once: its generation travels as the tag. */
  private readonly pcpuTimerEvents: HostEvent[];
  /**
   * pCPUs that raised SCHEDULE_SOFTIRQ, the first `reschedCount`. This queue and the retick
   * queue are emptied by count, never by `length = 0`: that is a runtime call, and the next
   * push allocates the array's storage again.
   */
  private readonly reschedQueue: Pcpu[] = [];
  private reschedCount = 0;
  private readonly random: Random;
  private readonly trace = new TraceHash();
  /** Recent CPU usage, read by the getusage domctl. */
  readonly usage: UsageHistory;
  private clock_ns = 0;
  private eventsProcessed = 0;
  /** pCPUs whose `current` is null (context.idlePcpus). */
  private idleCount: number;
  /**
   * The pCPU ticks, outside the event queue (one per pCPU per 10 ms would be most
   * of its traffic on a large host): their times are fixed, so the next is known.
   * The cursor (period, pCPU) is the next tick not yet passed; `nextTick_ns` is its
   * time, or Infinity while every pCPU's tick is quiet (see `loud`).
   */
  private nextTickPcpu = 0;
  private nextTick_ns: number;
  private tickPeriods = 1;
  /** The first period of the tick stream (ticks before it never happened). */
  private firstTickPeriod = 1;
  /**
   * 1 for a pCPU whose tick does more than charge the running vCPU for its time
   * (Scheduler.tickQuiet): only those ticks are handled. Quiet ticks are passed over,
   * counted, and their charge is made when the policy next reads the credit.
   */
  private readonly loud: Uint8Array;
  private loudCount = 0;
  /** pCPUs whose loudness may have changed since it was last worked out (all of them: `retickAll`). */
  private readonly retickQueue: Int32Array;
  private retickCount = 0;
  private readonly retickPending: Uint8Array;
  private retickAll = true;
  /** The scheduler trace being recorded (sched-trace.ts), or null: every hook tests this first. */
  private sink: SchedTraceSink | null = null;
  /** The tick period of the policies that tick (credit's 10 ms), whether or not one runs yet. */
  private tickPeriod_ns = 0;
  private poolsMade = 0;
  private domainsMade = 0;
  /** While tracing: vCPUs moved here by a migration and not yet run, to name why they run. */
  private readonly migrated = new Set<Vcpu>();

  constructor(options: HostOptions) {
    if (!Number.isInteger(options.pcpus) || options.pcpus < 1 || options.pcpus > MAX_PCPUS) {
      throw new RangeError(`pcpus must be an integer in 1..${MAX_PCPUS}, got ${options.pcpus}`);
    }
    this.topology = options.topology ?? { sockets: 1, cores: options.pcpus, threads: 1 };
    const { sockets, cores, threads } = this.topology;
    if (![sockets, cores, threads].every((n) => Number.isInteger(n) && n >= 1) || sockets * cores * threads !== options.pcpus) {
      throw new RangeError(`topology ${sockets}x${cores}x${threads} does not make ${options.pcpus} pCPUs`);
    }
    this.random = createRandom(options.seed ?? DEFAULT_SEED);
    this.pcpus = Array.from({ length: options.pcpus }, (_, id) => newPcpu(id));
    this.idleCount = options.pcpus;
    this.loud = new Uint8Array(options.pcpus);
    this.retickPending = new Uint8Array(options.pcpus);
    this.retickQueue = new Int32Array(options.pcpus);
    this.pcpuTimerEvents = this.pcpus.map((pcpu) => ({ kind: 'pcpuTimer', pcpu }));
    if (options.scheduler !== undefined) customFactories.set(this, options.scheduler);
    this.credit2Runqueue = options.credit2_runqueue ?? 'socket';
    const pool0 = this.newPool(POOL0_ID, POOL0_NAME, options.sched ?? 'credit', this.credit2Runqueue);
    this.pcpuPool = this.pcpus.map(() => pool0);
    pool0.pcpus.push(...this.pcpus.map((p) => p.id));
    this.startScheduler(pool0);
    this.usage = new UsageHistory(options.pcpus);
    this.events.push(USAGE_SAMPLE_NS, EventRank.usageSample, USAGE_SAMPLE_EVENT);
    this.nextTick_ns = Infinity;
    this.startTicks(pool0.scheduler);
    this.startAccounting(pool0);
  }

  /** Pool-0's scheduler: the boot scheduler (Xen's `sched=`). */
  get scheduler(): Scheduler {
    return this.pools.get(POOL0_ID)!.scheduler;
  }

  /** The scheduler of the pool a domain lives in. */
  schedulerOf(domain: Domain): Scheduler {
    return this.pools.get(domain.pool)!.scheduler;
  }

  private newPool(id: number, name: string, sched: SchedName, runqueue: RunqueueArrangement): CpuPool {
    const pool: CpuPool = { id, name, sched, runqueue, pcpus: [], scheduler: null!, context: null!, timerGen: 0, serial: this.poolsMade++ };
    this.pools.set(id, pool);
    return pool;
  }

  /** A fresh policy instance over the pool's pCPUs as they are now. */
  private startScheduler(pool: CpuPool): void {
    pool.timerGen++;
    pool.context = this.makeSchedulerContext(pool.id);
    const custom = pool.id === POOL0_ID ? customFactories.get(this) : undefined;
    pool.scheduler = (custom ?? factoryFor(pool.sched, pool.runqueue))(pool.context);
    pool.context.traceSink = this.sink;
  }

  /** The first tick stream starts with the first policy that ticks: at t = 0 for a credit boot, as it always did. */
  private startTicks(scheduler: Scheduler): void {
    if (scheduler.tick === undefined || this.tickPeriod_ns !== 0) return;
    this.tickPeriod_ns = scheduler.tick_ns;
    this.tickPeriods = Math.floor(this.clock_ns / this.tickPeriod_ns) + 1;
    this.firstTickPeriod = this.tickPeriods;
    this.nextTickPcpu = 0;
    this.nextTick_ns = this.loudCount > 0 ? this.tickAt(this.tickPeriods, 0) : Infinity;
    this.retickAll = true;
  }

  private startAccounting(pool: CpuPool): void {
    const period_ns = pool.scheduler.accountingPeriodNs?.();
    if (period_ns !== undefined) this.events.push(this.clock_ns + period_ns, EventRank.account, { kind: 'account', pool: pool.id, serial: pool.serial });
  }

  // --- the facts the checks read (facts.ts) ---

  get pcpuCount(): number {
    return this.pcpus.length;
  }

  get policy(): Scheduler {
    return this.scheduler;
  }

  pool(id: number): PoolFacts | undefined {
    const pool = this.pools.get(id);
    if (pool === undefined) return undefined;
    const { name, sched, pcpus, scheduler } = pool;
    return poolFacts({ id, name, sched, pcpus, policy: scheduler, global: scheduler.getGlobalParams() }, () => {
      const inPool: number[] = [];
      for (const domain of this.domains.values()) if (domain.pool === id) inPool.push(domain.domid);
      return inPool;
    });
  }

  poolIds(): number[] {
    return [...this.pools.keys()];
  }

  pcpuPoolId(pcpu: number): number | null {
    return this.pcpuPool[pcpu]?.id ?? null;
  }

  get global(): SchedParams {
    return this.scheduler.getGlobalParams();
  }

  has(domid: number): boolean {
    return this.domains.has(domid);
  }

  domain(domid: number): DomainFacts | undefined {
    const domain = this.domains.get(domid);
    if (domain === undefined) return undefined;
    let online_vcpus = 0;
    for (const vcpu of domain.vcpus) if (vcpu.online) online_vcpus++;
    return {
      domid,
      paused: domain.paused,
      max_vcpus: domain.vcpus.length,
      online_vcpus,
      sched: this.schedulerOf(domain).getDomainParams(domain),
      pool: domain.pool,
      master: domain.master === null ? null : domain.master.domid,
      members: domain.group === null ? null : domain.group.members.map((m) => m.domid),
      share: domain.share,
    };
  }

  get now_ns(): number {
    return this.clock_ns;
  }

  get events_processed(): number {
    return this.eventsProcessed;
  }

  get trace_hash(): string {
    return this.trace.hex();
  }

  get traceSink(): SchedTraceSink | null {
    return this.sink;
  }

  /** Attach a trace recorder, or detach it with null; the scheduler sees the same one. */
  setTraceSink(sink: SchedTraceSink | null): void {
    this.sink = sink;
    for (const pool of this.pools.values()) pool.context.traceSink = sink;
    this.migrated.clear();
  }

  /** Run the simulation forward, handling every event up to and including `t_ns`. */
  advanceTo(t_ns: number): void {
    if (!Number.isFinite(t_ns) || t_ns < this.clock_ns) {
      throw new RangeError(`simulated time runs forward: now ${this.clock_ns} ns, asked for ${t_ns} ns`);
    }
    const events = this.events;
    for (;;) {
      if (this.retickAll || this.retickCount > 0) this.refreshLoud();
      const next_ns = events.nextAt();
      if (this.nextTick_ns <= t_ns && this.nextTick_ns <= next_ns) {
        this.clock_ns = this.nextTick_ns;
        this.tick();
      } else if (next_ns <= t_ns) {
        if (next_ns < this.clock_ns) bug(`an event at ${next_ns} ns is in the past (now ${this.clock_ns} ns)`);
        const gen = events.nextTag();
        const payload = events.pop();
        this.clock_ns = next_ns;
        this.handle(payload, gen);
      } else break;
      this.eventsProcessed++;
      if (this.nextTick_ns !== this.clock_ns && events.nextAt() !== this.clock_ns) this.flushReschedules();
    }
    this.clock_ns = Math.floor(t_ns);
    if (this.loudCount === 0) this.passTicks();
  }

  // --- domains and vCPUs (called by the domctl handlers, after the check phase) ---

  createDomain(domid: number, maxVcpus: number, workload: Workload, paused: boolean, pool = POOL0_ID): Domain {
    const domain: Domain = {
      domid,
      serial: this.domainsMade++,
      vcpus: [],
      paused,
      dying: false,
      pool,
      detached: false,
      workload,
      master: null,
      group: null,
      share: DEFAULT_SHARE,
      priv: null,
    };
    this.domains.set(domid, domain);
    this.schedulerOf(domain).insertDomain(domain);
    this.resizeVcpus(domain, maxVcpus);
    return domain;
  }

  /** Grow or shrink the vCPU array to `count`; removed vCPUs must be offline. */
  resizeVcpus(domain: Domain, count: number): void {
    while (domain.vcpus.length > count) this.removeVcpu(domain.vcpus.pop()!);
    if (domain.vcpus.length >= count) return;
    while (domain.vcpus.length < count) {
      const vcpu = this.newVcpu(domain, domain.vcpus.length);
      domain.vcpus.push(vcpu);
      this.schedulerOf(domain).insertVcpu(vcpu);
    }
    // An array grown by push keeps room for 16 more (136 bytes a 1-vCPU domain); a copy is its exact length.
    domain.vcpus = domain.vcpus.slice();
  }

  destroyDomain(domain: Domain): void {
    domain.dying = true;
    for (const vcpu of domain.vcpus) this.refresh(vcpu, 'wake');
    this.flushReschedules();
    for (const vcpu of domain.vcpus) this.removeVcpu(vcpu);
    this.schedulerOf(domain).removeDomain(domain);
    this.domains.delete(domain.domid);
  }

  /** Forget a vCPU that no longer runs: its pending wake, its run-queue place, its placement count. */
  private removeVcpu(vcpu: Vcpu): void {
    invariant(this.pcpus[vcpu.processor]!.current !== vcpu, () => `${vcpuName(vcpu)} is removed while it runs`);
    vcpu.wakeGen++;
    this.schedulerOf(vcpu.domain).removeVcpu(vcpu);
    this.pcpus[vcpu.processor]!.assigned--;
  }

  setPaused(domain: Domain, paused: boolean): void {
    domain.paused = paused;
    for (const vcpu of domain.vcpus) this.refresh(vcpu, 'wake');
  }

  /** Bring a vCPU online (its workload starts afresh) or take it offline. */
  setOnline(vcpu: Vcpu, online: boolean): void {
    if (online && !vcpu.online) this.startWorkload(vcpu);
    vcpu.online = online;
    this.refresh(vcpu, 'wake');
  }

  setWorkload(domain: Domain, workload: Workload): void {
    domain.workload = workload;
    for (const vcpu of domain.vcpus) {
      if (!vcpu.online) continue;
      this.startWorkload(vcpu);
      this.refresh(vcpu, 'wake');
      // A running vCPU's timer was armed for its old burst.
      if (this.pcpus[vcpu.processor]!.current === vcpu) this.requestReschedule(vcpu.processor);
    }
  }

  setAffinity(vcpu: Vcpu, mask: Uint8Array | null): void {
    vcpu.hardAffinity = mask;
    vcpu.affinity = this.effectiveAffinity(mask, this.pools.get(vcpu.domain.pool)!);
    if (allowedOn(vcpu, vcpu.processor)) return;
    const target = this.firstAllowed(vcpu, vcpu.processor);
    const scheduler = this.schedulerOf(vcpu.domain);
    if (this.pcpus[vcpu.processor]!.current === vcpu) {
      this.migrate(vcpu, target);
    } else if (vcpu.runnable) {
      scheduler.sleep(vcpu, this.clock_ns);
      this.setProcessor(vcpu, target);
      scheduler.wake(vcpu, this.clock_ns, 'migrate');
    } else {
      this.setProcessor(vcpu, target);
    }
  }

  /** Membership or shares changed: each pool's policy picks it up (credit at its next accounting). */
  groupsChanged(): void {
    for (const pool of this.pools.values()) pool.scheduler.groupsChanged?.();
  }

  /**
   * The hard affinity that applies in a pool: the one asked for within the pool's pCPUs, or
   * all of them when that leaves none (cpupool rules); null (every pCPU) only in a pool of all.
   */
  private effectiveAffinity(asked: Uint8Array | null, pool: CpuPool): Uint8Array | null {
    const n = this.pcpus.length;
    if (pool.pcpus.length === n) return asked;
    const mask = new Uint8Array(n);
    let any = false;
    for (const pcpu of pool.pcpus) {
      if (asked !== null && asked[pcpu] !== 1) continue;
      mask[pcpu] = 1;
      any = true;
    }
    if (!any) for (const pcpu of pool.pcpus) mask[pcpu] = 1;
    return mask;
  }

  // --- cpupools (called by the domctl handlers, after the check phase) ---

  createPool(id: number, name: string, sched: SchedName, runqueue: RunqueueArrangement): void {
    const pool = this.newPool(id, name, sched, runqueue);
    this.startScheduler(pool);
    this.startTicks(pool.scheduler);
    this.startAccounting(pool);
    this.retickAll = true;
  }

  /** Only an empty pool (no domains) is destroyed; its pCPUs become free. */
  destroyPool(id: number): void {
    const pool = this.pools.get(id)!;
    for (const pcpu of pool.pcpus) this.pcpuPool[pcpu] = null;
    this.pools.delete(id);
    this.retickAll = true;
  }

  /** Give a free pCPU to a pool, or take one from it (it becomes free): the pool's policy starts afresh over its new pCPUs. */
  setPoolPcpu(id: number, pcpu: number, member: boolean): void {
    const pool = this.pools.get(id)!;
    this.rebuildPool(pool, () => {
      if (member) {
        pool.pcpus.push(pcpu);
        pool.pcpus.sort((a, b) => a - b);
        this.pcpuPool[pcpu] = pool;
      } else {
        pool.pcpus.splice(pool.pcpus.indexOf(pcpu), 1);
        this.pcpuPool[pcpu] = null;
      }
    });
  }

  /** A pool's policy parameters (Xen's per-pool `xl sched-credit -p` / `sched-credit2 -p`). */
  setPoolParams(id: number, params: SchedParams): void {
    const pool = this.pools.get(id)!;
    const runqueue = 'runqueue' in params ? params.runqueue : undefined;
    // A new runqueue arrangement is a new credit2 instance, as Xen arranges runqueues only when a pool's policy starts.
    if (runqueue !== undefined && runqueue !== pool.runqueue) this.rebuildPool(pool, () => (pool.runqueue = runqueue));
    pool.scheduler.adjustGlobal(params);
    this.retickAll = true;
  }

  /** xl cpupool-migrate: the domain leaves its pool's policy and joins the other's, keeping its weight and cap. */
  moveDomain(domain: Domain, id: number): void {
    const from = this.schedulerOf(domain);
    const params = from.getDomainParams(domain);
    this.detach(domain, from);
    domain.pool = id;
    this.attach(domain, this.pools.get(id)!, params);
    this.groupsChanged();
  }

  /** Detach every domain of the pool, change its pCPUs, start a new policy instance, attach them again. */
  private rebuildPool(pool: CpuPool, change: () => void): void {
    const old = pool.scheduler;
    const domains = [...this.domains.values()].filter((d) => d.pool === pool.id);
    const params = domains.map((d) => old.getDomainParams(d));
    const global = old.getGlobalParams();
    for (const domain of domains) this.detach(domain, old);
    change();
    this.startScheduler(pool);
    pool.scheduler.adjustGlobal(global);
    domains.forEach((domain, i) => this.attach(domain, pool, params[i]!));
    this.groupsChanged();
    this.retickAll = true;
  }

  /** Take a domain off its policy: nothing of it runs or waits, and the policy forgets it. */
  private detach(domain: Domain, scheduler: Scheduler): void {
    domain.detached = true;
    for (const vcpu of domain.vcpus) this.refresh(vcpu, 'wake');
    this.flushReschedules();
    for (const vcpu of domain.vcpus) {
      scheduler.removeVcpu(vcpu);
      vcpu.priv = null;
      vcpu.parked = false;
    }
    scheduler.removeDomain(domain);
    domain.priv = null;
  }

  /** Give a detached domain to a pool's policy: its vCPUs placed within the pool, then runnable again. */
  private attach(domain: Domain, pool: CpuPool, params: DomainSchedParams): void {
    const scheduler = pool.scheduler;
    scheduler.insertDomain(domain);
    for (const vcpu of domain.vcpus) {
      vcpu.affinity = this.effectiveAffinity(vcpu.hardAffinity, pool);
      if (this.pcpuPool[vcpu.processor] !== pool || !allowedOn(vcpu, vcpu.processor)) this.setProcessor(vcpu, this.firstAllowed(vcpu, this.leastLoaded(vcpu.processor, pool)));
      scheduler.insertVcpu(vcpu);
    }
    scheduler.adjustDomain(domain, params);
    domain.detached = false;
    for (const vcpu of domain.vcpus) this.refresh(vcpu, 'migrate');
  }

  // --- reporting (computed from settled totals plus the open interval) ---

  runstateNs(vcpu: Vcpu, state: Runstate): number {
    const settled = vcpu.runstateTotal_ns[state]!;
    return vcpu.runstate === state ? settled + (this.clock_ns - vcpu.runstateSince_ns) : settled;
  }

  domainCpuTimeNs(domain: Domain): number {
    let total = 0;
    for (const vcpu of domain.vcpus) total += this.runstateNs(vcpu, Runstate.running);
    return total;
  }

  pcpuBusyNs(pcpu: Pcpu): number {
    return pcpu.current === null ? pcpu.busy_ns : pcpu.busy_ns + (this.clock_ns - pcpu.since_ns);
  }

  pcpuIdleNs(pcpu: Pcpu): number {
    return pcpu.current === null ? pcpu.idle_ns + (this.clock_ns - pcpu.since_ns) : pcpu.idle_ns;
  }

  // --- the event engine ---

  /**
   * pCPU `id`'s tick in period `period`. Each pCPU's tick timer has its own phase, spread evenly
   * over the period (Xen arms it as each CPU comes up); pCPU 0 is the master, and accounting, on
   * its tick's ns and handled after it, comes before the other pCPUs' ticks of that period.
   */
  private tickAt(period: number, id: number): number {
    const tick_ns = this.tickPeriod_ns;
    return period * tick_ns + Math.floor((id * tick_ns) / this.pcpus.length);
  }

  private tick(): void {
    const pcpu = this.nextTickPcpu;
    if (this.loud[pcpu] === 1) {
      this.pcpuPool[pcpu]!.scheduler.tick!(pcpu, this.clock_ns);
      this.retick(pcpu);
    }
    this.nextTickPcpu++;
    if (this.nextTickPcpu === this.pcpus.length) {
      this.nextTickPcpu = 0;
      this.tickPeriods++;
    }
    this.nextTick_ns = this.tickAt(this.tickPeriods, this.nextTickPcpu);
  }

  /** Whether `pcpu`'s tick must be handled: its pool's policy ticks and does not call it quiet. */
  private tickIsLoud(pcpu: number): boolean {
    const scheduler = this.pcpuPool[pcpu]?.scheduler;
    if (scheduler?.tick === undefined) return false;
    return scheduler.tickQuiet === undefined || !scheduler.tickQuiet(pcpu);
  }

  /** Something `pcpu`'s tick reads changed: its loudness is worked out again before time moves on. */
  private retick(pcpu: number): void {
    if (this.retickPending[pcpu] === 1) return;
    this.retickPending[pcpu] = 1;
    this.retickQueue[this.retickCount++] = pcpu;
  }

  private refreshLoud(): void {
    const wasQuiet = this.loudCount === 0;
    if (this.retickAll) {
      this.retickAll = false;
      for (let pcpu = 0; pcpu < this.pcpus.length; pcpu++) this.setLoud(pcpu);
    }
    for (let i = 0; i < this.retickCount; i++) this.setLoud(this.retickQueue[i]!);
    this.retickCount = 0;
    if (this.tickPeriod_ns === 0) return;
    // Coming out of quiet: the cursor skips the ticks passed meanwhile (all quiet), to the first after now.
    if (wasQuiet && this.loudCount > 0) this.passTicks();
    this.nextTick_ns = this.loudCount > 0 ? this.tickAt(this.tickPeriods, this.nextTickPcpu) : Infinity;
  }

  private setLoud(pcpu: number): void {
    this.retickPending[pcpu] = 0;
    const loud = this.tickIsLoud(pcpu) ? 1 : 0;
    this.loudCount += loud - this.loud[pcpu]!;
    this.loud[pcpu] = loud;
  }

  /** Move the tick cursor past every tick at or before now, counting each as an event handled (as a quiet tick is). */
  private passTicks(): void {
    if (this.tickPeriod_ns === 0) return;
    const n = this.pcpus.length;
    const tick_ns = this.tickPeriod_ns;
    let period = Math.floor(this.clock_ns / tick_ns);
    // The first pCPU whose phase in this period is after now: floor(id × tick / n) > now − period × tick.
    let pcpu = Math.ceil(((this.clock_ns - period * tick_ns + 1) * n) / tick_ns);
    while (pcpu > 0 && this.tickAt(period, pcpu - 1) > this.clock_ns) pcpu--;
    while (pcpu < n && this.tickAt(period, pcpu) <= this.clock_ns) pcpu++;
    if (pcpu === n) {
      period++;
      pcpu = 0;
    }
    const at = period * n + pcpu;
    const from = this.tickPeriods * n + this.nextTickPcpu;
    if (at <= from) return;
    this.eventsProcessed += at - from;
    this.tickPeriods = period;
    this.nextTickPcpu = pcpu;
  }

  /** The last tick of `pcpu` at or before now, or -1 when it has had none. */
  private lastTickNs(pcpu: number): number {
    if (this.tickPeriod_ns === 0) return -1;
    const phase_ns = this.tickAt(0, pcpu);
    const period = Math.floor((this.clock_ns - phase_ns) / this.tickPeriod_ns);
    return period < this.firstTickPeriod ? -1 : this.tickAt(period, pcpu);
  }

  /** `gen`: the generation the event was queued with (timers and wakes). */
  private handle(event: HostEvent, gen: number): void {
    switch (event.kind) {
      case 'account': {
        // A pool's accounting ends with the pool.
        const pool = this.pools.get(event.pool);
        if (pool === undefined || pool.serial !== event.serial) return;
        const scheduler = pool.scheduler;
        scheduler.account!(this.clock_ns);
        this.events.push(this.clock_ns + scheduler.accountingPeriodNs!(), EventRank.account, event);
        return;
      }
      case 'policyTimer': {
        const pool = this.pools.get(event.pool);
        if (pool !== undefined && pool.serial === event.serial && gen === pool.timerGen) pool.scheduler.timer!(this.clock_ns);
        return;
      }
      case 'wake':
        if (gen === event.vcpu.wakeGen) this.endSleep(event.vcpu);
        return;
      case 'pcpuTimer':
        if (gen === event.pcpu.timerGen) this.pcpuTimer(event.pcpu);
        return;
      case 'usageSample':
        this.usage.sample(this.clock_ns, this);
        this.events.push(this.clock_ns + USAGE_SAMPLE_NS, EventRank.usageSample, USAGE_SAMPLE_EVENT);
        return;
    }
  }

  /** The running vCPU's burst is done (it blocks) or its slice is over. */
  private pcpuTimer(pcpu: Pcpu): void {
    const vcpu = pcpu.current;
    if (vcpu !== null) {
      this.settleBurst(vcpu);
      if (vcpu.burstLeft_ns <= 0) this.beginSleep(vcpu);
    }
    if (this.clock_ns >= pcpu.sliceEnd_ns) this.requestReschedule(pcpu.id);
  }

  private requestReschedule(pcpu: number): void {
    const target = this.pcpus[pcpu]!;
    if (target.reschedPending) return;
    target.reschedPending = true;
    this.reschedQueue[this.reschedCount++] = target;
  }

  /** Run SCHEDULE_SOFTIRQ on every pCPU that raised it, in the order raised. */
  flushReschedules(): void {
    // A schedule may raise it again on any pCPU: those are run in this same pass.
    for (let i = 0; i < this.reschedCount; i++) {
      const pcpu = this.reschedQueue[i]!;
      pcpu.reschedPending = false;
      this.schedule(pcpu);
    }
    this.reschedCount = 0;
  }

  private schedule(pcpu: Pcpu): void {
    const now = this.clock_ns;
    const prev = pcpu.current;
    if (prev !== null) this.settleBurst(prev);
    const migrating = prev !== null && prev.migrateTo >= 0;
    const prevRunnable = prev !== null && prev.runnable && !migrating;
    const sink = this.sink;
    // A free pCPU (in no pool) idles; a pool's last vCPUs left it before it was freed.
    const scheduler = this.pcpuPool[pcpu.id]?.scheduler;
    if (scheduler === undefined) {
      if (prev !== null) bug(`free pCPU ${pcpu.id} runs ${vcpuName(prev)}`);
      return;
    }
    const steals = sink === null ? 0 : this.stealCount(scheduler);
    const { vcpu: next, slice_ns } = scheduler.pick(pcpu.id, prev, prevRunnable, now);
    if (next !== prev) {
      if (sink !== null) this.traceSwitch(sink, pcpu, prev, next, migrating, this.stealCount(scheduler) !== steals);
      this.switchTo(pcpu, next);
    }
    if (prev !== null && migrating) this.finishMigration(prev);
    this.armTimer(pcpu, next, slice_ns);
  }

  private stealCount(scheduler: Scheduler): number {
    return scheduler.counters?.().steals ?? 0;
  }

  /** Tell the trace what `pcpu` switches to, and why (sched-trace.ts names the reasons). */
  private traceSwitch(sink: SchedTraceSink, pcpu: Pcpu, prev: Vcpu | null, next: Vcpu | null, migrating: boolean, stolen: boolean): void {
    let reason: SwitchReason;
    if (migrating) reason = 'migration';
    else if (prev !== null && !prev.runnable) reason = prev.parked ? 'park' : prev.blocked ? 'block' : 'domctl';
    else if (prev !== null) reason = this.clock_ns >= pcpu.sliceEnd_ns ? 'timeslice' : 'wake-preempt';
    else if (stolen) reason = 'steal';
    else reason = next !== null && this.migrated.has(next) ? 'migration' : 'wake';
    if (next !== null) this.migrated.delete(next);
    const latency_ns = next !== null && next.wokeAt_ns >= 0 ? this.clock_ns - next.wokeAt_ns : -1;
    sink.contextSwitch(this.clock_ns, pcpu.id, prev, next, reason, latency_ns);
  }

  private switchTo(pcpu: Pcpu, next: Vcpu | null): void {
    if (next !== null && !(next.runnable && allowedOn(next, pcpu.id))) bug(`${vcpuName(next)} is switched to on pCPU ${pcpu.id} but may not run there`);
    const now = this.clock_ns;
    const prev = pcpu.current;
    const ranFrom_ns = pcpu.since_ns;
    if (prev === null) pcpu.idle_ns += now - pcpu.since_ns;
    else pcpu.busy_ns += now - pcpu.since_ns;
    pcpu.since_ns = now;
    pcpu.current = next;
    this.retick(pcpu.id);
    // Whether any pCPU idles decides whether a tick may look for one to migrate to.
    if (prev === null && --this.idleCount === 0) this.retickAll = true;
    if (next === null && ++this.idleCount === 1) this.retickAll = true;
    this.usage.switched(prev === null ? null : prev.domain, ranFrom_ns, now);
    // Their states are known: prev runs nowhere now (it ran here), next runs here.
    if (prev !== null) this.enterRunstate(prev, this.offCpuRunstate(prev));
    if (next !== null) {
      if (next.processor !== pcpu.id) this.setProcessor(next, pcpu.id);
      next.runStart_ns = now;
      if (next.wokeAt_ns >= 0) {
        recordLatency(next.wakeLatency, now - next.wokeAt_ns);
        next.wokeAt_ns = -1;
      }
      this.enterRunstate(next, Runstate.running);
    }
    this.trace.switch(now, pcpu.id, next === null ? -1 : next.domain.domid, next === null ? -1 : next.id);
  }

  private armTimer(pcpu: Pcpu, running: Vcpu | null, slice_ns: number): void {
    pcpu.timerGen++;
    if (running === null) return;
    pcpu.sliceEnd_ns = this.clock_ns + slice_ns;
    // Not Math.min: on this path it allocated a heap number for its result at every switch.
    const burstEnd_ns = this.clock_ns + running.burstLeft_ns;
    const at_ns = burstEnd_ns < pcpu.sliceEnd_ns ? burstEnd_ns : pcpu.sliceEnd_ns;
    this.events.push(at_ns, EventRank.pcpuTimer, this.pcpuTimerEvents[pcpu.id]!, pcpu.timerGen);
  }

  private finishMigration(vcpu: Vcpu): void {
    const target = vcpu.migrateTo;
    vcpu.migrateTo = -1;
    this.setProcessor(vcpu, target);
    if (this.sink !== null) this.migrated.add(vcpu);
    if (vcpu.runnable) this.schedulerOf(vcpu.domain).wake(vcpu, this.clock_ns, 'migrate');
  }

  private migrate(vcpu: Vcpu, pcpu: number): void {
    vcpu.migrateTo = pcpu;
    this.requestReschedule(vcpu.processor);
  }

  private setProcessor(vcpu: Vcpu, pcpu: number): void {
    if (!allowedOn(vcpu, pcpu)) bug(`${vcpuName(vcpu)} is moved to pCPU ${pcpu}, outside its affinity`);
    this.pcpus[vcpu.processor]!.assigned--;
    this.pcpus[pcpu]!.assigned++;
    vcpu.processor = pcpu;
  }

  // --- runnability and runstates ---

  /** Recompute whether the vCPU may run and tell the policy when that changed. */
  private refresh(vcpu: Vcpu, cause: WakeCause): void {
    const domain = vcpu.domain;
    const runnable = vcpu.online && !domain.paused && !domain.dying && !domain.detached && !vcpu.parked && !vcpu.blocked;
    if (runnable !== vcpu.runnable) {
      vcpu.runnable = runnable;
      if (runnable) {
        if (cause === 'wake') {
          vcpu.wakeups++;
          vcpu.wokeAt_ns = this.clock_ns;
        }
        this.schedulerOf(domain).wake(vcpu, this.clock_ns, cause);
      } else {
        // A wake that never reached a pCPU (paused, parked, unplugged first) has no latency.
        vcpu.wokeAt_ns = -1;
        this.schedulerOf(domain).sleep(vcpu, this.clock_ns);
      }
    }
    this.updateRunstate(vcpu);
  }

  private updateRunstate(vcpu: Vcpu): void {
    this.enterRunstate(vcpu, this.pcpus[vcpu.processor]!.current === vcpu ? Runstate.running : this.offCpuRunstate(vcpu));
  }

  private enterRunstate(vcpu: Vcpu, state: Runstate): void {
    if (state === vcpu.runstate) return;
    vcpu.runstateTotal_ns[vcpu.runstate]! += this.clock_ns - vcpu.runstateSince_ns;
    vcpu.runstate = state;
    vcpu.runstateSince_ns = this.clock_ns;
  }

  /** The state of a vCPU that is not running. */
  private offCpuRunstate(vcpu: Vcpu): Runstate {
    if (vcpu.runnable) return Runstate.runnable;
    const domain = vcpu.domain;
    const held = !vcpu.online || domain.paused || domain.dying || domain.detached || vcpu.parked;
    return vcpu.blocked && !held ? Runstate.blocked : Runstate.offline;
  }

  // --- workloads ---

  /** Put a vCPU at the start of its workload; duty cycles start at a random phase. */
  private startWorkload(vcpu: Vcpu): void {
    vcpu.wakeGen++;
    vcpu.runStart_ns = this.clock_ns;
    const workload = vcpu.domain.workload;
    if (workload.type !== 'duty') {
      vcpu.blocked = workload.type === 'idle';
      vcpu.burstLeft_ns = Infinity;
      return;
    }
    const run_ns = phaseNs(workload.run_ms);
    const period_ns = run_ns + phaseNs(workload.sleep_ms);
    const phase_ns = Math.floor(this.random.next() * period_ns);
    if (phase_ns < run_ns) {
      vcpu.blocked = false;
      vcpu.burstLeft_ns = run_ns - phase_ns;
    } else {
      vcpu.blocked = true;
      vcpu.burstLeft_ns = run_ns;
      this.events.push(this.clock_ns + period_ns - phase_ns, EventRank.wake, { kind: 'wake', vcpu }, vcpu.wakeGen);
    }
  }

  /** Charge the running vCPU's burst for the CPU time it has had since it last started. */
  private settleBurst(vcpu: Vcpu): void {
    vcpu.burstLeft_ns -= this.clock_ns - vcpu.runStart_ns;
    vcpu.runStart_ns = this.clock_ns;
  }

  private beginSleep(vcpu: Vcpu): void {
    const workload = vcpu.domain.workload;
    if (workload.type !== 'duty') return;
    vcpu.blocked = true;
    vcpu.burstLeft_ns = phaseNs(workload.run_ms);
    vcpu.wakeGen++;
    this.events.push(this.clock_ns + phaseNs(workload.sleep_ms), EventRank.wake, { kind: 'wake', vcpu }, vcpu.wakeGen);
    this.refresh(vcpu, 'wake');
  }

  private endSleep(vcpu: Vcpu): void {
    vcpu.blocked = false;
    this.refresh(vcpu, 'wake');
  }

  // --- placement ---

  private newVcpu(domain: Domain, id: number): Vcpu {
    const previous = domain.vcpus[id - 1];
    const pool = this.pools.get(domain.pool)!;
    const processor = this.leastLoaded(previous === undefined ? 0 : previous.processor + 1, pool);
    this.pcpus[processor]!.assigned++;
    const vcpu: Vcpu = {
      domain,
      id,
      online: false,
      processor,
      affinity: this.effectiveAffinity(null, pool),
      hardAffinity: null,
      blocked: false,
      parked: false,
      runnable: false,
      migrateTo: -1,
      runstate: Runstate.offline,
      runstateSince_ns: this.clock_ns,
      // A plain array: a typed array costs two more objects and a buffer of its own per vCPU.
      runstateTotal_ns: [0, 0, 0, 0],
      burstLeft_ns: Infinity,
      runStart_ns: this.clock_ns,
      wakeGen: 0,
      wakeups: 0,
      wokeAt_ns: -1,
      wakeLatency: newLatencyStats(),
      priv: null,
    };
    return vcpu;
  }

  /** The pool's pCPU with the fewest vCPUs, ties going to the first from `from` on. */
  private leastLoaded(from: number, pool: CpuPool): number {
    const n = this.pcpus.length;
    let best = -1;
    for (let i = 0; i < n; i++) {
      const id = (from + i) % n;
      if (this.pcpuPool[id] !== pool) continue;
      if (best === -1 || this.pcpus[id]!.assigned < this.pcpus[best]!.assigned) best = id;
    }
    invariant(best !== -1, () => `cpupool ${pool.name} has no pCPU to place a vCPU on`);
    return best;
  }

  private firstAllowed(vcpu: Vcpu, from: number): number {
    const n = this.pcpus.length;
    for (let i = 0; i < n; i++) {
      const id = (from + i) % n;
      if (allowedOn(vcpu, id)) return id;
    }
    throw new Error(`vCPU ${vcpu.domain.domid}.${vcpu.id} has an empty affinity`);
  }

  /** The domains a pool's policy holds. */
  private *poolDomains(id: number): Generator<Domain> {
    for (const domain of this.domains.values()) if (domain.pool === id && !domain.detached) yield domain;
  }

  /** Closures over this engine for pool `id`'s policy (a snapshot's copy makes its own: snapshot.ts). */
  makeSchedulerContext(id: number): SchedulerContext {
    const pool = this.pools.get(id)!;
    return {
      // A plain property the engine sets (setTraceSink): an accessor here would slow every other call on this object.
      traceSink: this.sink ?? null,
      pcpuCount: this.pcpus.length,
      pcpus: [...pool.pcpus],
      topology: this.topology,
      now_ns: () => this.clock_ns,
      setTimer: (at_ns) => {
        pool.timerGen++;
        if (Number.isFinite(at_ns)) this.events.push(Math.max(at_ns, this.clock_ns), EventRank.policyTimer, { kind: 'policyTimer', pool: id, serial: pool.serial }, pool.timerGen);
      },
      domains: () => this.poolDomains(id),
      current: (pcpu) => this.pcpus[pcpu]!.current,
      idlePcpus: () => this.idleCount,
      tickStateChanged: (pcpu) => this.retick(pcpu),
      lastTickNs: (pcpu) => this.lastTickNs(pcpu),
      requestReschedule: (pcpu) => this.requestReschedule(pcpu),
      setProcessor: (vcpu, pcpu) => this.setProcessor(vcpu, pcpu),
      migrate: (vcpu, pcpu) => this.migrate(vcpu, pcpu),
      park: (vcpu) => {
        this.sink?.vcpuEvent(this.clock_ns, 'park', vcpu);
        vcpu.parked = true;
        this.refresh(vcpu, 'unpark');
      },
      unpark: (vcpu) => {
        this.sink?.vcpuEvent(this.clock_ns, 'unpark', vcpu);
        vcpu.parked = false;
        this.refresh(vcpu, 'unpark');
      },
    };
  }
}

const vcpuName = (vcpu: Vcpu): string => `d${vcpu.domain.domid}v${vcpu.id}`;

function newPcpu(id: number): Pcpu {
  return { id, current: null, busy_ns: 0, idle_ns: 0, since_ns: 0, assigned: 0, timerGen: 0, sliceEnd_ns: 0, reschedPending: false };
}
