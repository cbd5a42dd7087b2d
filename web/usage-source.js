/**
 * Where the page's CPU shares come from, in one place. Preferred: the event
 * stream's `usage` events (`/events?usage_ms=N`), one connection and no
 * polling. Until they arrive (or when they stop), the same samples are worked
 * out from two successive snapshots of `cpu_time_ns` and the clock's `now_ns`.
 * Shares are in % of one pCPU (100 = one pCPU), like xentop's CPU(%).
 */

export const POLL_MS = 1000;
/**
 * A snapshot's clock is only known to within its `uncertainty_ns` (the clock
 * ran while it was read); a share is worked out only when that error is at
 * most this fraction of the window, otherwise the window is left to grow.
 */
const MAX_CLOCK_ERROR = 0.02;
/** Without a usage event for this long, the stream has none (or lost them): poll. */
const STREAM_SILENCE_MS = 3000;

/**
 * @typedef {{ now_ns: number, uncertainty_ns: number, domains: { id: number, cpu_time_ns: number }[],
 *   pcpus: { id: number, busy_ns: number }[] }} Snapshot
 * @typedef {{ now_ns: number, window_ns: number, domains: Map<number, number>,
 *   pcpus: number[] }} UsageSample
 */

/**
 * The shares over the time between two snapshots; undefined when no simulated
 * time passed (a frozen clock) or the clock readings are too loose for it.
 * @param {Snapshot} before
 * @param {Snapshot} after
 * @returns {UsageSample | undefined}
 */
export function sampleBetween(before, after) {
  const window_ns = after.now_ns - before.now_ns;
  if (window_ns <= 0 || before.uncertainty_ns + after.uncertainty_ns > window_ns * MAX_CLOCK_ERROR) return undefined;
  const pct = (/** @type {number} */ ns) => Math.max(0, (ns / window_ns) * 100);
  const earlier = new Map(before.domains.map((domain) => [domain.id, domain.cpu_time_ns]));
  const domains = new Map();
  for (const domain of after.domains) {
    const start = earlier.get(domain.id);
    if (start !== undefined) domains.set(domain.id, pct(domain.cpu_time_ns - start));
  }
  const busyBefore = new Map(before.pcpus.map((pcpu) => [pcpu.id, pcpu.busy_ns]));
  const pcpus = after.pcpus.map((pcpu) => pct(pcpu.busy_ns - (busyBefore.get(pcpu.id) ?? pcpu.busy_ns)));
  return { now_ns: after.now_ns, window_ns, domains, pcpus };
}

/**
 * A `usage` event's data as a sample.
 * @param {{ now_ns: number, interval_ns: number, domains: { id: number, observed_pct: number }[], pcpus: { id: number, busy_pct: number }[] }} data
 * @returns {UsageSample}
 */
export function sampleFromEvent(data) {
  return {
    now_ns: data.now_ns,
    window_ns: data.interval_ns,
    domains: new Map(data.domains.map((row) => [row.id, row.observed_pct])),
    pcpus: [...data.pcpus].sort((a, b) => a.id - b.id).map((row) => row.busy_pct),
  };
}

/**
 * @param {{ poll: () => Promise<Snapshot>, onSample: (sample: UsageSample, from: 'stream' | 'poll') => void,
 *   onError: (error: unknown) => void }} options
 */
export function createUsageSource({ poll, onSample, onError }) {
  /** @type {Snapshot | undefined} */ let previous;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ let timer;
  let lastStreamed = -Infinity;
  let stopped = false;

  const tick = async () => {
    timer = undefined;
    if (stopped) return;
    if (performance.now() - lastStreamed > STREAM_SILENCE_MS) {
      try {
        const snapshot = await poll();
        // With no simulated time since the last one (a frozen clock), the newer snapshot is as good a start and knows newer domains.
        const sample = previous === undefined || snapshot.now_ns <= previous.now_ns ? undefined : sampleBetween(previous, snapshot);
        if (sample !== undefined) onSample(sample, 'poll');
        if (sample !== undefined || previous === undefined || snapshot.now_ns <= previous.now_ns) previous = snapshot;
      } catch (error) {
        onError(error);
      }
    } else {
      previous = undefined;
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  };

  return {
    start() {
      if (timer === undefined) void tick();
    },
    /** @param {Parameters<typeof sampleFromEvent>[0]} data a `usage` event's data */
    fromEvent(data) {
      lastStreamed = performance.now();
      const sample = sampleFromEvent(data);
      // No simulated time in the interval (a frozen clock): no share to show.
      if (sample.window_ns > 0) onSample(sample, 'stream');
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
