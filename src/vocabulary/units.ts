/** Simulated time is integer nanoseconds, like Xen's s_time_t. */
export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

export const msToNs = (ms: number): number => Math.round(ms * NS_PER_MS);

/** Memory sizes are given in MiB. */
export const BYTES_PER_MB = 1024 * 1024;

/** CPU use is in percent of one pCPU: a vCPU that runs all the time uses 100. */
export const PERCENT = 100;

/** Percentages are reported to a thousandth of a point. */
export const roundPct = (pct: number): number => Math.round(pct * 1000) / 1000;
