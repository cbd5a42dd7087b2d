/**
 * Running a sweep on worker threads (tinypool): every run of the shard is
 * queued at once, each worker takes the next, and the lines come out in the
 * order of their run numbers whatever order they finish in, so any number of
 * jobs writes the same bytes.
 */
import { availableParallelism } from 'node:os';
import { Tinypool } from 'tinypool';
import type { SweepPlan } from './sweep-file.ts';
import type { SweepLine } from './sweep-point.ts';
import type { SweepTask } from './sweep-worker.ts';

/** The worker's source beside this file: .ts when run from the sources, .js when built. */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './sweep-worker.ts' : './sweep-worker.js', import.meta.url);

export interface Shard {
  /** 0 ≤ index < count: this shard runs the points whose number is `index` modulo `count`. */
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

export const defaultJobs = (): number => availableParallelism();

/** The run numbers of the shard, in order: all seeds of each of its points. */
export function shardRuns(plan: SweepPlan, shard: Shard): number[] {
  const runs: number[] = [];
  for (let point = shard.index; point < plan.points; point += shard.count) {
    for (let s = 0; s < plan.seeds.length; s++) runs.push(point * plan.seeds.length + s);
  }
  return runs;
}

export interface SweepRunOptions {
  readonly jobs: number;
  readonly shard: Shard;
  /** Each line, in run order, as soon as it and all before it are done. */
  readonly onLine: (line: SweepLine) => void;
  /** After each run finishes (in any order): how many are done. */
  readonly onProgress?: (done: number, total: number) => void;
}

export async function runSweep(plan: SweepPlan, options: SweepRunOptions): Promise<void> {
  const runs = shardRuns(plan, options.shard);
  const jobs = Math.max(1, Math.min(options.jobs, runs.length));
  const pool = new Tinypool({ filename: WORKER_URL.href, minThreads: jobs, maxThreads: jobs, isolateWorkers: false });
  let done = 0;
  try {
    const pending = runs.map((run) =>
      (pool.run({ plan, run } satisfies SweepTask) as Promise<SweepLine>).then(
        (line) => {
          options.onProgress?.(++done, runs.length);
          return { line };
        },
        (error: unknown) => ({ error }),
      ),
    );
    // Awaited in order: a line is written once every line before it is.
    for (const outcome of pending) {
      const settled = await outcome;
      if ('error' in settled) throw settled.error;
      options.onLine(settled.line);
    }
  } finally {
    await pool.destroy();
  }
}
