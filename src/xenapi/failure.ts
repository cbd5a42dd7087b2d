/**
 * XenAPI failures: an error description list, `[code, param, ...]`, as both
 * transports send it. Control-layer refusals are translated here, once.
 */
import { isApiError, type ApiError } from '../vocabulary/errors.ts';

export class XenApiFailure extends Error {
  readonly description: readonly string[];
  /** Made from an error that was neither a failure nor a refusal: a bug, for the log. */
  unexpected = false;
  constructor(code: string, ...params: string[]) {
    super(`${code}(${params.join(', ')})`);
    this.description = [code, ...params];
  }
}

export const failure = (code: string, ...params: string[]): XenApiFailure => new XenApiFailure(code, ...params);

/** The control layer's field names, in XenAPI's (for INVALID_VALUE). */
const FIELD_NAMES: Record<string, string> = {
  name: 'name_label',
  vcpus: 'VCPUs_at_startup',
  online: 'VCPUs_number',
  max_vcpus: 'VCPUs_max',
  memory_mb: 'memory_static_max',
  weight: 'VCPUs_params',
  cap: 'VCPUs_params',
  share: 'scheduling_domain_share',
  master_share: 'scheduling_domain_share',
  master: 'scheduling_domain',
  domain: 'scheduling_domain',
};

const INTERNAL = new Set(['INTERNAL', 'STORE_BUSY', 'STORE_FULL', 'STORE_IO_ERROR', 'SHUTTING_DOWN', 'OVERLOADED']);

/**
 * A control-layer refusal in XenAPI's terms. `vm` is the VM the call was
 * about (VM_BAD_POWER_STATE and HANDLE_INVALID name it). Codes XenAPI has no
 * equivalent for (the scheduling-domain rules) keep the catalogue's code.
 */
export function fromControl(error: ApiError, vm: string | undefined): XenApiFailure {
  const code = error.code;
  if (code === 'BAD_POWER_STATE') return failure('VM_BAD_POWER_STATE', vm ?? '', (error.expected ?? []).join(' or '), error.actual ?? '');
  if (code === 'NO_SUCH_DOMAIN') return failure('HANDLE_INVALID', 'VM', vm ?? '');
  if (code === 'NO_SUCH_CPUPOOL') return failure('HANDLE_INVALID', 'cpu_pool', error.message);
  if (code === 'CPUPOOL_NAME_TAKEN') return failure('INVALID_VALUE', 'name_label', error.message);
  if (code === 'DOMAIN0_PROTECTED') return failure('OPERATION_NOT_ALLOWED', error.message);
  if (code === 'INVALID_ARGUMENT' || code === 'NAME_TAKEN' || code === 'BAD_AFFINITY') {
    const field = error.field?.split('.')[0] ?? '';
    return failure('INVALID_VALUE', FIELD_NAMES[field] ?? field, error.message);
  }
  if (INTERNAL.has(code)) return failure('INTERNAL_ERROR', error.message);
  return failure(code, error.message);
}

/** Anything a handler threw, as a failure (an unexpected error is INTERNAL_ERROR, without its details). */
export function toFailure(error: unknown, vm: string | undefined): XenApiFailure {
  if (error instanceof XenApiFailure) return error;
  if (isApiError(error)) return fromControl(error, vm);
  const internal = failure('INTERNAL_ERROR', 'the call failed; the daemon log has the details');
  internal.unexpected = true;
  return internal;
}
