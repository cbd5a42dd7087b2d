/**
 * The Xen API front door: one dispatcher (dispatcher.ts) behind two
 * transports, JSON-RPC at `POST /jsonrpc` and XML-RPC at `POST /` and
 * `POST /xmlrpc`, as XAPI serves them. Like the REST routes, every call is a
 * translation into control-layer calls.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Control } from '../../control/index.ts';
import type { XenApiContext } from './context.ts';
import { Dispatcher } from './dispatcher.ts';
import { eventCalls } from './event-calls.ts';
import { changesOf, EventLog } from './event-log.ts';
import { XenApiFailure } from './failure.ts';
import { hostCalls } from './host-calls.ts';
import { XenObjects } from './objects.ts';
import { RecordReader } from './records.ts';
import { SessionTable } from './sessions.ts';
import { TaskTable } from './tasks.ts';
import { vmCalls } from './vm-calls.ts';
import { MAX_XML_BYTES, parseCall, writeResponse, XmlRpcRefused } from './xml-rpc.ts';

/** JSON-RPC documents above this are refused (413). */
export const MAX_JSON_BYTES = 1024 * 1024;
/** JSON-RPC's own error codes, for documents that are not a call; XenAPI failures carry code 1 (as XAPI's). */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const XENAPI_FAILURE = 1;

export interface XenApi extends XenApiContext {
  /** Stop following the control layer's events and end every long poll. */
  close(): void;
}

export function createXenApi(control: Control, token: string | undefined): XenApi {
  const objects = new XenObjects(control);
  const log = new EventLog();
  const tasks = new TaskTable(objects.hostRef, (operation, ref) => log.append([{ cls: 'task', operation, ref }]));
  const sessions = new SessionTable(token);
  const dispatcher = new Dispatcher(sessions);
  const unsubscribe = control.events.subscribe((event) => {
    objects.learn(event);
    log.append(changesOf(event, (domid) => objects.vmByDomid(domid), objects.hostRef));
    objects.forget(event);
  });
  const api: XenApi = {
    control,
    dispatcher,
    objects,
    sessions,
    tasks,
    log,
    reader: () => new RecordReader(objects, tasks),
    close() {
      unsubscribe();
      log.close();
    },
  };
  hostCalls(api);
  vmCalls(api);
  eventCalls(api);
  return api;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

async function jsonRpc(api: XenApi, request: FastifyRequest): Promise<Record<string, unknown>> {
  let message: unknown;
  try {
    message = JSON.parse(typeof request.body === 'string' ? request.body : '');
  } catch (error) {
    return { jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR, message: 'Parse error', data: [(error as Error).message] } };
  }
  const id = isRecord(message) ? (message['id'] ?? null) : null;
  if (!isRecord(message) || typeof message['method'] !== 'string' || !(message['params'] === undefined || Array.isArray(message['params'])) ||
    !(id === null || typeof id === 'string' || typeof id === 'number')) {
    return { jsonrpc: '2.0', id: null, error: { code: INVALID_REQUEST, message: 'Invalid Request', data: ['a JSON-RPC 2.0 call: {"jsonrpc":"2.0","id":…,"method":"…","params":[…]}'] } };
  }
  try {
    const result = await api.dispatcher.call(message['method'], (message['params'] as unknown[] | undefined) ?? [], { loopback: LOOPBACK.test(request.ip) });
    return { jsonrpc: '2.0', id, result: result ?? '' };
  } catch (error) {
    const [code, ...data] = (error as XenApiFailure).description;
    return { jsonrpc: '2.0', id, error: { code: XENAPI_FAILURE, message: code, data } };
  }
}

async function xmlRpc(api: XenApi, request: FastifyRequest, reply: FastifyReply): Promise<string> {
  let call: { method: string; params: unknown[] };
  try {
    call = await parseCall(typeof request.body === 'string' ? request.body : '');
  } catch (error) {
    if (!(error instanceof XmlRpcRefused)) throw error;
    void reply.status(400);
    return writeResponse({ Status: 'Failure', ErrorDescription: ['XMLRPC_UNMARSHAL_FAILURE', error.message] });
  }
  try {
    const value = await api.dispatcher.call(call.method, call.params, { loopback: LOOPBACK.test(request.ip) });
    return writeResponse({ Status: 'Success', Value: value ?? '' });
  } catch (error) {
    if (!(error instanceof XenApiFailure)) throw error;
    return writeResponse({ Status: 'Failure', ErrorDescription: error.description });
  }
}

export interface XenApiRouteOptions {
  readonly token?: string | undefined;
}

/**
 * The routes, in their own scope: only here are bodies read as text (JSON
 * and XML alike, for the dispatcher to parse). Cross-site requests stay
 * refused: `text/xml` and `application/json` both need a CORS preflight,
 * which this daemon never grants, and the app's Host and Origin checks apply.
 */
export const xenApiRoutes: FastifyPluginAsync<XenApiRouteOptions> = async (app, options) => {
  const api = createXenApi(app.control, options.token);
  api.dispatcher.onUnexpected = (error, method) => app.log.error({ err: error, method }, `XenAPI ${method} failed`);
  app.addHook('preClose', async () => api.close());
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_JSON_BYTES }, (_request, body, done) => done(null, body));
  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string', bodyLimit: MAX_XML_BYTES }, (_request, body, done) => done(null, body));

  app.post('/jsonrpc', { schema: { hide: true } }, async (request, reply) =>
    // Exactly application/json: Xen Orchestra's client compares the header as a string (a charset makes it fall back to XML-RPC).
    reply.header('content-type', 'application/json').send(Buffer.from(JSON.stringify(await jsonRpc(api, request)))));
  for (const url of ['/', '/xmlrpc']) {
    app.post(url, { schema: { hide: true } }, async (request, reply) => reply.header('content-type', 'text/xml').send(Buffer.from(await xmlRpc(api, request, reply))));
  }
};
