/**
 * The daemon's event-loop delay monitor over a hand-fed histogram of
 * intervals: the delay beyond the sampling interval, the overload check's
 * window (the mean since its last look) and the scrapes' distribution, each
 * unaffected by the other's resets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { monitorEventLoop, type IntervalRecorder } from '../../src/runtime/event-loop-delay.ts';

const NS_PER_MS = 1e6;

/** Intervals as Node's monitor records them, ns; percentiles by nearest rank. */
function intervals(): IntervalRecorder & { record(...ms: number[]): void; disabled: boolean } {
  let values: number[] = [];
  const mean = (): number => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    disabled: false,
    record(...ms) {
      values.push(...ms.map((v) => v * NS_PER_MS));
    },
    get count() {
      return values.length;
    },
    get min() {
      return Math.min(...values);
    },
    get max() {
      return Math.max(...values);
    },
    get mean() {
      return mean();
    },
    get stddev() {
      return Math.sqrt(values.reduce((sum, v) => sum + (v - mean()) ** 2, 0) / values.length);
    },
    percentile(p) {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
    },
    reset() {
      values = [];
    },
    disable() {
      this.disabled = true;
      return true;
    },
  };
}

describe('event-loop delay monitor', () => {
  it('reports the delay beyond the sampling interval: 0 for a loop on time', () => {
    const recorder = intervals();
    const monitor = monitorEventLoop(100, recorder);
    const recorded_ms = [100, 100.4, 99.6, 130, 100, 100, 100, 100, 100, 350];
    recorder.record(...recorded_ms);
    const { stddev_ms, ...summary } = monitor.takeSummary();
    assert.deepEqual(summary, {
      min_ms: 0, // 99.6 ms: a timer a little early is no delay
      max_ms: 250,
      mean_ms: 28, // the intervals add up to 1280 ms
      p50_ms: 0,
      p90_ms: 30,
      p99_ms: 250,
    });
    // The spread of the intervals is the spread of the delays d = interval − 100 ms: E[d²] − E[d]².
    assert.ok(Math.abs(stddev_ms - Math.sqrt((2 * 0.4 ** 2 + 30 ** 2 + 250 ** 2) / 10 - 28 ** 2)) < 1e-9, `${stddev_ms}`);
    assert.deepEqual(Object.values(monitor.takeSummary()), [0, 0, 0, 0, 0, 0, 0], 'a scrape starts a new distribution');
    monitor.close();
    assert.equal(recorder.disabled, true);
  });

  it("gives the overload check the mean since its last look, across a scrape's reset", () => {
    const recorder = intervals();
    const monitor = monitorEventLoop(100, recorder);
    recorder.record(100, 300);
    assert.equal(monitor.takeWindowMean_ms(), 100);
    recorder.record(150);
    monitor.takeSummary();
    recorder.record(250, 100, 100);
    assert.equal(monitor.takeWindowMean_ms(), 50, '(150 + 250 + 100 + 100) / 4 − 100');
    recorder.record(100, 100);
    assert.equal(monitor.takeWindowMean_ms(), 0);
    assert.equal(monitor.takeWindowMean_ms(), Number.POSITIVE_INFINITY, 'no interval ended: the loop was held up all along');
    // The scrape's distribution still holds everything since it last looked.
    assert.deepEqual([monitor.takeSummary().max_ms, monitor.takeSummary().max_ms], [150, 0]);
  });
});
