/**
 * A host's full state as plain data (structured-clonable: it crosses to a
 * worker thread) and a running copy made from it. The copy is the same
 * simulation, not a similar one: advanced with the same domctls it makes the
 * same decisions at the same nanoseconds (the same trace_hash), because every
 * object of the engine is copied as it is (object-graph.ts): domains, vCPUs,
 * pCPUs, the policy's credits and run queues, pending events, tick state,
 * workload phases, the random generator, the trace hash and the usage history.
 */
import type { DomctlOp } from './domctl.ts';
import type { Engine } from './engine.ts';
import type { RunqueueArrangement } from './sched/credit2.ts';
import type { Topology } from './sched/scheduler.ts';
import { classesOf, decodeGraph, encodeGraph, type EncodedGraph } from './object-graph.ts';

export const SNAPSHOT_FORMAT = 'nemesis-host-snapshot/1';
export const REPLAY_LOG_FORMAT = 'nemesis-replay-log/1';

/** What a host was made with: enough to make it again (the policy by name). */
export interface HostOrigin {
  readonly pcpus: number;
  readonly seed: number;
  readonly scheduler: string;
  /** Absent: one socket of single-thread cores. */
  readonly topology?: Topology;
  /** The host's credit2 runqueue arrangement (HostOptions.credit2_runqueue): under a credit2 boot, or when not socket. */
  readonly credit2_runqueue?: RunqueueArrangement;
}

/** A mutating domctl and the simulated time it was applied at. */
export interface ReplayEntry {
  readonly at_ns: number;
  readonly op: DomctlOp;
}

/** A run so far: how the host was made and every change since, with where it ended. */
export interface ReplayLog {
  readonly format: typeof REPLAY_LOG_FORMAT;
  readonly origin: HostOrigin;
  readonly entries: readonly ReplayEntry[];
  readonly now_ns: number;
  readonly trace_hash: string;
}

export interface HostSnapshot {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly origin: HostOrigin;
  /** The host's change counter (plans made before the snapshot do not apply to the copy). */
  readonly version: number;
  readonly entries: readonly ReplayEntry[];
  readonly engine: EncodedGraph;
}

/** Each cpupool's scheduler context, by pool id. */
const CONTEXT = 'schedulerContext:';
/** A scheduler trace being recorded belongs to the live host: the copy starts with none. */
const TRACE = 'traceSink';

export function encodeEngine(engine: Engine): EncodedGraph {
  const rebuilt = new Map<object, string>();
  for (const pool of engine.pools.values()) rebuilt.set(pool.context, `${CONTEXT}${pool.id}`);
  if (engine.traceSink !== null) rebuilt.set(engine.traceSink, TRACE);
  return encodeGraph(engine, rebuilt);
}

/**
 * A running engine from its encoded graph. `fresh` are engines made the same
 * way, one per policy its pools may run: the classes to rebuild are learnt from them.
 */
export function decodeEngine(graph: EncodedGraph, fresh: readonly Engine[]): Engine {
  const classes = new Map(fresh.flatMap((engine) => [...classesOf(engine)]));
  return decodeGraph<Engine>(graph, classes, (name, root) => {
    if (name === TRACE) return null;
    if (!name.startsWith(CONTEXT)) throw new TypeError(`a snapshot asks to rebuild ${name}, which this build does not know`);
    return root.makeSchedulerContext(Number(name.slice(CONTEXT.length)));
  });
}
