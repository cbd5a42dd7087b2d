/** /api/v1/host/trace: scheduler traces of the live host. Translation only, the control layer records. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ref } from '../../schemas/common.ts';
import { described, responses } from '../../schemas/responses.ts';
import { ChromeTraceDocument, MAX_TRACE_EVENTS, StartTraceRequest, TraceParams, TraceQuery, TraceStatus } from '../../schemas/trace.ts';
import { doc } from './route-docs.ts';

const location = (id: number): string => `/api/v1/host/trace/${id}`;

export const traceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { traces } = app.control;

  app.post('/host/trace', {
    schema: {
      ...doc(
        'startTrace',
        'host',
        'Record a scheduler trace',
        'Record every scheduling decision of the next `ms` of simulated time: context switches (pCPU, from, to, reason), each accounting period\'s credit ledger per vCPU, ' +
          `boosts, parks, unparks, wake-to-run latency. One at a time; a window estimated to exceed ${MAX_TRACE_EVENTS} events is refused. ` +
          'Simulated time must move for it to finish (at clock speed 1, `ms` of wall time; frozen, advance the clock).',
      ),
      body: ref(StartTraceRequest),
      response: responses({ 202: described(ref(TraceStatus), 'Recording; `Location` names the trace.') }, 409),
    },
  }, async (request, reply) => {
    const status = traces.start(request.body);
    void reply.status(202).header('location', location(status.id));
    return status;
  });

  app.get('/host/trace/:id', {
    schema: {
      ...doc(
        'getTrace',
        'host',
        'Get a scheduler trace',
        'While recording: 202 and its status. Done: the trace, as Chrome Trace Event Format JSON (opens in Perfetto UI and chrome://tracing) or JSON Lines ' +
          '(`?format=jsonl`, or `Accept: application/x-ndjson`); by default in the format asked for at start. The last few traces are kept.',
      ),
      params: TraceParams,
      querystring: TraceQuery,
      response: responses(
        {
          // One schema per media type (Fastify and the OpenAPI document both read `content`).
          200: Type.Unsafe<string>({
            description: 'The trace.',
            content: {
              'application/json': { schema: ref(ChromeTraceDocument) },
              'application/x-ndjson': { schema: Type.String({ description: 'A header record, then one JSON record per event.' }) },
            },
          }),
          202: described(ref(TraceStatus), 'Still recording: its status.'),
        },
        404,
      ),
    },
  }, async (request, reply) => {
    const wantsLines = request.query.format === undefined && (request.headers.accept ?? '').includes('application/x-ndjson');
    const { status, trace } = traces.get(Number(request.params.id), request.query.format ?? (wantsLines ? 'jsonl' : undefined));
    if (trace === null) {
      void reply.status(202).header('location', location(status.id));
      return status;
    }
    // Already serialised (a large trace is built once, as text): sent as it is.
    return reply.status(200).type(trace.content_type).serializer((payload: string) => payload).send(trace.body);
  });
};
