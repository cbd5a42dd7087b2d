/**
 * A histogram kept as counts per bucket: observing is an array increment (no
 * labels, no allocation), so it can sit in the tick loop and in every HTTP
 * response; Prometheus reads the counts when it scrapes.
 */
export interface HistogramSnapshot {
  /** Upper bounds, ascending (the +Inf bucket is implied). */
  readonly bounds: readonly number[];
  /** Cumulative: counts[i] observations ≤ bounds[i]. */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export class BucketCounts {
  private readonly bounds: readonly number[];
  private readonly perBucket: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.perBucket = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.perBucket[i]!++;
        return;
      }
    }
  }

  snapshot(): HistogramSnapshot {
    let running = 0;
    const counts = Array.from(this.perBucket, (n) => (running += n));
    return { bounds: this.bounds, counts, sum: this.sum, count: this.count };
  }
}
