/** `run`: play a scenario file headless, in virtual time, with no daemon, and print the shares per phase. */
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { integer, number } from '../arguments.ts';
import type { Context } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { writePlot } from '../plot-file.ts';
import { printJson, table, type Column } from '../output.ts';
import type { ScenarioResult } from '../../lab/scenario.ts';
import type { TraceFormat } from '../../vocabulary/trace-formats.ts';
import type { WakeLatency } from '../../lab/wake-latency.ts';

/** One policy's run of a compared scenario, with its wake latencies per phase. */
interface PolicyRun {
  readonly policy: string;
  readonly result: ScenarioResult;
  readonly latencies: readonly ReadonlyMap<string, WakeLatency>[];
}

interface RunOptions {
  seconds?: number;
  /** Policies to run the scenario under, one after the other (Pool-0's scheduler). */
  compare?: string;
  csv?: boolean;
  trace?: string;
  traceFormat: TraceFormat;
  traceMaxEvents: number;
  plot?: string;
}

const DEFAULT_TRACE_MAX_EVENTS = 1_000_000;

const pct = (value: number | null): string => (value === null ? '-' : value.toFixed(1));
const s = (ms: number): string => String(ms / 1000);

async function run(ctx: Context, file: string, options: RunOptions): Promise<void> {
  // The simulator and the scenario parser load for this command only: the others start without them.
  const [{ runScenario, ScenarioError }, { parseScenario }, { formatTrace }, { phaseWakeLatencies, WAKE_TRACE_MAX_EVENTS }] = await Promise.all([
    import('../../lab/scenario.ts'),
    import('../../lab/scenario-file.ts'),
    import('../../lab/trace-format.ts'),
    import('../../lab/wake-latency.ts'),
  ]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (options.compare !== undefined) {
    if (options.csv === true || options.trace !== undefined) throw new UsageError('--compare does not go with --csv or --trace');
    const policies = options.compare.split(',').map((name) => name.trim());
    const bad = policies.find((name) => name !== 'credit' && name !== 'credit2');
    if (bad !== undefined || policies.length < 2) throw new UsageError(`--compare takes two or more of credit, credit2 (e.g. credit,credit2), got "${options.compare}"`);
    const results: PolicyRun[] = [];
    try {
      const spec = parseScenario(text, file);
      for (const policy of policies as ('credit' | 'credit2')[]) {
        // The scenario's `scheduler` is its own policy's parameters: another policy runs with its defaults.
        const own = (spec.host.sched ?? 'credit') === policy;
        if (!own && spec.scheduler !== undefined) ctx.out.warn(`scheduler: the scenario's parameters are ${spec.host.sched ?? 'credit'}'s; ${policy} runs with its defaults`);
        const { scheduler, ...rest } = spec;
        const variant = { ...rest, ...(own && scheduler !== undefined ? { scheduler } : {}), host: { ...spec.host, sched: policy } };
        // Traced for the wake latencies: recording changes nothing of the run (its trace_hash is the same).
        const result = runScenario(variant, { seconds: options.seconds, traceMaxEvents: WAKE_TRACE_MAX_EVENTS });
        results.push({ policy, result, latencies: phaseWakeLatencies(result) });
      }
    } catch (error) {
      if (error instanceof ScenarioError) throw new CliError(error.message);
      throw error;
    }
    if (ctx.out.json) return printJson(ctx.out, Object.fromEntries(results.map((run) => [run.policy, compareJson(run)])));
    return ctx.out.write(compareReport(ctx, results));
  }
  let result: ScenarioResult;
  try {
    const spec = parseScenario(text, file);
    // A plot is drawn from the run's trace: what each pCPU ran, switch by switch.
    const traced = options.trace !== undefined || options.plot !== undefined;
    result = runScenario(spec, { seconds: options.seconds, traceMaxEvents: traced ? options.traceMaxEvents : undefined });
  } catch (error) {
    if (error instanceof ScenarioError) throw new CliError(error.message);
    throw error;
  }
  for (const entry of result.ignored) ctx.out.warn(`${entry} is at or past the end of the run (${result.seconds} s): not applied`);
  if (result.trace?.truncated === true) ctx.out.warn(`the trace stopped at its limit of ${result.trace.max_events} events, at ${result.trace.end_ns / 1e9} s (--trace-max-events)`);
  if (options.trace !== undefined && result.trace !== null) writeFileSync(options.trace, formatTrace(result.trace, result.names, options.traceFormat));
  if (options.plot !== undefined) await plot(options.plot, result);
  if (ctx.out.json) {
    const { seconds, pcpus, phases, trace_hash, ignored } = result;
    return printJson(ctx.out, { seconds, pcpus, phases, trace_hash, ignored });
  }
  ctx.out.write(options.csv === true ? csv(result) : report(ctx, result));
}

const plot = (path: string, result: ScenarioResult): Promise<void> =>
  writePlot(path, async () => (await import('../../lab/shares-plot.ts')).sharesPlotSvg(result));

/** The phases and their changes, then one row per domain and per scheduling domain, one column per phase (percent of one pCPU). */
function report(ctx: Context, result: ScenarioResult): string {
  const phases = phasesTable(ctx, result);
  const columns: Column[] = [{ title: 'CPU(%)' }, ...result.phases.map((_, i) => ({ title: String(i + 1), align: 'right' as const }))];
  const rows = result.phases[0]!.domains.map((domain, d) => [domain.name, ...result.phases.map((phase) => pct(phase.domains[d]!.pct))]);
  const masters = [...new Set(result.phases.flatMap((phase) => phase.groups.map((g) => g.master)))];
  for (const master of masters) {
    rows.push([`group ${master}`, ...result.phases.map((phase) => pct(phase.groups.find((g) => g.master === master)?.pct ?? null))]);
  }
  return `${phases}\n${table(ctx.out, columns, rows)}`;
}

/** The phases and the changes that begin them. */
const phasesTable = (ctx: Context, result: ScenarioResult): string =>
  table(
    ctx.out,
    [{ title: 'Phase', align: 'right' }, { title: 'From(s)', align: 'right' }, { title: 'To(s)', align: 'right' }, { title: 'Changes at its start' }],
    result.phases.map((phase, i) => [i + 1, s(phase.from_ms), s(phase.to_ms), phase.changes.join('; ') || '-']),
  );

/**
 * The same rows, one column per phase and policy side by side (`1:credit`, `1:credit2`, ...);
 * then, for the domains that woke, how many times, and their mean and 99th-percentile wait from waking to running, µs.
 */
function compareReport(ctx: Context, results: readonly PolicyRun[]): string {
  const first = results[0]!.result;
  const columns = (title: string): Column[] => [
    { title },
    ...first.phases.flatMap((_, i) => results.map(({ policy }) => ({ title: `${i + 1}:${policy}`, align: 'right' as const }))),
  ];
  const cell = (i: number, pick: (phase: ScenarioResult['phases'][number]) => number | null) => results.map(({ result }) => pct(result.phases[i] === undefined ? null : pick(result.phases[i]!)));
  const rows = first.phases[0]!.domains.map((domain, d) => [domain.name, ...first.phases.flatMap((_, i) => cell(i, (phase) => phase.domains[d]?.pct ?? null))]);
  const masters = [...new Set(results.flatMap(({ result }) => result.phases.flatMap((phase) => phase.groups.map((g) => g.master))))];
  for (const master of masters) {
    rows.push([`group ${master}`, ...first.phases.flatMap((_, i) => cell(i, (phase) => phase.groups.find((g) => g.master === master)?.pct ?? null))]);
  }
  const shares = `${phasesTable(ctx, first)}\n${table(ctx.out, columns('CPU(%)'), rows)}`;
  const waking = first.phases[0]!.domains.map((d) => d.name).filter((name) => results.some(({ latencies }) => latencies.some((phase) => phase.has(name))));
  if (waking.length === 0) return shares;
  const wait = (name: string, stat: keyof WakeLatency) =>
    first.phases.flatMap((_, i) => results.map(({ latencies }) => {
      const latency = latencies[i]?.get(name);
      return latency === undefined ? '-' : stat === 'count' ? String(latency.count) : latency[stat].toFixed(1);
    }));
  const waits = waking.flatMap((name) => [[`${name} wakes`, ...wait(name, 'count')], [`${name} mean`, ...wait(name, 'mean_us')], [`${name} p99`, ...wait(name, 'p99_us')]]);
  return `${shares}\n${table(ctx.out, columns('Wake(us)'), waits)}`;
}

/** One policy's report as JSON: each domain row carries `wake_latency` in the phases it woke in. */
function compareJson({ result: { seconds, pcpus, phases, trace_hash }, latencies }: PolicyRun) {
  return {
    seconds,
    pcpus,
    phases: phases.map((phase, i) => ({
      ...phase,
      domains: phase.domains.map((d) => {
        const latency = latencies[i]?.get(d.name);
        return latency === undefined ? d : { ...d, wake_latency: latency };
      }),
    })),
    trace_hash,
  };
}

/** One line per phase and domain or group, for plotting. */
function csv(result: ScenarioResult): string {
  const lines = ['phase,from_s,to_s,kind,name,pct'];
  result.phases.forEach((phase, i) => {
    const at = `${i + 1},${s(phase.from_ms)},${s(phase.to_ms)}`;
    for (const domain of phase.domains) lines.push(`${at},domain,${domain.name},${domain.pct === null ? '' : domain.pct.toFixed(3)}`);
    for (const group of phase.groups) lines.push(`${at},group,${group.master},${group.pct.toFixed(3)}`);
  });
  return `${lines.join('\n')}\n`;
}

export function runCommand(program: Command, ctx: () => Context): void {
  program
    .command('run')
    .description('Run a scenario file (YAML or JSON, see scenario.schema.json) headless in virtual time, no daemon: CPU shares per phase of its timeline')
    .argument('<FILE>', 'the scenario')
    .option('--seconds <S>', "simulated seconds to run (default: the scenario's, or 60)", number)
    .option('--csv', 'one line per phase and domain or group, for plotting')
    .option('--compare <POLICIES>', "run it under each policy (Pool-0's scheduler), e.g. credit,credit2: the shares side by side")
    .option('--trace <FILE>', 'also write a scheduler trace of the whole run')
    .addOption(new Option('--trace-format <F>', 'chrome (Perfetto UI, chrome://tracing) or jsonl').choices(['chrome', 'jsonl']).default('chrome'))
    .option('--trace-max-events <N>', 'stop the trace (and the plot) after this many events', integer(1), DEFAULT_TRACE_MAX_EVENTS)
    .option('--plot <FILE>', 'draw each domain\'s CPU % over simulated time, stacked, with the phases marked (.svg or .png)')
    .action((file: string, options: RunOptions) => run(ctx(), file, options));
}
