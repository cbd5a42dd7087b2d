/**
 * `sweep`: run every point of a sweep file headless on worker threads, with
 * results as JSON Lines (or CSV), a summary across seeds and a plot; and
 * `sweep merge`, which puts shards run on many machines back together.
 */
import { createWriteStream, openSync, readFileSync, type WriteStream } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { integer } from '../arguments.ts';
import type { Context } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { writePlot } from '../plot-file.ts';
import { table, type Column } from '../output.ts';
import type { Shard } from '../../lab/sweep-run.ts';
import type { SweepLine } from '../../lab/sweep-point.ts';
import type { SummaryRow } from '../../lab/sweep-results.ts';

interface SweepOptions {
  jobs?: number;
  out?: string;
  csv?: boolean;
  summary?: boolean;
  shard?: Shard;
  plot?: string;
  progress: boolean;
}

/** `I/N` with 0 ≤ I < N: the points whose number is I modulo N. */
export function shard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (match === null || Number(match[2]) < 1 || Number(match[1]) >= Number(match[2])) throw new InvalidArgumentError('expected I/N with 0 <= I < N, e.g. 0/3');
  return { index: Number(match[1]), count: Number(match[2]) };
}

/** Where the results go: a file (--out) or stdout. */
interface Sink {
  write(text: string): void;
  close(): Promise<void>;
}

function sink(ctx: Context, path: string | undefined): Sink {
  if (path === undefined) return { write: (text) => ctx.out.write(text), close: () => Promise.resolve() };
  let stream: WriteStream;
  try {
    // Opened now: a path that cannot be written stops the sweep before it runs.
    stream = createWriteStream(path, { fd: openSync(path, 'w') });
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let failure: Error | undefined;
  stream.on('error', (error) => (failure = error));
  return {
    write: (text) => stream.write(text),
    close: () =>
      new Promise((resolve, reject) =>
        stream.end(() => (failure === undefined ? resolve() : reject(new CliError(`cannot write ${path}: ${failure.message}`)))),
      ),
  };
}

/** On a terminal, a bar with runs done, rate and time left; otherwise a plain line at every tenth of the way. */
async function progressReporter(enabled: boolean): Promise<{ update(done: number, total: number): void; stop(): void }> {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = (await import('cli-progress')).default;
    const bar = new SingleBar({ format: 'sweep [{bar}] {value}/{total} runs | {rate}/s | {eta_formatted} left', stream: process.stderr, etaBuffer: 20, hideCursor: true }, Presets.shades_classic);
    const started = performance.now();
    let begun = false;
    return {
      update(done, total) {
        if (!begun) bar.start(total, 0, { rate: '0.0' });
        begun = true;
        bar.update(done, { rate: (done / ((performance.now() - started) / 1000)).toFixed(1) });
      },
      stop: () => bar.stop(),
    };
  }
  const started = performance.now();
  let shown = 0;
  return {
    update(done, total) {
      const step = Math.max(1, Math.ceil(total / 10));
      if (done !== total && done - shown < step) return;
      shown = done;
      const seconds = (performance.now() - started) / 1000;
      const rate = done / seconds;
      process.stderr.write(`sweep: ${done}/${total} runs, ${rate.toFixed(1)}/s, ${done === total ? `done in ${seconds.toFixed(1)} s` : `about ${Math.ceil((total - done) / rate)} s left`}\n`);
    },
    stop: () => undefined,
  };
}

async function sweep(ctx: Context, file: string, options: SweepOptions): Promise<void> {
  // The simulator, the worker pool and the charts load for this command only.
  const [{ readSweep, SweepError }, { runSweep, defaultJobs, WHOLE }, results] = await Promise.all([
    import('../../lab/sweep-file.ts'),
    import('../../lab/sweep-run.ts'),
    import('../../lab/sweep-results.ts'),
  ]);
  let plan;
  try {
    plan = readSweep(file);
  } catch (error) {
    if (error instanceof SweepError) throw new CliError(error.message);
    throw error;
  }
  const out = sink(ctx, options.out);
  const lines: SweepLine[] = [];
  if (options.csv === true) out.write(results.csvHeader(plan.vary.map((v) => v.path)));
  const progress = await progressReporter(options.progress);
  try {
    await runSweep(plan, {
      jobs: options.jobs ?? defaultJobs(),
      shard: options.shard ?? WHOLE,
      onLine(line) {
        lines.push(line);
        out.write(options.csv === true ? results.csvRows(line) : results.jsonLine(line));
      },
      onProgress: (done, total) => progress.update(done, total),
    });
  } finally {
    progress.stop();
    await out.close();
  }
  await finish(ctx, lines, options, options.out !== undefined);
}

/** The summary, the plot, and the exit code: failed runs make it 1. */
async function finish(ctx: Context, lines: readonly SweepLine[], options: { summary?: boolean; plot?: string; progress?: boolean }, resultsInFile: boolean): Promise<void> {
  const { summarise } = await import('../../lab/sweep-results.ts');
  // The summary goes where the results do not: stdout when they are in a file, else stderr.
  const write = resultsInFile ? (text: string) => ctx.out.write(text) : (text: string) => process.stderr.write(text);
  if (options.summary === true || (options.progress === true && process.stderr.isTTY)) write(summaryTable(ctx, summarise(lines)));
  if (options.plot !== undefined) await plot(options.plot, lines);
  const failed = lines.filter((line) => line.error !== undefined);
  if (failed.length > 0) {
    const first = failed[0]!;
    throw new CliError(`${failed.length} of ${lines.length} runs failed; the first, run ${first.run} (point ${first.point}, seed ${first.seed}): ${first.error}`);
  }
}

const plot = (path: string, lines: readonly SweepLine[]): Promise<void> =>
  writePlot(path, async () => (await import('../../lab/sweep-plot.ts')).sweepPlotSvg(lines));

const pct = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(2));

function summaryTable(ctx: Context, rows: readonly SummaryRow[]): string {
  const paths = rows.length === 0 ? [] : Object.keys(rows[0]!.values);
  const phases = new Set(rows.map((row) => row.phase)).size > 1;
  const columns: Column[] = [
    { title: 'Point', align: 'right' },
    ...paths.map((path) => ({ title: path, align: 'right' as const })),
    ...(phases ? [{ title: 'Phase', align: 'right' as const }] : []),
    { title: 'Name' },
    { title: 'Mean(%)', align: 'right' },
    { title: '±95%', align: 'right' },
    { title: 'Seeds', align: 'right' },
    { title: 'Failed', align: 'right' },
  ];
  const cells = rows.map((row) => [
    row.point,
    ...paths.map((path) => JSON.stringify(row.values[path])),
    ...(phases ? [row.estimate.n === 0 ? '-' : row.phase] : []),
    row.kind === 'group' ? `group ${row.name}` : row.name || '-',
    pct(row.estimate.mean),
    row.estimate.n === 0 ? '-' : pct(row.estimate.ci95),
    row.estimate.n,
    row.failed,
  ]);
  return table(ctx.out, columns, cells);
}

async function merge(ctx: Context, files: string[], options: SweepOptions): Promise<void> {
  const { mergeShards, MergeError, csvHeader, csvRows } = await import('../../lab/sweep-results.ts');
  const shards = files.map((name) => {
    try {
      return { name, text: readFileSync(name, 'utf8') };
    } catch (error) {
      throw new CliError(`cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  });
  let merged: string;
  try {
    merged = mergeShards(shards);
  } catch (error) {
    if (error instanceof MergeError) throw new CliError(`cannot merge: ${error.message.replaceAll('\n', '\n  ')}`);
    throw error;
  }
  const lines = merged
    .split('\n')
    .filter((text) => text !== '')
    .map((text) => JSON.parse(text) as SweepLine);
  const out = sink(ctx, options.out);
  if (options.csv === true) {
    out.write(csvHeader(Object.keys(lines[0]!.values)));
    for (const line of lines) out.write(csvRows(line));
  } else {
    out.write(merged);
  }
  await out.close();
  await finish(ctx, lines, { ...options, progress: false }, options.out !== undefined);
}

/** `sweep FILE` runs a sweep; `sweep merge OUT...` merges shards (one command: its options mean the same in both). */
async function sweepOrMerge(ctx: Context, first: string, rest: string[], options: SweepOptions): Promise<void> {
  if (first !== 'merge') {
    if (rest.length > 0) throw new UsageError(`one sweep file at a time (got ${[first, ...rest].join(' ')}); to merge shards: nemesis sweep merge OUT...`);
    return sweep(ctx, first, options);
  }
  if (rest.length === 0) throw new UsageError('sweep merge: name the shards\' outputs to merge');
  const runOnly = (['jobs', 'shard'] as const).filter((key) => options[key] !== undefined);
  if (runOnly.length > 0) throw new UsageError(`sweep merge: --${runOnly[0]} is for running a sweep, not merging`);
  return merge(ctx, rest, options);
}

export function sweepCommand(program: Command, ctx: () => Context): void {
  program
    .command('sweep')
    .usage('[options] FILE\n       nemesis sweep merge [options] OUT...')
    .description(
      'Run a sweep file (YAML or JSON, see sweep.schema.json) headless on worker threads: one JSON line per point and seed. `sweep merge OUT...` merges the outputs of --shard into exactly what one unsharded run writes',
    )
    .argument('<FILE>', 'the sweep (or `merge`)')
    .argument('[OUT...]', 'after `merge`: the shards\' JSON Lines files')
    .option('-j, --jobs <N>', 'worker threads (default: the number of cores)', integer(1))
    .option('-o, --out <FILE>', 'write the results here (default: stdout)')
    .option('--csv', 'the results as CSV: one row per run, phase and domain or group')
    .option('--summary', 'print the mean and 95% confidence interval across seeds per point (on stderr when the results go to stdout)')
    .option('--shard <I/N>', 'run only the points whose number is I modulo N (merge the N outputs with `sweep merge`)', shard)
    .option('--plot <FILE>', 'draw CPU % against the varied parameter (.svg or .png)')
    .option('--no-progress', 'no progress bar or lines on stderr')
    .action((first: string, rest: string[], options: SweepOptions) => sweepOrMerge(ctx(), first, rest, options));
}
