/**
 * Scheduler traces of the live host: the control layer owns the recording
 * session (one at a time), keeps the last few finished traces, and formats
 * them on request. Simulated time decides when a window is over, so a trace
 * finishes as the clock moves (at speed 1, in as much wall time).
 */
import type { Static } from '@sinclair/typebox';
import { NS_PER_MS, type SchedTrace, type TraceRecorder } from '../hypervisor/index.ts';
import { formatTrace } from '../lab/trace-format.ts';
import type { TraceFormat } from '../vocabulary/trace-formats.ts';
import { MAX_TRACE_EVENTS, TRACES_KEPT, type TraceStatus } from '../schemas/trace.ts';
import type { ControlContext } from './context.ts';
import { apiError } from '../vocabulary/errors.ts';
import type { SimulatedHost } from './ports.ts';

export type TraceStatusView = Static<typeof TraceStatus>;

export interface TraceBody {
  readonly content_type: string;
  readonly body: string;
}

export interface TraceControl {
  /** Start recording `ms` of simulated time from now. */
  start(request: { readonly ms: number; readonly format?: TraceFormat | undefined }): TraceStatusView;
  /** A trace's status, and once done its content in `format` (default: the one asked for at start). */
  get(id: number, format?: TraceFormat): { readonly status: TraceStatusView; readonly trace: TraceBody | null };
  /** Keep a trace recorded elsewhere (on a what-if copy) with the finished ones: its id. */
  keep(trace: SchedTrace, names: ReadonlyMap<number, string>): number;
}

const CONTENT_TYPES: Readonly<Record<TraceFormat, string>> = { chrome: 'application/json', jsonl: 'application/x-ndjson' };

interface Session {
  readonly id: number;
  readonly format: TraceFormat;
  readonly estimated_events: number;
  /** Null for a trace recorded elsewhere (done from the start). */
  readonly recorder: TraceRecorder | null;
  /** Set once finished: the record, and the domains' names as they were then. */
  done: { readonly trace: SchedTrace; readonly names: ReadonlyMap<number, string> } | null;
}

/** A window's estimated events: refused (TRACE_TOO_LARGE) past MAX_TRACE_EVENTS, on the live host or a copy. */
export function checkTraceSize(host: Pick<SimulatedHost, 'estimateTraceEvents'>, ms: number): number {
  const estimated_events = host.estimateTraceEvents(ms * NS_PER_MS);
  if (estimated_events > MAX_TRACE_EVENTS) {
    throw apiError('TRACE_TOO_LARGE', `ms: ${ms} ms on this host would record about ${estimated_events} events, over the limit of ${MAX_TRACE_EVENTS}; ask for a shorter window`, { field: 'ms' });
  }
  return estimated_events;
}

export function createTraceControl(ctx: ControlContext): TraceControl {
  const { host, clock, state } = ctx;
  let nextId = 1;
  let recording: Session | null = null;
  /** Finished sessions, oldest first, at most TRACES_KEPT. */
  const kept: Session[] = [];

  /** Finish the recording when simulated time has passed its window (or its limit stopped it). */
  const settle = (): void => {
    clock.sync();
    if (recording?.recorder?.doneAt(host.now_ns) !== true) return;
    const names = new Map([...state.domains.values()].map((domain) => [domain.domid, domain.name]));
    recording.done = { trace: recording.recorder.finish(), names };
    keepFinished(recording);
    recording = null;
  };

  const keepFinished = (session: Session): void => {
    kept.push(session);
    if (kept.length > TRACES_KEPT) kept.shift();
  };

  const statusOf = (session: Session): TraceStatusView => {
    const trace = session.done?.trace ?? session.recorder!.trace();
    return {
      id: session.id,
      status: session.done === null ? 'recording' : 'done',
      format: session.format,
      start_ns: trace.start_ns,
      end_ns: trace.end_ns,
      now_ns: host.now_ns,
      events: trace.events.length,
      estimated_events: session.estimated_events,
      max_events: trace.max_events,
      truncated: trace.truncated,
    };
  };

  return {
    start({ ms, format = 'chrome' }) {
      settle();
      if (recording !== null) {
        throw apiError('TRACE_IN_PROGRESS', `trace ${recording.id} is still recording (until ${statusOf(recording).end_ns} ns of simulated time); one at a time`);
      }
      const duration_ns = ms * NS_PER_MS;
      const estimated_events = checkTraceSize(host, ms);
      const session: Session = { id: nextId++, format, estimated_events, recorder: host.startTrace(duration_ns, MAX_TRACE_EVENTS), done: null };
      recording = session;
      return statusOf(session);
    },

    keep(trace, names) {
      const session: Session = { id: nextId++, format: 'chrome', estimated_events: trace.events.length, recorder: null, done: { trace, names } };
      keepFinished(session);
      return session.id;
    },

    get(id, format) {
      settle();
      const session = recording?.id === id ? recording : kept.find((s) => s.id === id);
      if (session === undefined) {
        const why = id < nextId ? `it is no longer kept (the last ${TRACES_KEPT} finished traces are)` : 'no trace has this id';
        throw apiError('NO_SUCH_TRACE', `trace ${id}: ${why}`);
      }
      const status = statusOf(session);
      if (session.done === null) return { status, trace: null };
      const chosen = format ?? session.format;
      return { status, trace: { content_type: CONTENT_TYPES[chosen], body: formatTrace(session.done.trace, session.done.names, chosen) } };
    },
  };
}
