/**
 * Wake-to-run latency of one vCPU: count, sum, max, and a bounded log-scale
 * histogram for percentiles (4 buckets per doubling from 1 µs, so a percentile
 * is reported as its bucket's upper bound, at most 19% above the true value).
 * The histogram is allocated at the second sample: most vCPUs of a large host
 * are CPU-bound and wake once, at start, and one sample is its own percentile.
 */
const SUB_BUCKETS = 4;
const OCTAVES = 24; // 1 µs .. 16.8 s; slower wakes share the last bucket (max stays exact)
const BUCKETS = 1 + OCTAVES * SUB_BUCKETS;
const MIN_NS = 1000;

export interface LatencyStats {
  count: number;
  sum_ns: number;
  max_ns: number;
  /** Null until the second sample (the first is then `sum_ns`). */
  buckets: Uint32Array | null;
}

export interface LatencySummary {
  readonly count: number;
  readonly mean_ns: number;
  readonly max_ns: number;
  readonly p99_ns: number;
}

export const newLatencyStats = (): LatencyStats => ({ count: 0, sum_ns: 0, max_ns: 0, buckets: null });

function bucketOf(ns: number): number {
  if (ns < MIN_NS) return 0;
  const octave = Math.floor(Math.log2(ns / MIN_NS));
  const sub = Math.floor((ns / (MIN_NS * 2 ** octave) - 1) * SUB_BUCKETS);
  return Math.min(BUCKETS - 1, 1 + octave * SUB_BUCKETS + Math.min(sub, SUB_BUCKETS - 1));
}

/** The largest latency bucket `index` holds. */
function upperBoundNs(index: number): number {
  if (index === 0) return MIN_NS;
  const octave = Math.floor((index - 1) / SUB_BUCKETS);
  const sub = (index - 1) % SUB_BUCKETS;
  return MIN_NS * 2 ** octave * (1 + (sub + 1) / SUB_BUCKETS);
}

export function recordLatency(stats: LatencyStats, ns: number): void {
  if (stats.count > 0) {
    if (stats.buckets === null) {
      stats.buckets = new Uint32Array(BUCKETS);
      stats.buckets[bucketOf(stats.sum_ns)]!++;
    }
    stats.buckets[bucketOf(ns)]!++;
  }
  stats.count++;
  stats.sum_ns += ns;
  if (ns > stats.max_ns) stats.max_ns = ns;
}

export function summarizeLatency(stats: LatencyStats): LatencySummary {
  const { count, max_ns } = stats;
  const mean_ns = count === 0 ? 0 : Math.round(stats.sum_ns / count);
  return { count, mean_ns, max_ns, p99_ns: percentileNs(stats, 0.99) };
}

function percentileNs(stats: LatencyStats, q: number): number {
  if (stats.buckets === null) return stats.max_ns;
  const rank = Math.ceil(q * stats.count);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += stats.buckets[i]!;
    if (seen >= rank) return Math.min(Math.round(upperBoundNs(i)), stats.max_ns);
  }
  return stats.max_ns;
}
