/** Domain-0, the control domain: made by the host, never destroyed, paused or grouped. */
export const DOMAIN0_ID = 0;

/** A domain's weight and cap when none is given (Xen's credit defaults: weight 256, no cap). */
export const DEFAULT_WEIGHT = 256;
export const DEFAULT_CAP = 0;
export const DEFAULT_SCHED_PARAMS = { weight: DEFAULT_WEIGHT, cap: DEFAULT_CAP } as const;

/** A domain's share of its scheduling domain's credit (the sub-scheduler's weight) when none is given. */
export const DEFAULT_SHARE = 256;

/** A cap is in percent of one pCPU, so a domain can use at most 100 per vCPU it has. */
export const CAP_PER_VCPU = 100;

/** Why `cap` is refused where at most `limit` is allowed; `counted` says which vCPUs the limit counts. */
export const capOutOfRange = (limit: number, cap: number, counted = `${CAP_PER_VCPU} per vCPU`): string =>
  `must be an integer in 0..${limit} (${counted}; 0 = no cap), got ${cap}`;
