/** Scheduler traces: the request that starts one, its status, and the trace itself. */
import { Type } from '@sinclair/typebox';
import { TRACE_FORMATS } from '../vocabulary/trace-formats.ts';
import { Nanoseconds } from './common.ts';

/** Longest window a trace may ask for (the event limit usually refuses long ones on a busy host first). */
export const MAX_TRACE_MS = 600_000;
/** The most events one trace holds: a window estimated to need more is refused, and a recording stops there. */
export const MAX_TRACE_EVENTS = 200_000;
/** Finished traces kept for GET, newest first; older ones are forgotten. */
export const TRACES_KEPT = 4;

const TraceFormat = Type.Union(
  TRACE_FORMATS.map((format) => Type.Literal(format)),
  { description: 'chrome: Chrome Trace Event Format JSON (opens in Perfetto UI and chrome://tracing); jsonl: JSON Lines, one record per event.' },
);

export const StartTraceRequest = Type.Object(
  {
    ms: Type.Integer({ minimum: 1, maximum: MAX_TRACE_MS, description: 'Simulated ms to record, from now.' }),
    format: Type.Optional(TraceFormat),
  },
  { $id: 'StartTraceRequest', additionalProperties: false },
);

/** Path parameters are strings (not coerced): digits. */
export const TraceParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$', description: 'The trace, as POST /host/trace named it.' }) });

export const TraceQuery = Type.Object({ format: Type.Optional(TraceFormat) }, { additionalProperties: false });

export const TraceStatus = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    status: Type.Union([Type.Literal('recording'), Type.Literal('done')], { description: 'recording until the simulated clock passes end_ns.' }),
    format: TraceFormat,
    start_ns: Nanoseconds('Simulated time the window starts.'),
    end_ns: Nanoseconds('Simulated time the window ends (simulated time moves at the clock\'s speed: frozen, it moves only with advances).'),
    now_ns: Nanoseconds('Simulated time now.'),
    events: Type.Integer({ minimum: 0, description: 'Events recorded so far.' }),
    estimated_events: Type.Integer({ minimum: 0, description: 'The estimate the window was accepted on.' }),
    max_events: Type.Integer({ minimum: 1, description: 'The limit: a recording that reaches it stops there (truncated).' }),
    truncated: Type.Boolean({ description: 'The limit stopped the recording before end_ns.' }),
  },
  { $id: 'TraceStatus', additionalProperties: false },
);

/** The trace in Chrome's format; its events are described by that format, not here. */
export const ChromeTraceDocument = Type.Object(
  {
    traceEvents: Type.Array(Type.Object({}, { additionalProperties: true }), {
      description: 'Trace Event Format events: X slices per pCPU (pid 1, tid = pCPU), C credit counters (pid 2), i instants per vCPU (pid 3), M names.',
    }),
    displayTimeUnit: Type.String(),
    otherData: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'ChromeTrace', description: 'Chrome Trace Event Format (JSON object form); ts and dur in µs of simulated time.' },
);

export const TRACE_SCHEMAS = [StartTraceRequest, TraceStatus, ChromeTraceDocument] as const;
