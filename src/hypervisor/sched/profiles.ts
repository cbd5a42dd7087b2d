/**
 * Named sets of the credit scheduler's host-wide parameters, so the rules of a
 * Xen release are one setting: Xen 3.1 charged 100 credits to whoever ran at a
 * tick and had no ratelimit (its tick-dodging weakness shows only with both);
 * Xen 4.x added the ratelimit, and this simulation's exact accounting is its default.
 */
import { DEFAULT_RATELIMIT_US, DEFAULT_TSLICE_MS } from './credit.ts';
import { CREDIT2_PROFILES, credit2ProfileOf } from './credit2.ts';
import type { GlobalSchedParams, SchedName, SchedParams } from './scheduler.ts';

export const SCHED_PROFILES = {
  'xen-3.1': { tslice_ms: 30, ratelimit_us: 0, accounting: 'sampled' },
  'xen-4.x': { tslice_ms: DEFAULT_TSLICE_MS, ratelimit_us: DEFAULT_RATELIMIT_US, accounting: 'exact' },
} as const satisfies Record<string, GlobalSchedParams>;

export type SchedProfile = keyof typeof SCHED_PROFILES;
export const SCHED_PROFILE_NAMES = Object.keys(SCHED_PROFILES) as SchedProfile[];

/** The profile `params` are exactly, or 'custom'. */
export function profileOf(params: GlobalSchedParams): SchedProfile | 'custom' {
  const match = SCHED_PROFILE_NAMES.find((name) => {
    const profile = SCHED_PROFILES[name];
    return profile.tslice_ms === params.tslice_ms && profile.ratelimit_us === params.ratelimit_us && profile.accounting === params.accounting;
  });
  return match ?? 'custom';
}

/** Each policy's named profiles: credit's xen-3.1 and xen-4.x, credit2's xen-4.21 (its default) and xen-4.14. */
export const POLICY_PROFILES = { credit: SCHED_PROFILES, credit2: CREDIT2_PROFILES } as const satisfies Record<SchedName, Record<string, SchedParams>>;

/** The profile a pool's parameters are exactly, under its policy, or 'custom'. */
export function policyProfileOf(sched: SchedName, params: SchedParams): string {
  if (sched === 'credit2') return 'tslice_ms' in params ? 'custom' : credit2ProfileOf(params);
  return 'tslice_ms' in params ? profileOf(params) : 'custom';
}
