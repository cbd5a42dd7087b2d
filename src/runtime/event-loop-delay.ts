/**
 * The daemon's one event-loop delay monitor, read by the overload check (the
 * mean over each second) and by /metrics (the distribution between scrapes).
 * Node's monitor is a timer of its own that records how long each interval
 * between its firings really took. Every firing wakes the process: at a 10 ms
 * resolution, two such monitors cost an idle daemon about half a percent of a
 * core (docs/benchmarks.md). Every 100 ms sees the lags that matter here (the
 * overload threshold is a second by default; the real-time loop's lateness has
 * figures of its own). What is reported is the delay beyond the interval, so
 * an idle loop reads 0 at any resolution.
 */
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import { NS_PER_MS } from '../vocabulary/units.ts';

export const EVENT_LOOP_SAMPLE_MS = 100;

/** Event-loop delay between two scrapes, ms (all 0 when no interval ended). */
export interface EventLoopDelaySummary {
  readonly min_ms: number;
  readonly max_ms: number;
  readonly mean_ms: number;
  readonly stddev_ms: number;
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly p99_ms: number;
}

export interface EventLoopMonitor {
  /** The mean delay since the last call, ms; Infinity when no interval ended since (the loop was held up all along). */
  takeWindowMean_ms(): number;
  /** The distribution since the last scrape, and a new one from now. */
  takeSummary(): EventLoopDelaySummary;
  close(): void;
}

/** What the monitor reads of Node's histogram of intervals, ns (a fake in tests). */
export type IntervalRecorder = Pick<ELDHistogram, 'count' | 'min' | 'max' | 'mean' | 'stddev' | 'percentile' | 'reset' | 'disable'>;

export function monitorEventLoop(resolution_ms = EVENT_LOOP_SAMPLE_MS, recorder?: IntervalRecorder): EventLoopMonitor {
  const histogram = recorder ?? enabled(monitorEventLoopDelay({ resolution: resolution_ms }));
  const recorded_ns = (): number => (histogram.count === 0 ? 0 : histogram.mean * histogram.count);
  const lag_ms = (interval_ns: number): number => Math.max(0, interval_ns / NS_PER_MS - resolution_ms);
  // The window is what the histogram holds beyond what earlier windows took, plus what a scrape reset away.
  let taken = { ns: 0, count: 0 };
  let carried = { ns: 0, count: 0 };
  return {
    takeWindowMean_ms() {
      const ns = carried.ns + recorded_ns() - taken.ns;
      const count = carried.count + histogram.count - taken.count;
      taken = { ns: recorded_ns(), count: histogram.count };
      carried = { ns: 0, count: 0 };
      return count === 0 ? Number.POSITIVE_INFINITY : lag_ms(ns / count);
    },
    takeSummary() {
      const summary =
        histogram.count === 0
          ? { min_ms: 0, max_ms: 0, mean_ms: 0, stddev_ms: 0, p50_ms: 0, p90_ms: 0, p99_ms: 0 }
          : {
              min_ms: lag_ms(histogram.min),
              max_ms: lag_ms(histogram.max),
              mean_ms: lag_ms(histogram.mean),
              stddev_ms: histogram.stddev / NS_PER_MS,
              p50_ms: lag_ms(histogram.percentile(50)),
              p90_ms: lag_ms(histogram.percentile(90)),
              p99_ms: lag_ms(histogram.percentile(99)),
            };
      carried = { ns: carried.ns + recorded_ns() - taken.ns, count: carried.count + histogram.count - taken.count };
      taken = { ns: 0, count: 0 };
      histogram.reset();
      return summary;
    },
    close: () => histogram.disable(),
  };
}

function enabled(histogram: ELDHistogram): ELDHistogram {
  histogram.enable();
  return histogram;
}
