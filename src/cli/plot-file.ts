/** `--plot FILE` of run and sweep: the figure written as the file's extension asks, or one line saying why not. */
import { writeFileSync } from 'node:fs';
import { CliError } from './errors.ts';

/** `svg` draws the figure; the plotting code loads only when a plot is asked for. */
export async function writePlot(path: string, svg: () => Promise<string>): Promise<void> {
  const { plotBytes, PlotError } = await import('../lab/chart.ts');
  try {
    writeFileSync(path, plotBytes(path, await svg()));
  } catch (error) {
    if (error instanceof PlotError) throw new CliError(`--plot ${error.message}`);
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}
