/**
 * Every error leaves the daemon in the catalogue's shape
 * `{ statusCode, code, error, message }` (plus `field`, `expected`, `actual`
 * where they apply). Schema failures become INVALID_ARGUMENT naming the field.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiError, isApiError, type ApiError } from '../control/errors.ts';
import type { ErrorResponse } from '../schemas/common.ts';

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

/** Fastify's own client errors (bad JSON, wrong content type, body too large) keep their status. */
function fromFastify(error: FastifyError): ApiError {
  const status = error.statusCode ?? 500;
  if (status >= 500) return apiError('INTERNAL', 'the daemon failed; nothing was changed');
  if (status === 400) return apiError('INVALID_ARGUMENT', error.message, { field: 'body' });
  const translated = apiError('INVALID_ARGUMENT', error.message);
  translated.statusCode = status;
  translated.code = error.code;
  return translated;
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
  return body;
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let translated: ApiError;
    if (error.validation !== undefined) translated = fromValidation(error);
    else if (isApiError(error)) translated = error;
    else translated = fromFastify(error);
    if (translated.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    if (translated.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="nemesisd"');
    if (translated.code === 'STORE_BUSY') void reply.header('retry-after', '1');
    return reply.status(translated.statusCode).send(toErrorBody(translated));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(toErrorBody(apiError('NOT_FOUND', `no route ${request.method} ${request.url}`))),
  );
}
