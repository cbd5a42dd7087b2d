/**
 * The stacked share chart (uPlot). Bands are stacked in a fixed order, each
 * scheduling domain's master then its members together in one hue, so a group
 * reads as one band made of its members' bands. Expected shares, when asked
 * for, are dashed lines stacked in the same order: where a band's top edge
 * should be. The x axis is simulated time: the last minute at ×1, the last
 * 60 × speed seconds faster, so the picture moves at the same pace at ×1 and
 * ×1000. The y axis fits the data (a 10 % share is not a sliver of 0–400),
 * or shows the whole host when asked.
 */
import uPlot from './vendor/uplot/uPlot.esm.js';

/** Wall-clock seconds the x axis spans, whatever the clock's speed. */
export const HISTORY_S = 60;
const GOLDEN_ANGLE = 137.508;

/**
 * @typedef {{ id: number, name: string, master: number | null }} Band
 *   master: the group's master domid for a master or a member, null otherwise
 * @typedef {{ t_s: number, observed: Map<number, number>, expected: Map<number, number> | undefined }} Point
 *   t_s: simulated seconds
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
 * A tick's label: simulated seconds, on one line.
 * @param {number} t_s
 */
const simulatedTime = (t_s) => `${Number(t_s.toFixed(3))} s`;

/**
 * The top of a fitted y axis: a round number a little above the data.
 * @param {number} pct
 */
export function niceTop(pct) {
  const wanted = Math.max(1, pct * 1.1);
  const magnitude = 10 ** Math.floor(Math.log10(wanted));
  const step = [1, 1.2, 1.5, 2, 2.5, 5, 10].find((factor) => factor * magnitude >= wanted) ?? 10;
  return step * magnitude;
}

/**
 * @param {HTMLElement} container
 */
export function createShareChart(container) {
  /** @type {Point[]} */ let points = [];
  /** @type {Band[]} */ let bands = [];
  let maxPct = 100;
  let span_s = HISTORY_S;
  let wholeHost = false;
  let showExpected = false;
  /** @type {uPlot | undefined} */ let plot;
  let signature = '';
  /** Each band's own (unstacked) values, for the legend. @type {number[][]} */ let raw = [];

  const width = () => Math.max(280, container.clientWidth);
  const height = () => (container.clientWidth < 600 ? 220 : 300);

  /** The highest stacked edge drawn within the x axis's span (expected lines too, when shown). */
  const highest = () => {
    const newest = points.at(-1)?.t_s ?? 0;
    let top = 0;
    for (const point of points) {
      if (point.t_s < newest - span_s) continue;
      let observed = 0;
      let expected = 0;
      for (const band of bands) {
        observed += point.observed.get(band.id) ?? 0;
        expected += point.expected?.get(band.id) ?? 0;
      }
      top = Math.max(top, observed, showExpected ? expected : 0);
    }
    return Math.min(top, maxPct);
  };

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
    const series = [{ label: 'simulated time', value: (/** @type {uPlot} */ _u, /** @type {number | null} */ t_s) => (t_s === null ? '–' : simulatedTime(t_s)) }];
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
      scales: {
        // No further back than the oldest point (just after a speed-up, the span reaches far before any data).
        x: { time: false, range: (/** @type {uPlot} */ _u, /** @type {number} */ min, /** @type {number} */ max) => /** @type {[number, number]} */ ([min < max ? Math.max(min, max - span_s) : max - span_s, max]) },
        y: { range: () => /** @type {[number, number]} */ ([0, wholeHost ? maxPct : niceTop(highest())]) },
      },
      axes: [{ label: 'simulated time', space: 70, values: (/** @type {uPlot} */ _u, /** @type {number[]} */ ticks) => ticks.map(simulatedTime) }, { label: '% of one pCPU', size: 60 }],
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
    /**
     * The points to draw, oldest first.
     * @param {Point[]} next
     */
    setPoints(next) {
      points = next;
      container.dataset['points'] = String(points.length);
      if (plot === undefined) build();
      else plot.setData(/** @type {uPlot.AlignedData} */ (dataOf()));
      container.dataset['yMax'] = String(plot?.scales['y']?.max ?? '');
      // Away from the cursor, the legend shows the latest figures.
      if (plot !== undefined && plot.cursor.idx == null) plot.setLegend({ idx: points.length - 1 });
    },
    /** @param {number} speed the clock's: the x axis spans HISTORY_S × speed simulated seconds (HISTORY_S when frozen) */
    setSpeed(speed) {
      span_s = HISTORY_S * Math.max(1, speed);
      plot?.setData(/** @type {uPlot.AlignedData} */ (dataOf()));
    },
    /** @param {boolean} whole the y axis from 0 to the whole host, rather than fitted to the data */
    setWholeHost(whole) {
      wholeHost = whole;
      this.setPoints(points);
    },
    /** @param {boolean} show */
    setShowExpected(show) {
      showExpected = show;
      signature = '';
      this.setBands(bands, maxPct / 100);
    },
  };
}
