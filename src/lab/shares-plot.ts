/**
 * `nemesis run --plot`: each domain's CPU % over simulated time, stacked like
 * the dashboard's chart, a scheduling domain's master and members in shades
 * of one hue, and the timeline's phases marked. The CPU time comes from the
 * run's scheduler trace: what each pCPU ran from one switch to the next.
 */
import type { EChartsOption, SeriesOption } from 'echarts';
import { NS_PER_S, type SchedTrace } from '../hypervisor/index.ts';
import { familyColours, PlotError, renderSvg } from './chart.ts';
import type { ScenarioResult } from './scenario.ts';

export const TIME_AXIS_TITLE = 'simulated time (s)';
export const CPU_AXIS_TITLE = 'CPU (% of one pCPU)';

/** Bucket widths to pick from, ns: the smallest that gives at most MAX_BUCKETS over the run. */
const BUCKET_NS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 3_600_000].map((ms) => ms * 1_000_000);
// Coarse enough that a cap's on-off rhythm (credit is handed out every 30 ms) reads as the level it averages to.
const MAX_BUCKETS = 60;

export interface SharesOverTime {
  readonly bucket_ns: number;
  readonly end_ns: number;
  /** Per domain name, its CPU % in each bucket (100 = one pCPU). */
  readonly series: Map<string, number[]>;
}

/** Each domain's CPU % per bucket of simulated time, from the trace's switches. */
export function sharesOverTime(trace: SchedTrace, names: ReadonlyMap<number, string>): SharesOverTime {
  const span_ns = trace.end_ns - trace.start_ns;
  const bucket_ns = BUCKET_NS.find((ns) => span_ns / ns <= MAX_BUCKETS) ?? BUCKET_NS.at(-1)!;
  const buckets = Math.max(1, Math.ceil(span_ns / bucket_ns));
  const busy = new Map([...names.values()].map((name) => [name, new Array<number>(buckets).fill(0)]));
  const charge = (domid: number, from_ns: number, to_ns: number): void => {
    const row = busy.get(names.get(domid) ?? '');
    if (row === undefined) return;
    for (let t = from_ns; t < to_ns; ) {
      const b = Math.floor((t - trace.start_ns) / bucket_ns);
      const edge = Math.min(to_ns, trace.start_ns + (b + 1) * bucket_ns);
      row[b]! += edge - t;
      t = edge;
    }
  };
  const running = trace.initial.map((vcpu) => vcpu?.domid ?? null);
  const since = trace.initial.map(() => trace.start_ns);
  for (const event of trace.events) {
    if (event.kind !== 'switch') continue;
    const current = running[event.pcpu];
    if (current !== null && current !== undefined) charge(current, since[event.pcpu]!, event.t_ns);
    running[event.pcpu] = event.to?.domid ?? null;
    since[event.pcpu] = event.t_ns;
  }
  running.forEach((domid, pcpu) => {
    if (domid !== null) charge(domid, since[pcpu]!, trace.end_ns);
  });
  const series = new Map(
    [...busy].map(([name, row]) => [
      name,
      row.map((ns, b) => {
        const width = Math.min(bucket_ns, trace.end_ns - trace.start_ns - b * bucket_ns);
        return Math.round((ns / width) * 100_000) / 1000;
      }),
    ]),
  );
  return { bucket_ns, end_ns: trace.end_ns, series };
}

export function sharesPlotSvg(result: ScenarioResult, title = 'CPU share over simulated time'): string {
  if (result.trace === null) throw new PlotError('the run recorded no trace to plot');
  const shares = sharesOverTime(result.trace, result.names);
  const names = [...shares.series.keys()];
  const groups = new Map<string, readonly string[]>();
  for (const phase of result.phases) for (const group of phase.groups) groups.set(group.master, [...new Set([...(groups.get(group.master) ?? []), ...group.members])]);
  const colours = familyColours(names, groups);
  const bucket_s = shares.bucket_ns / NS_PER_S;
  const x = (b: number): number => Math.round(b * bucket_s * 1e6) / 1e6;
  const boundaries = result.phases.slice(1).map((phase, i) => ({ xAxis: phase.from_ms / 1000, label: { formatter: `phase ${i + 2}: ${phase.changes.join('; ').slice(0, 60)}` } }));
  const series: SeriesOption[] = names.map((name, i) => ({
    type: 'line',
    name,
    stack: 'cpu',
    // Each bucket's level from its start to the next: a point at each start, and one at the end.
    step: 'end',
    symbol: 'none',
    color: colours.get(name)!,
    lineStyle: { width: 0.5 },
    areaStyle: { opacity: 0.85 },
    data: [...shares.series.get(name)!.map((pct, b) => [x(b), pct]), [shares.end_ns / NS_PER_S, shares.series.get(name)!.at(-1)!]],
    ...(i === 0 && boundaries.length > 0
      ? { markLine: { silent: true, symbol: 'none', lineStyle: { color: '#333', type: 'dashed' as const, width: 1 }, label: { position: 'insideEndTop' as const }, data: boundaries } }
      : {}),
  }));
  const option: EChartsOption = {
    title: { text: title, subtext: `${result.pcpus} pCPU${result.pcpus === 1 ? '' : 's'}, stacked, in steps of ${bucket_s} s; dashed: a change of the timeline`, left: 'center' },
    legend: { data: names, top: 58 },
    grid: { left: 70, right: 30, top: 100, bottom: 60 },
    xAxis: { type: 'value', name: TIME_AXIS_TITLE, nameLocation: 'middle', nameGap: 30, min: 0, max: shares.end_ns / NS_PER_S },
    yAxis: { type: 'value', name: CPU_AXIS_TITLE, nameLocation: 'middle', nameGap: 45, min: 0 },
    series,
  };
  return renderSvg(option, 900, 480);
}
