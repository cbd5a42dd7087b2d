/** The hypervisor's refusals in the catalogue's terms. */
import { CpupoolRefusal, DomctlErrorCode, type DomctlError } from '../hypervisor/index.ts';
import { apiError, type ApiError, type ErrorCode } from '../vocabulary/errors.ts';

/** The hypervisor's failure codes, in the catalogue's terms. */
const FROM_DOMCTL: Record<DomctlErrorCode, ErrorCode> = {
  [DomctlErrorCode.NO_SUCH_DOMAIN]: 'NO_SUCH_DOMAIN',
  [DomctlErrorCode.DOMAIN_EXISTS]: 'INTERNAL',
  [DomctlErrorCode.NO_SUCH_VCPU]: 'NO_SUCH_VCPU',
  [DomctlErrorCode.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [DomctlErrorCode.BAD_AFFINITY]: 'BAD_AFFINITY',
  [DomctlErrorCode.BAD_POWER_STATE]: 'BAD_POWER_STATE',
  [DomctlErrorCode.DOMAIN0_PROTECTED]: 'DOMAIN0_PROTECTED',
  [DomctlErrorCode.NOT_SUPPORTED]: 'NOT_SUPPORTED',
  [DomctlErrorCode.NO_SUCH_GROUP]: 'NO_SUCH_SCHEDULING_DOMAIN',
  [DomctlErrorCode.GROUP_EXISTS]: 'GROUP_EXISTS',
  [DomctlErrorCode.ALREADY_IN_GROUP]: 'ALREADY_IN_GROUP',
  [DomctlErrorCode.SELF_MEMBERSHIP]: 'SELF_MEMBERSHIP',
  [DomctlErrorCode.NESTED_GROUP]: 'NESTED_GROUP',
  [DomctlErrorCode.NOT_A_MEMBER]: 'NOT_A_MEMBER',
};

/** Xen's cpupool rules, each its own code. */
const FROM_CPUPOOL_REFUSAL: Record<CpupoolRefusal, ErrorCode> = {
  [CpupoolRefusal.NO_SUCH_POOL]: 'NO_SUCH_CPUPOOL',
  // The control layer chooses pool ids itself: one in use is its own failure.
  [CpupoolRefusal.POOL_EXISTS]: 'INTERNAL',
  [CpupoolRefusal.NAME_TAKEN]: 'CPUPOOL_NAME_TAKEN',
  [CpupoolRefusal.POOL0_PROTECTED]: 'POOL0_PROTECTED',
  [CpupoolRefusal.POOL_HAS_DOMAINS]: 'CPUPOOL_HAS_DOMAINS',
  [CpupoolRefusal.LAST_PCPU]: 'CPUPOOL_LAST_PCPU',
  [CpupoolRefusal.PCPU_NOT_FREE]: 'PCPU_NOT_FREE',
  [CpupoolRefusal.PCPU_NOT_IN_POOL]: 'PCPU_NOT_IN_CPUPOOL',
  [CpupoolRefusal.POOL_EMPTY]: 'CPUPOOL_EMPTY',
  [CpupoolRefusal.GROUPED_DOMAIN]: 'GROUPED_DOMAIN',
  [CpupoolRefusal.MEMBER_POOL]: 'MEMBER_CPUPOOL',
};

/** A hypervisor refusal as an API error; its field names (weight, cap, tslice_ms, pcpus, …) are the API's. */
export function fromDomctl(error: DomctlError): ApiError {
  const code = error.reason === undefined ? FROM_DOMCTL[error.code] : FROM_CPUPOOL_REFUSAL[error.reason];
  return error.field === undefined ? apiError(code, error.message) : apiError(code, error.message, { field: error.field });
}
