/**
 * `nemesis sweep --plot`: CPU % against the varied parameter, one line per
 * domain and per scheduling domain (the mean over seeds, with its 95%
 * confidence band when there are several), over the last phase of each run;
 * with a second varied parameter, one small panel per value of it.
 */
import type { EChartsOption, SeriesOption } from 'echarts';
import { familyColours, PlotError, renderSvg } from './chart.ts';
import type { SweepLine } from './sweep-point.ts';
import { estimate } from './sweep-results.ts';

export const CPU_AXIS_TITLE = 'CPU (% of one pCPU)';

/** Units of the parameters a sweep usually varies, by the path's last segment. */
function axisTitle(path: string): string {
  const key = path.split('.').at(-1)!;
  if (key === 'cap') return `${path} (% of one pCPU)`;
  if (key === 'seconds') return `${path} (s)`;
  if (key === 'pcpus') return `${path} (pCPUs)`;
  const unit = /_(ms|us|ns)$/.exec(key)?.[1];
  return unit === undefined ? path : `${path} (${unit === 'us' ? 'µs' : unit})`;
}

const label = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

interface Panel {
  readonly value: unknown;
  /** Per series name, per x value (in the sweep's order): the CPU % of each seed. */
  readonly series: Map<string, Map<string, { x: unknown; pcts: number[] }>>;
}

const PANEL_WIDTH = 420;
const PANEL_HEIGHT = 300;
const COLUMNS = 3;
const MIN_WIDTH = 640;

export function sweepPlotSvg(lines: readonly SweepLine[], title = 'CPU share across the sweep'): string {
  const ok = lines.filter((line) => line.phases !== undefined && line.phases.length > 0);
  if (ok.length === 0) throw new PlotError('no run succeeded: nothing to plot');
  const paths = Object.keys(ok[0]!.values);
  if (paths.length === 0) throw new PlotError('the sweep varies nothing: nothing to plot against');
  if (paths.length > 2) throw new PlotError(`a plot shows one varied parameter, and panels for a second; this sweep varies ${paths.length} (${paths.join(', ')})`);
  const [xPath, panelPath] = paths as [string, string | undefined];

  const panels = new Map<string, Panel>();
  const groups = new Map<string, readonly string[]>();
  const names: string[] = [];
  for (const line of ok) {
    const phase = line.phases!.at(-1)!;
    const panelKey = panelPath === undefined ? '' : label(line.values[panelPath]);
    const panel = panels.get(panelKey) ?? { value: panelPath === undefined ? undefined : line.values[panelPath], series: new Map() };
    panels.set(panelKey, panel);
    const add = (name: string, pct: number | null): void => {
      if (pct === null) return;
      if (!names.includes(name)) names.push(name);
      const byX = panel.series.get(name) ?? new Map();
      panel.series.set(name, byX);
      const x = line.values[xPath];
      const at = byX.get(label(x)) ?? { x, pcts: [] };
      at.pcts.push(pct);
      byX.set(label(x), at);
    };
    for (const [name, d] of Object.entries(phase.domains)) add(name, d.pct);
    for (const [master, g] of Object.entries(phase.groups)) {
      groups.set(master, g.members);
      add(`group ${master}`, g.pct);
    }
  }
  const numericX = ok.every((line) => typeof line.values[xPath] === 'number');
  const colours = familyColours(names, groups);
  const seeds = Math.max(...[...panels.values()].flatMap((p) => [...p.series.values()].flatMap((byX) => [...byX.values()].map((at) => at.pcts.length))));

  const panelList = [...panels.values()];
  const columns = Math.min(COLUMNS, panelList.length);
  const rows = Math.ceil(panelList.length / columns);
  const top = 132;
  // Wide enough for the title; the panels centred in it.
  const width = Math.max(MIN_WIDTH, 40 + columns * PANEL_WIDTH);
  const left = (i: number): number => (width - columns * PANEL_WIDTH) / 2 + 50 + (i % columns) * PANEL_WIDTH;
  const option: EChartsOption = {
    title: [
      {
        text: title,
        subtext: `last phase of each run; ${seeds > 1 ? `mean of ${seeds} seeds, band: 95% confidence interval` : 'one seed'}`,
        left: 'center',
      },
      ...panelList.map((panel, i) => ({
        text: panelPath === undefined ? '' : `${panelPath} = ${label(panel.value)}`,
        left: left(i),
        top: top + Math.floor(i / columns) * (PANEL_HEIGHT + 40) - 28,
        textStyle: { fontSize: 13, fontWeight: 'normal' as const },
      })),
    ],
    legend: { data: names, top: 62 },
    grid: panelList.map((_, i) => ({ left: left(i), top: top + Math.floor(i / columns) * (PANEL_HEIGHT + 40), width: PANEL_WIDTH - 110, height: PANEL_HEIGHT - 60 })),
    xAxis: panelList.map((_, i) => ({
      gridIndex: i,
      type: numericX ? ('value' as const) : ('category' as const),
      name: axisTitle(xPath),
      nameLocation: 'middle' as const,
      nameGap: 28,
      scale: numericX,
      ...(numericX ? {} : { data: [...new Set(ok.map((line) => label(line.values[xPath])))] }),
    })),
    yAxis: panelList.map((_, i) => ({ gridIndex: i, type: 'value' as const, name: CPU_AXIS_TITLE, nameLocation: 'middle' as const, nameGap: 40, min: 0 })),
    series: panelList.flatMap((panel, i) => panelSeries(panel, i, names, colours, numericX)),
  };
  return renderSvg(option, width, top + rows * (PANEL_HEIGHT + 40) - 10);
}

function panelSeries(panel: Panel, index: number, names: readonly string[], colours: Map<string, string>, numericX: boolean): SeriesOption[] {
  const axes = { xAxisIndex: index, yAxisIndex: index };
  return names.flatMap((name): SeriesOption[] => {
    const byX = panel.series.get(name);
    if (byX === undefined) return [];
    const colour = colours.get(name)!;
    const points = [...byX.values()].map(({ x, pcts }) => ({ x: numericX ? (x as number) : label(x), e: estimate(pcts) }));
    // A shape and a size per series as well as a colour: lines that coincide (a 1:1 split) stay told apart.
    const symbol = SYMBOLS[names.indexOf(name) % SYMBOLS.length]!;
    const line: SeriesOption = { type: 'line', name, ...axes, color: colour, symbol, symbolSize: 10 - 2 * (names.indexOf(name) % 3), data: points.map(({ x, e }) => [x, round(e.mean)]) };
    if (!points.some(({ e }) => e.n > 1)) return [line];
    const stack = `band ${index} ${name}`;
    const band = { type: 'line' as const, ...axes, stack, symbol: 'none', silent: true, lineStyle: { opacity: 0 }, color: colour };
    return [
      { ...band, name: `${name} 95% low`, data: points.map(({ x, e }) => [x, round(e.mean - e.ci95)]) },
      { ...band, name: `${name} 95% band`, areaStyle: { color: colour, opacity: 0.2 }, data: points.map(({ x, e }) => [x, round(2 * e.ci95)]) },
      line,
    ];
  });
}

const SYMBOLS = ['circle', 'rect', 'triangle', 'diamond', 'emptyCircle', 'emptyRect'] as const;

const round = (value: number): number => Math.round(value * 1000) / 1000;
