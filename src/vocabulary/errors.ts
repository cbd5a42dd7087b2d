/**
 * The one error catalogue of the control plane: every failure a client can see
 * has a stable code and an HTTP status here. The descriptions are for readers
 * of this file (the OpenAPI document describes errors per status, in
 * src/schemas/responses.ts). Messages are composed where the error is raised.
 */

export const ERROR_CATALOGUE = {
  INVALID_ARGUMENT: { status: 400, description: 'Bad input: schema, range or a rule between fields; `field` names it.' },
  TRACE_TOO_LARGE: { status: 400, description: 'A trace window estimated to hold more events than the limit the message names; `field` is `ms`.' },
  BAD_AFFINITY: { status: 400, description: 'An affinity that names no pCPU, or one the host does not have.' },
  MALFORMED_REQUEST: { status: 400, description: 'The HTTP request itself could not be parsed (request line, headers, encoding).' },
  UNAUTHORIZED: { status: 401, description: 'Missing or wrong bearer token.' },
  HOST_NOT_ALLOWED: {
    status: 403,
    description: 'The Host header names neither an IP address, a loopback name, HOST nor an entry of NEMESIS_ALLOWED_HOSTS (DNS rebinding).',
  },
  ORIGIN_NOT_ALLOWED: { status: 403, description: 'A change requested by a web page of another origin (the Origin header differs from the Host).' },
  NOT_FOUND: { status: 404, description: 'No such route.' },
  NO_SUCH_DOMAIN: { status: 404, description: 'No domain has this domid or name.' },
  NO_SUCH_VCPU: { status: 404, description: 'The domain has no vCPU with this id.' },
  NO_SUCH_SCHEDULING_DOMAIN: { status: 404, description: 'The domain is not the master of a scheduling domain.' },
  NOT_A_MEMBER: { status: 404, description: 'The domain is not a member of this scheduling domain.' },
  NO_SUCH_CPUPOOL: { status: 404, description: 'No cpupool has this id or name.' },
  NO_SUCH_TRACE: { status: 404, description: 'No scheduler trace has this id, or it is no longer kept.' },
  BAD_POWER_STATE: { status: 409, description: 'The domain is not in a power state that allows this; see `expected` and `actual`.' },
  NAME_TAKEN: { status: 409, description: 'Another domain has this name.' },
  DOMAIN0_PROTECTED: { status: 409, description: 'Domain-0 cannot be destroyed, deleted, renamed, paused or made a member.' },
  ALREADY_IN_GROUP: { status: 409, description: 'The domain is already a member of a scheduling domain.' },
  GROUP_EXISTS: { status: 409, description: 'The domain is already the master of a scheduling domain.' },
  SELF_MEMBERSHIP: { status: 409, description: 'A domain cannot be a member of its own scheduling domain.' },
  NESTED_GROUP: { status: 409, description: 'Scheduling domains do not nest: a master cannot be a member, nor a member a master.' },
  CPUPOOL_NAME_TAKEN: { status: 409, description: 'Another cpupool has this name.' },
  POOL0_PROTECTED: { status: 409, description: 'Pool-0 cannot be destroyed and keeps at least one pCPU.' },
  CPUPOOL_HAS_DOMAINS: { status: 409, description: 'A cpupool where domains live (running or halted) cannot be destroyed; move or delete them first.' },
  CPUPOOL_LAST_PCPU: { status: 409, description: "A cpupool's last pCPU cannot be removed while domains live in it." },
  CPUPOOL_EMPTY: { status: 409, description: 'A cpupool without pCPUs cannot take a domain.' },
  PCPU_NOT_FREE: { status: 409, description: 'The pCPU belongs to a cpupool (the message names it): a pCPU is in one cpupool at most.' },
  PCPU_NOT_IN_CPUPOOL: { status: 409, description: 'The pCPU is not in this cpupool.' },
  GROUPED_DOMAIN: { status: 409, description: 'A domain in a scheduling domain (master or member) does not change cpupool: the group stays in one; the message names it.' },
  MEMBER_CPUPOOL: { status: 409, description: 'A member joins only a master living in its own cpupool.' },
  NOT_SUPPORTED: { status: 409, description: 'The simulated host does not support this.' },
  TRACE_IN_PROGRESS: { status: 409, description: 'A scheduler trace is already recording; one at a time.' },
  PRECONDITION_FAILED: {
    status: 412,
    description: 'If-Match names a version the resource is no longer at (another client changed it); the message names the current version. Nothing was changed: read it again and retry.',
  },
  EVENTS_LOST: {
    status: 410,
    description: 'Some events after the cursor are no longer kept (the daemon keeps the last 1024, and none from before a restart): a walk would skip them. Start again without a cursor, and re-read the state you follow.',
  },
  REQUEST_TIMEOUT: { status: 408, description: 'The request (headers or body) was not received in time.' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body is larger than the daemon accepts.' },
  WHAT_IF_TOO_LARGE: { status: 413, description: 'A what-if asks for more simulation (vCPUs × simulated ms) than the daemon runs for one request; the message names the limit.' },
  URI_TOO_LONG: { status: 414, description: 'A path parameter is longer than the daemon accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'A request body that is not `application/json`.' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    description: 'The Idempotency-Key was used before for another request (another path or body); a new request needs a new key.',
  },
  RATE_LIMITED: { status: 429, description: 'Too many changes from this client address; retry after `Retry-After` seconds.' },
  REPLAY_LOG_FULL: { status: 409, description: 'The run has made more changes than the replay log keeps, so it can no longer be replayed; a restarted daemon starts a new log.' },
  WHAT_IF_BUSY: { status: 429, description: 'This client address has a what-if running already (one at a time); retry after `Retry-After` seconds.' },
  HEADERS_TOO_LARGE: { status: 431, description: 'The request line and headers are larger than the daemon accepts.' },
  INTERNAL: { status: 500, description: 'The daemon failed; nothing was changed.' },
  STORE_FAILED: { status: 500, description: 'The change was made but the disk failed to store it: it may be lost if the host loses power. The daemon must be restarted.' },
  STORE_IO_ERROR: {
    status: 500,
    description: 'The database could not be written (an I/O error, a file made read-only or damaged); nothing was changed. Each change tries again.',
  },
  STORE_FULL: {
    status: 507,
    description: 'The disk holding the database is full; nothing was changed. Free space on it: changes are stored again as soon as there is room.',
  },
  STORE_BUSY: { status: 503, description: 'Another process holds the database lock; nothing was changed. Retry after `Retry-After` seconds.' },
  SHUTTING_DOWN: { status: 503, description: 'The daemon is shutting down and takes no new requests.' },
  TOO_MANY_STREAMS: { status: 503, description: 'Too many open event streams, in all or from this client address.' },
  OVERLOADED: { status: 503, description: 'The daemon is overloaded (its event loop lags); retry after `Retry-After` seconds.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ErrorDetails {
  /** The offending input, for 400s (e.g. `body/cap`). */
  readonly field?: string;
  /** BAD_POWER_STATE: the states that would have been accepted, and the actual one. */
  readonly expected?: readonly string[];
  readonly actual?: string;
  /** What-if: the index of the change that failed. */
  readonly change_index?: number;
}

/** A failure a client can see: Fastify sends an error with `statusCode` as that status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  field?: string;
  expected?: readonly string[];
  actual?: string;
  change_index?: number;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.statusCode = ERROR_CATALOGUE[code].status;
  }
}

export function apiError(code: ErrorCode, message: string, details: ErrorDetails = {}): ApiError {
  const error = new ApiError(code, message);
  if (details.field !== undefined) error.field = details.field;
  if (details.expected !== undefined) error.expected = details.expected;
  if (details.actual !== undefined) error.actual = details.actual;
  if (details.change_index !== undefined) error.change_index = details.change_index;
  return error;
}

export const isApiError = (error: unknown): error is ApiError =>
  error instanceof Error && typeof (error as Partial<ApiError>).code === 'string' &&
  (error as Partial<ApiError>).code! in ERROR_CATALOGUE;

export const invalidArgument = (field: string, message: string): ApiError =>
  apiError('INVALID_ARGUMENT', `${field}: ${message}`, { field });

export function badPowerState(name: string, expected: readonly string[], actual: string): ApiError {
  return apiError(
    'BAD_POWER_STATE',
    `domain ${name} is ${actual}; this needs it ${expected.join(' or ')}`,
    { expected, actual },
  );
}
