/**
 * Every error leaves the daemon in the catalogue's shape
 * `{ statusCode, code, error, message }` (plus `field`, `expected`, `actual`
 * where they apply). Schema failures become INVALID_ARGUMENT naming the field.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiError, isApiError, type ApiError, type ErrorCode } from '../vocabulary/errors.ts';
import type { ErrorResponse } from '../schemas/common.ts';
import { noteErrorCode } from './logging.ts';

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

/** `/workload/run_ms` → `workload.run_ms`; required and unknown properties name themselves. */
function fieldOf(error: AjvError): string {
  const path = error.instancePath.split('/').filter(Boolean);
  const extra = error.params['missingProperty'] ?? error.params['additionalProperty'] ?? error.params['tag'];
  if (typeof extra === 'string') path.push(extra);
  return path.join('.');
}

function describe(error: AjvError, context: string, field: string): string {
  const where = field === '' ? context : `${context}/${field.replaceAll('.', '/')}`;
  switch (error.keyword) {
    case 'required':
      return `${where} is required`;
    case 'additionalProperties':
      return `${where} is not a known property`;
    case 'discriminator':
      return `${where} is not one of the accepted values`;
    case 'minProperties':
      return `${where} must name at least one property to change`;
    default:
      return `${where} ${error.message ?? 'is invalid'}`;
  }
}

function fromValidation(error: FastifyError): ApiError {
  const first = error.validation?.[0] as AjvError | undefined;
  const context = error.validationContext ?? 'body';
  if (first === undefined) return apiError('INVALID_ARGUMENT', error.message);
  const field = fieldOf(first);
  return apiError('INVALID_ARGUMENT', describe(first, context, field), { field: field === '' ? context : field });
}

/** Fastify's and its plugins' errors by status, in the catalogue's terms. */
const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/** Fastify's own client errors (bad JSON, wrong content type, body too large) keep their status and get a catalogue code. */
function fromFastify(error: FastifyError, request: FastifyRequest): ApiError {
  const status = error.statusCode ?? 500;
  if (status >= 500) return apiError('INTERNAL', 'the daemon failed; nothing was changed');
  if (status === 415) return apiError('UNSUPPORTED_MEDIA_TYPE', `a body must be application/json, got ${request.headers['content-type'] ?? 'no content type'}`);
  const code = BY_STATUS[status];
  if (code !== undefined) return apiError(code, error.message);
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return apiError('MALFORMED_REQUEST', error.message);
  return apiError('INVALID_ARGUMENT', error.message, { field: 'body' });
}

export function toErrorBody(error: ApiError): ErrorResponse {
  const body: ErrorResponse = {
    statusCode: error.statusCode,
    code: error.code,
    error: STATUS_CODES[error.statusCode] ?? 'Error',
    message: error.message,
  };
  if (error.field !== undefined) body.field = error.field;
  if (error.expected !== undefined) body.expected = [...error.expected];
  if (error.actual !== undefined) body.actual = error.actual;
  if (error.change_index !== undefined) body.change_index = error.change_index;
  return body;
}

function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let translated: ApiError;
  if (error.validation !== undefined) translated = fromValidation(error);
  else if (isApiError(error)) translated = error;
  else translated = fromFastify(error, request);
  if (translated.statusCode >= 500 && translated.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
  noteErrorCode(request, translated.code);
  if (translated.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="nemesisd"');
  if (translated.code === 'STORE_BUSY' || translated.code === 'WHAT_IF_BUSY') void reply.header('retry-after', '1');
  return reply.status(translated.statusCode).send(toErrorBody(translated));
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(toErrorBody(apiError('NOT_FOUND', `no route ${request.method} ${request.url}`))),
  );
}

/** Errors Fastify meets before routing (a bad URL, a path parameter too long): the same shape. */
export const frameworkErrors = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => void sendError(error, request, reply);

/** Errors of Node's HTTP parser, before Fastify sees a request: answered in the same shape, then the connection is closed. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let translated: ApiError;
  if (error.code === 'HPE_HEADER_OVERFLOW') translated = apiError('HEADERS_TOO_LARGE', 'the request line and headers exceed 16 KiB');
  else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') translated = apiError('REQUEST_TIMEOUT', 'the request was not received in time');
  else translated = apiError('MALFORMED_REQUEST', `malformed HTTP request (${error.code ?? 'parse error'})`);
  // Ends with a newline, as every JSON answer does (json-newline.ts).
  const body = `${JSON.stringify(toErrorBody(translated))}\n`;
  if (!socket.writable) return void socket.destroy();
  socket.end(
      `HTTP/1.1 ${translated.statusCode} ${STATUS_CODES[translated.statusCode] ?? 'Error'}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
