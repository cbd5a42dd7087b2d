/**
 * Every way a domctl can fail. The control plane maps each code onto its own
 * error catalogue; `field` names the offending input where there is one.
 */
export const DomctlErrorCode = {
  NO_SUCH_DOMAIN: 'NO_SUCH_DOMAIN',
  DOMAIN_EXISTS: 'DOMAIN_EXISTS',
  NO_SUCH_VCPU: 'NO_SUCH_VCPU',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  BAD_AFFINITY: 'BAD_AFFINITY',
  BAD_POWER_STATE: 'BAD_POWER_STATE',
  DOMAIN0_PROTECTED: 'DOMAIN0_PROTECTED',
  NOT_SUPPORTED: 'NOT_SUPPORTED',
  NO_SUCH_GROUP: 'NO_SUCH_GROUP',
  GROUP_EXISTS: 'GROUP_EXISTS',
  ALREADY_IN_GROUP: 'ALREADY_IN_GROUP',
  SELF_MEMBERSHIP: 'SELF_MEMBERSHIP',
  NESTED_GROUP: 'NESTED_GROUP',
  NOT_A_MEMBER: 'NOT_A_MEMBER',
} as const;
export type DomctlErrorCode = (typeof DomctlErrorCode)[keyof typeof DomctlErrorCode];

/** Why a cpupool operation was refused (Xen's cpupool rules), beside the general code that classes it. */
export const CpupoolRefusal = {
  NO_SUCH_POOL: 'NO_SUCH_POOL',
  POOL_EXISTS: 'POOL_EXISTS',
  NAME_TAKEN: 'NAME_TAKEN',
  POOL0_PROTECTED: 'POOL0_PROTECTED',
  POOL_HAS_DOMAINS: 'POOL_HAS_DOMAINS',
  LAST_PCPU: 'LAST_PCPU',
  PCPU_NOT_FREE: 'PCPU_NOT_FREE',
  PCPU_NOT_IN_POOL: 'PCPU_NOT_IN_POOL',
  POOL_EMPTY: 'POOL_EMPTY',
  GROUPED_DOMAIN: 'GROUPED_DOMAIN',
  MEMBER_POOL: 'MEMBER_POOL',
} as const;
export type CpupoolRefusal = (typeof CpupoolRefusal)[keyof typeof CpupoolRefusal];

export interface DomctlError {
  readonly code: DomctlErrorCode;
  readonly message: string;
  readonly field?: string;
  /** For a refused cpupool operation: which of Xen's cpupool rules refused it. */
  readonly reason?: CpupoolRefusal;
}

/** A cpupool refusal: a bad reference or name is INVALID_ARGUMENT, a rule that forbids the change NOT_SUPPORTED. */
export function cpupoolError(reason: CpupoolRefusal, message: string, field?: string): DomctlError {
  const badInput = reason === CpupoolRefusal.NO_SUCH_POOL || reason === CpupoolRefusal.POOL_EXISTS || reason === CpupoolRefusal.NAME_TAKEN;
  const code = badInput ? DomctlErrorCode.INVALID_ARGUMENT : DomctlErrorCode.NOT_SUPPORTED;
  return field === undefined ? { code, message, reason } : { code, message, field, reason };
}

export const domctlError = (code: DomctlErrorCode, message: string, field?: string): DomctlError =>
  field === undefined ? { code, message } : { code, message, field };

export const invalid = (field: string, message: string): DomctlError =>
  domctlError(DomctlErrorCode.INVALID_ARGUMENT, `${field}: ${message}`, field);
