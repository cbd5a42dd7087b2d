/** A sweep's worker thread (tinypool): runs the runs it is handed. The plan comes with each task and is kept while the sweep is the same. */
import type { SweepPlan } from './sweep-file.ts';
import { runSweepPoint, type SweepLine } from './sweep-point.ts';

export interface SweepTask {
  readonly plan: SweepPlan;
  readonly run: number;
}

export default function runTask({ plan, run }: SweepTask): SweepLine {
  return runSweepPoint(plan, run);
}
