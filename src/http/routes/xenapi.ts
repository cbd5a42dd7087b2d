/**
 * The Xen API's two transports, JSON-RPC at `POST /jsonrpc` and XML-RPC at
 * `POST /` (and `/xmlrpc`, `/RPC2`), as XAPI serves them, in front of one
 * dispatcher (src/xenapi). Like the REST routes, they only translate.
 */
import type { TSchema } from '@sinclair/typebox';
import { hostname } from 'node:os';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { createXenApi, type XenApi } from '../../xenapi/index.ts';
import type { Caller } from '../../xenapi/dispatcher.ts';
import { XenApiFailure } from '../../xenapi/failure.ts';
import { MAX_XML_BYTES, parseCall, writeResponse, XmlRpcRefused } from '../../xenapi/xml-rpc.ts';
import { tokenMatcher } from '../auth.ts';
import { viaLocalSocket } from '../local-requests.ts';
import { errorResponses } from '../../schemas/responses.ts';
import { XenApiJsonRpcAnswer, XenApiJsonRpcCall, XenApiXmlRpcAnswer, XenApiXmlRpcCall } from '../../schemas/xenapi.ts';

/** JSON-RPC documents above this are refused (413). */
export const MAX_JSON_BYTES = 1024 * 1024;
/** JSON-RPC's own error codes, for documents that are not a call; XenAPI failures carry code 1 (as XAPI's). */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const XENAPI_FAILURE = 1;

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;
/** Where a call comes from, for login: loopback needs no password while no token is configured, the local socket never does (as the REST API). */
const callerOf = (request: FastifyRequest): Caller => ({ loopback: LOOPBACK.test(request.ip), localSocket: viaLocalSocket(request.raw) });

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON-RPC 2.0 answer, its `value` (JSON, or JSON in UTF-8 chunks) under `member` ("result" or "error"). */
function answer(id: unknown, member: 'result' | 'error', value: string | readonly Buffer[]): Buffer {
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"${member}":`;
  return typeof value === 'string' ? Buffer.from(`${head}${value}}\n`) : Buffer.concat([Buffer.from(head), ...value, CLOSE]);
}
/** The end of an answer: a newline after it, as after every JSON answer of the daemon. */
const CLOSE = Buffer.from('}\n');
const error = (id: unknown, code: number, message: string, data: readonly string[]): Buffer =>
  answer(id, 'error', JSON.stringify({ code, message, data }));

async function jsonRpc(api: XenApi, request: FastifyRequest): Promise<Buffer> {
  let message: unknown;
  try {
    message = JSON.parse(typeof request.body === 'string' ? request.body : '');
  } catch (parseError) {
    return error(null, PARSE_ERROR, 'Parse error', [(parseError as Error).message]);
  }
  const id = isRecord(message) ? (message['id'] ?? null) : null;
  if (!isRecord(message) || typeof message['method'] !== 'string' || !(message['params'] === undefined || Array.isArray(message['params'])) ||
    !(id === null || typeof id === 'string' || typeof id === 'number')) {
    return error(null, INVALID_REQUEST, 'Invalid Request', ['a JSON-RPC 2.0 call: {"jsonrpc":"2.0","id":…,"method":"…","params":[…]}']);
  }
  const method = message['method'];
  try {
    const result = await api.dispatcher.call(method, (message['params'] as unknown[] | undefined) ?? [], callerOf(request));
    const json = api.dispatcher.spec(method)?.json as ((result: unknown) => string | readonly Buffer[]) | undefined;
    return answer(id, 'result', json === undefined ? JSON.stringify(result ?? '') : json(result));
  } catch (failed) {
    if (!(failed instanceof XenApiFailure)) throw failed;
    const [code, ...data] = failed.description;
    return error(id, XENAPI_FAILURE, code!, data);
  }
}

async function xmlRpc(api: XenApi, request: FastifyRequest): Promise<string> {
  let call: { method: string; params: unknown[] };
  try {
    call = await parseCall(typeof request.body === 'string' ? request.body : '');
  } catch (error) {
    if (!(error instanceof XmlRpcRefused)) throw error;
    // A Failure, as every XenAPI answer: XenAPI.py raises it as one (an HTTP error would be a ProtocolError).
    return writeResponse({ Status: 'Failure', ErrorDescription: ['XMLRPC_UNMARSHAL_FAILURE', error.message] });
  }
  try {
    const value = await api.dispatcher.call(call.method, call.params, callerOf(request));
    return writeResponse({ Status: 'Success', Value: value ?? '' });
  } catch (error) {
    if (!(error instanceof XenApiFailure)) throw error;
    return writeResponse({ Status: 'Failure', ErrorDescription: error.description });
  }
}

export interface XenApiRouteOptions {
  readonly token?: string | undefined;
  /** The daemon's listen address (HOST), the host record's `address`. */
  readonly address: string;
}

/** What a request to these routes can meet before the dispatcher: protection, parsing, limits, shutdown. */
const ERRORS = errorResponses(400, 403, 408, 413, 415, 429, 431, 500, 503);
/** The dispatcher checks calls itself and answers in its transport's terms: the body schemas document, they do not validate. */
const dispatcherChecks = (): (() => boolean) => () => true;

/** A transport's route options: documented in the OpenAPI document, validated by the dispatcher. */
function transport(operationId: string, summary: string, description: string, contentType: string, call: TSchema, answer: TSchema) {
  return {
    validatorCompiler: dispatcherChecks,
    schema: {
      operationId,
      tags: ['xenapi'],
      summary,
      description,
      security: [],
      body: { content: { [contentType]: { schema: call } } },
      response: { 200: { description: 'The answer.', content: { [contentType]: { schema: answer } } }, ...ERRORS },
    },
  };
}

/**
 * The routes, each transport in its own scope so each reads only its own
 * content type (as text, for the dispatcher to parse). Cross-site requests
 * stay refused: `text/xml` and `application/json` both need a CORS
 * preflight, which this daemon never grants, and the app's Host and Origin
 * checks apply here too.
 */
export const xenApiRoutes: FastifyPluginAsync<XenApiRouteOptions> = async (app, options) => {
  const isToken = options.token === undefined || options.token === '' ? undefined : tokenMatcher(options.token);
  const api = createXenApi(app.control, { isToken, address: options.address, hostname: hostname() });
  api.dispatcher.onUnexpected = (error, method) => app.log.error({ err: error, method }, `XenAPI ${method} failed`);
  app.addHook('preClose', async () => api.close());

  await app.register(async (json) => {
    json.removeContentTypeParser('application/json');
    json.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_JSON_BYTES }, (_request, body, done) => done(null, body));
    const docs = 'A XenAPI call as JSON-RPC 2.0, as XAPI serves it (Xen Orchestra\'s `xen-api` client uses it). The answer\'s content type is exactly `application/json`.';
    json.post('/jsonrpc', transport('xenApiJsonRpc', 'Xen API over JSON-RPC', docs, 'application/json', XenApiJsonRpcCall, XenApiJsonRpcAnswer), async (request, reply) =>
      // Exactly application/json: Xen Orchestra's client compares the header as a string (a charset makes it fall back to XML-RPC).
      reply.header('content-type', 'application/json').send(await jsonRpc(api, request)));
  });

  await app.register(async (xml) => {
    xml.removeContentTypeParser('application/json');
    xml.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string', bodyLimit: MAX_XML_BYTES }, (_request, body, done) => done(null, body));
    const docs = 'A XenAPI call as XML-RPC, as xend and XAPI serve it (Python\'s XenAPI.py posts here; Xen Orchestra\'s client posts the same to `/xmlrpc`). The answer\'s content type is exactly `text/xml`.';
    const options = transport('xenApiXmlRpc', 'Xen API over XML-RPC', docs, 'text/xml', XenApiXmlRpcCall, XenApiXmlRpcAnswer);
    for (const url of ['/', '/xmlrpc', '/RPC2']) {
      // The same endpoint, documented once: Xen Orchestra's client posts to /xmlrpc, and Python's xmlrpc.client to /RPC2 when its URL has no path (XAPI serves it there too).
      xml.post(url, { ...options, schema: { ...options.schema, hide: url !== '/' } }, async (request, reply) => reply.header('content-type', 'text/xml').send(Buffer.from(await xmlRpc(api, request))));
    }
  });
};
