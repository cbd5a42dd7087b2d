/**
 * Charts for the lab's plots, drawn on the server by Apache ECharts' SVG
 * renderer (no browser), and rasterised to PNG by resvg. Colours: each
 * scheduling domain has a hue, and its master and members shades of it, so a
 * group reads as one at a glance; other domains take the hues left.
 */
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';

export class PlotError extends Error {}

/** A hue per family, far apart; within a family, each domain a step of hue and lightness from the master's. */
const HUES = [215, 25, 130, 350, 275, 50, 185, 310] as const;
const MEMBER_STEPS = [
  [0, 40],
  [28, 58],
  [-28, 70],
  [50, 48],
  [-50, 62],
] as const;

/**
 * A colour for every name: a group's master, its members and the group's own
 * series (`group M`) share the master's hue.
 */
export function familyColours(names: readonly string[], groups: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const family = new Map<string, string>();
  for (const [master, members] of groups) {
    for (const name of [master, ...members]) if (!family.has(name)) family.set(name, master);
    family.set(`group ${master}`, master);
  }
  const hues = new Map<string, number>();
  const shadeIndex = new Map<string, number>();
  const colours = new Map<string, string>();
  for (const name of names) {
    const root = family.get(name) ?? name;
    if (!hues.has(root)) hues.set(root, HUES[hues.size % HUES.length]!);
    const isGroup = name.startsWith('group ');
    const shade = isGroup ? 0 : (shadeIndex.get(root) ?? 0) + 1;
    if (!isGroup) shadeIndex.set(root, shade);
    // The group's own line is the darkest; its domains lighter, a step of hue each.
    const [hueStep, lightness] = isGroup ? [0, 24] : MEMBER_STEPS[(shade - 1) % MEMBER_STEPS.length]!;
    colours.set(name, `hsl(${(hues.get(root)! + hueStep + 360) % 360}, 70%, ${lightness}%)`);
  }
  return colours;
}

/** The option's chart as an SVG document (no animation: the first frame is the final one). */
export function renderSvg(option: echarts.EChartsOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, backgroundColor: '#ffffff', textStyle: { fontFamily: 'DejaVu Sans, Arial, sans-serif' }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The bytes to write for a plot at `path`: the SVG itself for .svg, a PNG at twice its size for .png. */
export function plotBytes(path: string, svg: string): Buffer {
  if (/\.svg$/i.test(path)) return Buffer.from(svg);
  if (/\.png$/i.test(path)) return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: '#ffffff' }).render().asPng();
  throw new PlotError(`${path}: a plot is written as .svg or .png`);
}
