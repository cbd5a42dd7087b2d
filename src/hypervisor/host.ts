/**
 * The simulated host's public surface: `domctl` is its only mutating entry
 * (with `apply` for a plan of domctls checked in advance), `advanceTo` moves
 * time, and `inspect` gives read-only views for tests and tools. Every domctl
 * is checked first (checks.ts) and applied only when allowed, so a refused
 * operation changes nothing and an allowed one cannot fail half-way.
 * It keeps a replay log (how it was made, and every change with its simulated
 * time) and can copy itself exactly (`snapshot`, `Host.fromSnapshot`).
 */
import { checkDomctl } from './checks.ts';
import { applyDomctl, isMutating } from './domctl-handlers.ts';
import type { DomctlOp, DomctlResult } from './domctl.ts';
import { Engine, type HostOptions } from './engine.ts';
import { inspectEngine, type HostInspection } from './inspect.ts';
import { invariant } from './invariant.ts';
import { DEFAULT_SEED, DOMAIN0_ID, REPLAY_LOG_MAX_ENTRIES } from './limits.ts';
import { DomctlPlan } from './plan.ts';
import { fail, ok } from './result.ts';
import { decodeEngine, encodeEngine, REPLAY_LOG_FORMAT, SNAPSHOT_FORMAT, type HostOrigin, type HostSnapshot, type ReplayEntry, type ReplayLog } from './snapshot.ts';
import type { Vcpu } from './model.ts';
import { NS_PER_MS } from '../vocabulary/units.ts';
import { SCHED_NAMES } from './sched/scheduler.ts';
import { CREDIT2_MAX_TIMER_MS } from './sched/credit2.ts';
import { estimateTraceEvents, TraceRecorder, type TracedVcpu } from './sched-trace.ts';

export type { HostOptions };

/** A copy's state, for the constructor (Host.fromSnapshot). */
interface Restored {
  readonly engine: Engine;
  readonly version: number;
  readonly entries: readonly ReplayEntry[];
}

export class Host {
  readonly #engine: Engine;
  readonly #origin: HostOrigin;
  /** Bumped by every change a domctl makes, so a stale plan is caught. */
  #version = 0;
  /**
   * Every change since the host was made (Domain-0's creation is the host's own), with its
   * simulated time: private copies, frozen, so logs and snapshots share them without copying.
   */
  readonly #entries: ReplayEntry[] = [];
  #recording = false;
  /** The log reached REPLAY_LOG_MAX_ENTRIES and stopped: it no longer holds the whole run. */
  #logFull = false;

  constructor(options: HostOptions, restored?: Restored) {
    this.#engine = restored?.engine ?? new Engine(options);
    this.#origin = originOf(options, this.#engine);
    if (restored === undefined) {
      const domain0 = this.domctl({ op: 'createdomain', domid: DOMAIN0_ID, max_vcpus: options.pcpus, vcpus: options.pcpus, workload: { type: 'idle' } });
      invariant(domain0.ok, () => 'cannot create Domain-0');
    } else {
      this.#version = restored.version;
      this.#entries.push(...restored.entries);
    }
    this.#recording = true;
  }

  /**
   * A running copy of a snapshot: the same simulation from that instant on.
   * `options.scheduler` must be the policy the snapshot's host ran (the default, credit, when absent).
   */
  static fromSnapshot(snapshot: HostSnapshot, options: Pick<HostOptions, 'scheduler'> = {}): Host {
    if (snapshot.format !== SNAPSHOT_FORMAT) throw new TypeError(`not a host snapshot (format ${String(snapshot.format)}, expected ${SNAPSHOT_FORMAT})`);
    const { pcpus, seed } = snapshot.origin;
    const made: HostOptions = { ...optionsOf(snapshot.origin), ...options };
    // Fresh hosts of each policy teach the decoder their classes (a pool may run either).
    const others = SCHED_NAMES.map((sched) => new Host({ pcpus, seed, sched }).#engine);
    const engine = decodeEngine(snapshot.engine, [new Host(made).#engine, ...others]);
    invariant(engine.scheduler.name === snapshot.origin.scheduler, () => `a ${snapshot.origin.scheduler} snapshot restored under ${engine.scheduler.name}`);
    return new Host(made, { engine, version: snapshot.version, entries: snapshot.entries });
  }

  /** A new host made as `origin` says (a replay log's or a snapshot's): its pCPUs, topology, seed and boot scheduler. */
  static fromOrigin(origin: HostOrigin): Host {
    return new Host(optionsOf(origin));
  }

  /** The whole state as plain, structured-clonable data (Host.fromSnapshot makes it run again). */
  snapshot(): HostSnapshot {
    return { format: SNAPSHOT_FORMAT, origin: this.#origin, version: this.#version, entries: [...this.#entries], engine: encodeEngine(this.#engine) };
  }

  /** The run so far: how the host was made, every change with its simulated time, and where it is now. */
  replayLog(): ReplayLog {
    return { format: REPLAY_LOG_FORMAT, origin: this.#origin, entries: [...this.#entries], now_ns: this.now_ns, trace_hash: this.trace_hash };
  }

  get now_ns(): number {
    return this.#engine.now_ns;
  }

  get events_processed(): number {
    return this.#engine.events_processed;
  }

  get trace_hash(): string {
    return this.#engine.trace_hash;
  }

  /** Run the simulation forward, handling every event up to and including `t_ns`. */
  advanceTo(t_ns: number): void {
    this.#engine.advanceTo(t_ns);
  }

  /** Check `op`, then apply it: a refusal is a typed error and changes nothing. */
  domctl<O extends DomctlOp>(op: O): DomctlResult<O> {
    const problem = checkDomctl(this.#engine, op);
    if (problem !== null) return fail(problem);
    return ok(this.#apply(op)) as DomctlResult<O>;
  }

  /** An empty plan over the host as it is now: add domctls to check a whole request without changing anything. */
  plan(): DomctlPlan {
    return new DomctlPlan(this.#engine, this.#version);
  }

  /** Apply a checked plan. Nothing may have changed since it was made, so no operation in it can fail. */
  apply(plan: DomctlPlan): void {
    invariant(plan.version === this.#version, () => `a plan made at version ${plan.version} applied at ${this.#version}`);
    for (const op of plan.ops) {
      const problem = checkDomctl(this.#engine, op);
      invariant(problem === null, () => `a checked ${op.op} failed: ${problem?.message}`);
      this.#apply(op);
    }
  }

  /** Read-only views of the run queues, pCPUs and vCPUs (for invariant checks and tools). */
  inspect(): HostInspection {
    return inspectEngine(this.#engine);
  }

  /** Whether a scheduler trace is being recorded (one at a time per host). */
  get tracing(): boolean {
    return this.#engine.traceSink !== null;
  }

  /** How many events a trace of the next `duration_ns` would roughly hold (sched-trace.ts). */
  estimateTraceEvents(duration_ns: number): number {
    const engine = this.#engine;
    let online_vcpus = 0;
    for (const domain of engine.domains.values()) for (const vcpu of domain.vcpus) if (vcpu.online) online_vcpus++;
    // A policy without a tick (credit2) decides about once a ratelimit (1 ms) per pCPU at most, and hands out at most 10 ms.
    const facts = { pcpus: engine.pcpuCount, online_vcpus, tick_ns: engine.scheduler.tick_ns || NS_PER_MS, tslice_ms: tsliceMs(engine) };
    return estimateTraceEvents(facts, duration_ns);
  }

  /**
   * Record every scheduling decision from now for `duration_ns` of simulated time, at
   * most `max_events` of them (then it stops, marked truncated). The recorder detaches
   * itself once the window is over; `finish()` it once the host's time has passed it.
   */
  startTrace(duration_ns: number, max_events: number): TraceRecorder {
    const engine = this.#engine;
    invariant(engine.traceSink === null, () => 'a trace is already being recorded on this host');
    const credits = new Map<Vcpu, number>();
    for (const domain of engine.domains.values()) for (const vcpu of domain.vcpus) credits.set(vcpu, engine.schedulerOf(domain).vcpuInfo(vcpu).credit);
    const initial = engine.pcpus.map((pcpu): TracedVcpu | null => (pcpu.current === null ? null : { domid: pcpu.current.domain.domid, vcpu: pcpu.current.id }));
    const recorder: TraceRecorder = new TraceRecorder({
      start_ns: engine.now_ns,
      duration_ns,
      max_events,
      pcpus: engine.pcpuCount,
      tslice_ms: tsliceMs(engine),
      initial,
      credits,
      detach: () => {
        if (engine.traceSink === recorder) engine.setTraceSink(null);
      },
    });
    engine.setTraceSink(recorder);
    return recorder;
  }

  /** Whether the replay log holds every change since the host was made (it stops at REPLAY_LOG_MAX_ENTRIES). */
  get replay_log_complete(): boolean {
    return !this.#logFull;
  }

  /** Log `op` and answer the log's frozen copy of it, or `op` itself once the log is full. */
  #record(op: DomctlOp): DomctlOp {
    if (this.#logFull) return op;
    if (this.#entries.length === REPLAY_LOG_MAX_ENTRIES) {
      this.#logFull = true;
      this.#entries.length = 0;
      return op;
    }
    const logged = frozenCopy(op);
    this.#entries.push(Object.freeze({ at_ns: this.now_ns, op: logged }));
    return logged;
  }

  #apply(op: DomctlOp): unknown {
    const mutating = isMutating(op);
    // The engine keeps the logged copy (a domain's workload): one object for both, which the caller cannot change afterwards.
    const value = applyDomctl(this.#engine, mutating && this.#recording ? this.#record(op) : op);
    if (mutating) this.#version++;
    this.#engine.flushReschedules();
    return value;
  }
}

/** The longest a vCPU runs before its pCPU decides again: credit's timeslice, credit2's 10 ms maximum runtime. */
function tsliceMs(engine: Engine): number {
  const params = engine.global;
  return 'tslice_ms' in params ? params.tslice_ms : CREDIT2_MAX_TIMER_MS;
}

/**
 * A deep, frozen copy of a domctl (plain data): unlike structuredClone it shares the strings,
 * which are immutable, and the parts that are already deeply frozen (a daemon's stored
 * workloads and affinities), so a log of 100,000 creations does not hold 100,000 copies of each.
 */
function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null || deeplyFrozen(value)) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as T;
  // A spread copy has its fields in the object; one filled in key by key keeps those past the fourth in a second array.
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key in copy) copy[key] = frozenCopy(copy[key]);
  return Object.freeze(copy) as T;
}

function deeplyFrozen(value: object): boolean {
  if (!Object.isFrozen(value)) return false;
  for (const field of Object.values(value)) if (typeof field === 'object' && field !== null && !deeplyFrozen(field as object)) return false;
  return true;
}

function optionsOf({ pcpus, seed, scheduler, topology, credit2_runqueue }: HostOrigin): HostOptions {
  return {
    pcpus,
    seed,
    ...(topology === undefined ? {} : { topology }),
    ...(scheduler === 'credit2' ? { sched: 'credit2' } : {}),
    ...(credit2_runqueue === undefined ? {} : { credit2_runqueue }),
  };
}

/** How a host was made, with the default topology and policy options left out (so a credit host's origin is as it always was). */
function originOf(options: HostOptions, engine: Engine): HostOrigin {
  const { sockets, cores, threads } = engine.topology;
  const scheduler = engine.scheduler.name;
  return {
    pcpus: options.pcpus,
    seed: options.seed ?? DEFAULT_SEED,
    scheduler,
    ...(sockets === 1 && threads === 1 ? {} : { topology: { sockets, cores, threads } }),
    // A credit host's origin names the arrangement only when its credit2 pools get another than socket.
    ...(scheduler === 'credit2' || engine.credit2Runqueue !== 'socket' ? { credit2_runqueue: engine.credit2Runqueue } : {}),
  };
}
