/**
 * Named sets of the credit scheduler's host-wide parameters, so the rules of a
 * Xen release are one setting: Xen 3.1 charged 100 credits to whoever ran at a
 * tick and had no ratelimit (its tick-dodging weakness shows only with both);
 * Xen 4.x added the ratelimit, and this simulation's exact accounting is its default.
 */
import { DEFAULT_RATELIMIT_US, DEFAULT_TSLICE_MS } from './credit.ts';
import type { GlobalSchedParams } from './scheduler.ts';

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
