/**
 * What is done with a sweep's result lines: the JSON Lines text, the same
 * flattened as CSV, the mean and 95% confidence interval across seeds, and
 * the merge of shards into exactly what one unsharded run writes.
 */
import type { SweepLine } from './sweep-point.ts';

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

export const jsonLine = (line: SweepLine): string => `${JSON.stringify(line)}\n`;

const CSV_HEAD = ['sweep', 'run', 'point', 'seed'];
const CSV_TAIL = ['phase', 'from_s', 'to_s', 'kind', 'name', 'pct', 'wakes', 'wake_mean_us', 'wake_p99_us', 'error'];

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvHeader = (paths: readonly string[]): string => `${[...CSV_HEAD, ...paths, ...CSV_TAIL].map(csvCell).join(',')}\n`;

/** One row per phase and domain or group; a failed run is one row with its error. */
export function csvRows(line: SweepLine): string {
  const head = [line.sweep, line.run, line.point, line.seed, ...Object.values(line.values)];
  const row = (cells: unknown[]): string => `${[...head, ...cells].map(csvCell).join(',')}\n`;
  if (line.phases === undefined) return row(['', '', '', '', '', '', '', '', '', line.error]);
  return line.phases
    .flatMap((phase, p) => [
      ...Object.entries(phase.domains).map(([name, d]) =>
        row([p + 1, phase.from_s, phase.to_s, 'domain', name, d.pct, d.wake_latency?.count, d.wake_latency?.mean_us, d.wake_latency?.p99_us, '']),
      ),
      ...Object.entries(phase.groups).map(([name, g]) => row([p + 1, phase.from_s, phase.to_s, 'group', name, g.pct, '', '', '', ''])),
    ])
    .join('');
}

/** Student's t at 97.5% for n-1 degrees of freedom (up to 30, then 40, 60, 120), and the normal's beyond: the half-width of a 95% interval is t·s/√n. */
const T_975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
const T_975_LARGE: readonly (readonly [number, number])[] = [
  [120, 1.98],
  [60, 2.0],
  [40, 2.021],
];

function t975(df: number): number {
  if (df <= T_975.length) return T_975[df - 1]!;
  // The next smaller tabulated df: an interval a little wider than exact, never narrower.
  return T_975_LARGE.find(([at]) => df >= at)?.[1] ?? 2.042;
}

export interface Estimate {
  readonly n: number;
  readonly mean: number;
  /** Half-width of the 95% confidence interval of the mean (0 with one value). */
  readonly ci95: number;
}

export function estimate(values: readonly number[]): Estimate {
  const n = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  if (n < 2) return { n, mean, ci95: 0 };
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
  return { n, mean, ci95: t975(n - 1) * Math.sqrt(variance / n) };
}

export interface SummaryRow {
  readonly point: number;
  readonly values: Record<string, unknown>;
  readonly phase: number;
  readonly kind: 'domain' | 'group';
  readonly name: string;
  readonly estimate: Estimate;
  /** Runs of the point that failed (left out of the estimate). */
  readonly failed: number;
}

/** Per point, phase, domain and group: the mean CPU % and its 95% interval across the point's seeds. */
export function summarise(lines: readonly SweepLine[]): SummaryRow[] {
  const byPoint = groupBy(lines, (line) => line.point);
  const rows: SummaryRow[] = [];
  for (const [point, runs] of [...byPoint].sort(([a], [b]) => a - b)) {
    const ok = runs.filter((line) => line.phases !== undefined);
    const failed = runs.length - ok.length;
    const series = new Map<string, { phase: number; kind: 'domain' | 'group'; name: string; values: number[] }>();
    for (const line of ok) {
      line.phases!.forEach((phase, p) => {
        const add = (kind: 'domain' | 'group', name: string, pct: number | null): void => {
          if (pct === null) return;
          const key = `${p}\0${kind}\0${name}`;
          const entry = series.get(key) ?? { phase: p + 1, kind, name, values: [] };
          entry.values.push(pct);
          series.set(key, entry);
        };
        for (const [name, d] of Object.entries(phase.domains)) add('domain', name, d.pct);
        for (const [name, g] of Object.entries(phase.groups)) add('group', name, g.pct);
      });
    }
    for (const { phase, kind, name, values } of series.values()) rows.push({ point, values: runs[0]!.values, phase, kind, name, estimate: estimate(values), failed });
    if (ok.length === 0) rows.push({ point, values: runs[0]!.values, phase: 0, kind: 'domain', name: '', estimate: { n: 0, mean: Number.NaN, ci95: 0 }, failed });
  }
  return rows;
}

export class MergeError extends Error {}

export interface ShardFile {
  readonly name: string;
  readonly text: string;
}

/**
 * The shards' lines as one unsharded run writes them: sorted by run number,
 * each line's text as it was. Refuses, naming them, runs that are missing or
 * appear twice, and lines of another sweep (its hash differs from the first
 * line's).
 */
export function mergeShards(files: readonly ShardFile[]): string {
  const lines: { run: number; text: string; where: string }[] = [];
  let sweep: { hash: string; runs: number; where: string } | undefined;
  const problems: string[] = [];
  for (const file of files) {
    file.text.split('\n').forEach((text, i) => {
      if (text === '') return;
      const where = `${file.name}:${i + 1}`;
      let line: Partial<SweepLine>;
      try {
        line = JSON.parse(text) as Partial<SweepLine>;
      } catch {
        problems.push(`${where} is not a JSON line`);
        return;
      }
      if (typeof line.sweep !== 'string' || !Number.isInteger(line.run) || !Number.isInteger(line.runs)) {
        problems.push(`${where} is not a sweep's result line (no sweep, run and runs)`);
        return;
      }
      sweep ??= { hash: line.sweep, runs: line.runs!, where };
      if (line.sweep !== sweep.hash || line.runs !== sweep.runs) {
        problems.push(`${where} is from another sweep (sweep ${line.sweep}, ${line.runs} runs; ${sweep.where} has sweep ${sweep.hash}, ${sweep.runs} runs)`);
        return;
      }
      lines.push({ run: line.run!, text, where });
    });
  }
  if (sweep === undefined) throw new MergeError(problems.length > 0 ? problems.join('\n') : 'no result lines to merge');
  const byRun = groupBy(lines, (line) => line.run);
  for (const [run, copies] of byRun) if (copies.length > 1) problems.push(`run ${run} appears ${copies.length} times (${copies.map((c) => c.where).join(', ')})`);
  const missing = Array.from({ length: sweep.runs }, (_, run) => run).filter((run) => !byRun.has(run));
  if (missing.length > 0) problems.push(`${missing.length} of ${sweep.runs} runs are missing: ${ranges(missing)}`);
  const outside = lines.filter((line) => line.run < 0 || line.run >= sweep!.runs);
  for (const line of outside) problems.push(`${line.where}: run ${line.run} is not in 0..${sweep.runs - 1}`);
  if (problems.length > 0) throw new MergeError(problems.join('\n'));
  return lines
    .toSorted((a, b) => a.run - b.run)
    .map((line) => `${line.text}\n`)
    .join('');
}

/** 1-3, 7, 9-10 */
function ranges(sorted: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
