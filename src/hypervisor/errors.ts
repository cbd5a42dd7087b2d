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

export interface DomctlError {
  readonly code: DomctlErrorCode;
  readonly message: string;
  readonly field?: string;
}

export const domctlError = (code: DomctlErrorCode, message: string, field?: string): DomctlError =>
  field === undefined ? { code, message } : { code, message, field };

export const invalid = (field: string, message: string): DomctlError =>
  domctlError(DomctlErrorCode.INVALID_ARGUMENT, `${field}: ${message}`, field);
