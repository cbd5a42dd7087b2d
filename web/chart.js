/**
 * The stacked share chart (uPlot). Bands are stacked in a fixed order, each
 * scheduling domain's master then its members together in one hue, so a group
 * reads as one band made of its members' bands. Expected shares, when asked
 * for, are dashed lines stacked in the same order: where a band's top edge
 * should be. The x axis is the last minute of wall-clock time, whatever the
 * clock's speed, so the picture moves at the same pace at ×1 and ×1000.
 */
import uPlot from './vendor/uplot/uPlot.esm.js';

export const HISTORY_S = 60;
const GOLDEN_ANGLE = 137.508;

/**
 * @typedef {{ id: number, name: string, master: number | null }} Band
 *   master: the group's master domid for a master or a member, null otherwise
 * @typedef {{ t_s: number, observed: Map<number, number>, expected: Map<number, number> | undefined }} Point
 */

/**
 * Colours: one hue per group or lone domain; a group's domains vary in lightness.
 * @param {Band[]} bands in stacking order
 */
function coloursOf(bands) {
  /** @type {Map<number, number>} */ const hueOf = new Map();
  /** @type {Map<number, number>} */ const seen = new Map();
  let next = 0;
  return bands.map((band) => {
    const key = band.master ?? -1 - band.id;
    if (!hueOf.has(key)) hueOf.set(key, (next++ * GOLDEN_ANGLE + 210) % 360);
    const index = seen.get(key) ?? 0;
    seen.set(key, index + 1);
    const lightness = 42 + ((index * 14) % 36);
    return { hue: hueOf.get(key) ?? 0, lightness };
  });
}

/**
 * A tick's label, HH:MM:SS local: one line, where uPlot's default adds the date
 * on a second line that, at phone width, runs into the next tick's.
 * @param {number} t_s
 */
const clockTime = (t_s) => new Date(t_s * 1000).toTimeString().slice(0, 8);

/**
 * @param {HTMLElement} container
 */
export function createShareChart(container) {
  /** @type {Point[]} */ const points = [];
  /** @type {Band[]} */ let bands = [];
  let maxPct = 100;
  let showExpected = false;
  /** @type {uPlot | undefined} */ let plot;
  let signature = '';
  /** Each band's own (unstacked) values, for the legend. @type {number[][]} */ let raw = [];

  const width = () => Math.max(280, container.clientWidth);
  const height = () => (container.clientWidth < 600 ? 220 : 300);

  /** Rows: x, then each band's stacked top edge, then (optionally) the stacked expected edges. */
  const dataOf = () => {
    const xs = points.map((point) => point.t_s);
    /** @type {(number | null)[][]} */ const observed = bands.map(() => []);
    /** @type {(number | null)[][]} */ const expected = bands.map(() => []);
    raw = bands.map(() => []);
    for (const point of points) {
      let sum = 0;
      let expectedSum = 0;
      bands.forEach((band, i) => {
        const value = point.observed.get(band.id) ?? 0;
        sum += value;
        raw[i]?.push(value);
        observed[i]?.push(sum);
        const wanted = point.expected?.get(band.id);
        expectedSum += wanted ?? 0;
        expected[i]?.push(point.expected === undefined ? null : expectedSum);
      });
    }
    return [xs, ...observed, ...(showExpected ? expected : [])];
  };

  const build = () => {
    plot?.destroy();
    const colours = coloursOf(bands);
    const data = dataOf();
    /** @type {uPlot.Series[]} */
    const series = [{ label: 'time' }];
    bands.forEach((band, i) => {
      const { hue, lightness } = colours[i] ?? { hue: 0, lightness: 50 };
      series.push({
        label: band.name,
        stroke: `hsl(${hue} 60% ${lightness - 10}%)`,
        fill: `hsl(${hue} 65% ${lightness + 10}% / 0.8)`,
        width: 1,
        points: { show: false },
        value: (_u, _v, _s, index) => (index === null || index === undefined ? '–' : `${(raw[i]?.[index] ?? 0).toFixed(1)} %`),
      });
    });
    if (showExpected) {
      bands.forEach((band, i) => {
        const { hue, lightness } = colours[i] ?? { hue: 0, lightness: 50 };
        series.push({ label: `${band.name} expected`, stroke: `hsl(${hue} 70% ${Math.max(20, lightness - 25)}%)`, dash: [6, 4], width: 2, points: { show: false } });
      });
    }
    const opts = {
      width: width(),
      height: height(),
      series,
      bands: bands.slice(1).map((_band, i) => ({ series: /** @type {[number, number]} */ ([i + 2, i + 1]) })),
      scales: { x: { time: true, range: (/** @type {uPlot} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => /** @type {[number, number]} */ ([max - HISTORY_S, max]) }, y: { range: /** @type {[number, number]} */ ([0, maxPct]) } },
      axes: [{ label: 'wall-clock time', space: 70, values: (/** @type {uPlot} */ _u, /** @type {number[]} */ ticks) => ticks.map(clockTime) }, { label: '% of one pCPU', size: 60 }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    plot = new uPlot(opts, /** @type {uPlot.AlignedData} */ (data), container);
    if (points.length > 0) plot.setLegend({ idx: points.length - 1 });
  };

  new ResizeObserver(() => plot?.setSize({ width: width(), height: height() })).observe(container);

  return {
    /**
     * @param {Band[]} nextBands stacking order
     * @param {number} pcpus the y axis reaches the whole host
     */
    setBands(nextBands, pcpus) {
      const next = JSON.stringify([nextBands, pcpus, showExpected]);
      if (next === signature) return;
      signature = next;
      bands = nextBands;
      maxPct = pcpus * 100;
      build();
    },
    /** @param {Point} point */
    add(point) {
      points.push(point);
      while (points.length > 0 && (points[0]?.t_s ?? 0) < point.t_s - HISTORY_S) points.shift();
      if (plot === undefined) build();
      else plot.setData(/** @type {uPlot.AlignedData} */ (dataOf()));
      // Away from the cursor, the legend shows the latest figures.
      if (plot !== undefined && plot.cursor.idx == null) plot.setLegend({ idx: points.length - 1 });
    },
    /** @param {boolean} show */
    setShowExpected(show) {
      showExpected = show;
      signature = '';
      this.setBands(bands, maxPct / 100);
    },
  };
}
