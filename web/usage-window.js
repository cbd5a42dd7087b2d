/**
 * The shares the page shows, averaged over a window of simulated time. One
 * sample covers a second or so; a capped domain's share moves by a tick's
 * worth between seconds (9 %, then 11 %, for a cap of 10), so the figures
 * read steadily only over several seconds. Samples come from the daemon's
 * usage history at load (`/host/usage?step_ms=`) and then live.
 */

/** The averaging windows offered, in simulated seconds. */
export const AVERAGE_CHOICES_S = [1, 10, 60];
/**
 * A cap works in whole 30 ms periods: the 2007 demo's group (cap 10, two
 * vCPUs) runs one period in twenty, so a second holds one burst or two (6 %
 * or 12 %), 10 s hold 16 or 17 (9.6 % or 10.2 %), and a minute reads 10.0.
 */
export const DEFAULT_AVERAGE_S = 60;

/**
 * @typedef {{ now_ns: number, window_ns: number, domains: Map<number, number>, pcpus: number[] }} Sample
 *   shares in % of one pCPU over (now_ns − window_ns, now_ns]
 * @typedef {{ now_ns: number, domains: Map<number, number>, pcpus: number[] }} Averaged
 */

/**
 * Each scheduling domain's share: its master's and members' together, as the groups are now.
 * @param {Map<number, number>} domains shares by domid
 * @param {Iterable<{ master: number, members: { domain: number }[] }>} groups
 * @returns {Map<number, number>} by master
 */
export function groupShares(domains, groups) {
  return new Map([...groups].map((group) => [group.master,
    [group.master, ...group.members.map((member) => member.domain)].reduce((sum, id) => sum + (domains.get(id) ?? 0), 0)]));
}

/**
 * A step of the history's series as a sample.
 * @param {{ now_ns: number, interval_ns: number, domains: { id: number, observed_pct: number }[], pcpus: { id: number, busy_pct: number }[] }} step
 * @returns {Sample}
 */
export function sampleFromStep(step) {
  return {
    now_ns: step.now_ns,
    window_ns: step.interval_ns,
    domains: new Map(step.domains.map((row) => [row.id, row.observed_pct])),
    pcpus: [...step.pcpus].sort((a, b) => a.id - b.id).map((row) => row.busy_pct),
  };
}

/**
 * @param {() => number} keep_ns how much simulated time before the newest sample to keep
 */
export function createUsageWindow(keep_ns) {
  /** @type {Sample[]} oldest first, not overlapping */ const samples = [];

  /**
   * The weighted mean of `samples[from..to]`.
   * @param {number} from @param {number} to
   * @returns {Averaged}
   */
  const meanOf = (from, to) => {
    /** @type {Map<number, number>} */ const domains = new Map();
    /** @type {number[]} */ const pcpus = [];
    let total_ns = 0;
    for (let i = from; i <= to; i++) {
      const sample = /** @type {Sample} */ (samples[i]);
      total_ns += sample.window_ns;
      for (const [id, pct] of sample.domains) domains.set(id, (domains.get(id) ?? 0) + pct * sample.window_ns);
      sample.pcpus.forEach((pct, id) => { pcpus[id] = (pcpus[id] ?? 0) + pct * sample.window_ns; });
    }
    const newest = /** @type {Sample} */ (samples[to]);
    // A domain is shown only if the newest sample knows it (one deleted since is gone).
    const mean = new Map([...newest.domains.keys()].map((id) => [id, (domains.get(id) ?? 0) / total_ns]));
    return { now_ns: newest.now_ns, domains: mean, pcpus: pcpus.map((sum) => sum / total_ns) };
  };

  return {
    /**
     * Adds a sample after the newest; one that overlaps it keeps only its newer part.
     * @param {Sample} sample
     */
    add(sample) {
      const newest = samples.at(-1);
      if (newest !== undefined) {
        if (sample.now_ns <= newest.now_ns) return;
        sample = { ...sample, window_ns: Math.min(sample.window_ns, sample.now_ns - newest.now_ns) };
      }
      samples.push(sample);
      while (samples.length > 1 && /** @type {Sample} */ (samples[0]).now_ns < sample.now_ns - keep_ns()) samples.shift();
    },
    /**
     * Each sample averaged with those before it whose middle lies in the `average_ns` before its end.
     * @param {number} average_ns
     * @returns {Averaged[]}
     */
    averaged(average_ns) {
      /** @type {Averaged[]} */ const points = [];
      let from = 0;
      samples.forEach((sample, to) => {
        const start_ns = sample.now_ns - average_ns;
        const middle = (/** @type {number} */ i) => /** @type {Sample} */ (samples[i]).now_ns - /** @type {Sample} */ (samples[i]).window_ns / 2;
        while (from < to && middle(from) < start_ns) from++;
        points.push(meanOf(from, to));
      });
      return points;
    },
    /** @returns {number | undefined} */
    get oldest_ns() {
      return samples[0]?.now_ns;
    },
  };
}
