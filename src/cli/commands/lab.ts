/** `what-if` (changes previewed on a copy of the host) and `replay` (a run's log, re-run headless). */
import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { integer } from '../arguments.ts';
import { call, type Schemas } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { keyValues, printJson, table, type Column } from '../output.ts';
import type { ReplayLog } from '../../lab/replay.ts';

type Change = Schemas['WhatIfChange'];

const SET = /^([A-Za-z0-9._-]+)\.(weight|cap)=(\d+)$/;

/** `DOM.weight=W` or `DOM.cap=C`: a PUT of that domain's credit parameters. */
export function setChange(text: string, previous: Change[] = []): Change[] {
  const match = SET.exec(text);
  if (match === null) throw new InvalidArgumentError('expected DOM.weight=W or DOM.cap=C');
  return [...previous, { method: 'PUT', path: `/domains/${encodeURIComponent(match[1]!)}/sched`, body: { [match[2]!]: Number(match[3]) } }];
}

/** A JSON file: an array of changes, or `{ "changes": [...] }`. */
function changesFile(path: string): Change[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read changes from ${path}: ${(error as Error).message}`);
  }
  const changes = Array.isArray(parsed) ? parsed : (parsed as { changes?: unknown } | null)?.changes;
  if (!Array.isArray(changes)) throw new CliError(`${path}: expected a JSON array of changes ({method, path, body}) or {"changes": [...]}`);
  return changes as Change[];
}

const pct = (value: number | null): string => (value === null ? '-' : value.toFixed(1));

interface WhatIfOptions {
  ms: number;
  set?: Change[];
  file?: string;
  trace?: string;
  /** Policies to run the what-if under, side by side. */
  compare?: Schemas['WhatIfPolicyResult']['policy'][];
}

const POLICIES = ['credit', 'credit2'] as const;

/** `credit,credit2`: two or more distinct policies. */
export function policyList(text: string): Schemas['WhatIfPolicyResult']['policy'][] {
  const names = text.split(',').map((name) => name.trim());
  const bad = names.find((name) => !(POLICIES as readonly string[]).includes(name));
  if (bad !== undefined || names.length < 2 || new Set(names).size !== names.length) throw new InvalidArgumentError('expected two or more of credit, credit2, each once (e.g. credit,credit2)');
  return names as Schemas['WhatIfPolicyResult']['policy'][];
}

async function whatIf(ctx: Context, options: WhatIfOptions): Promise<void> {
  const changes = [...(options.file === undefined ? [] : changesFile(options.file)), ...(options.set ?? [])];
  if (options.compare !== undefined && options.trace !== undefined) throw new UsageError('--compare does not go with --trace');
  const { api } = ctx.connection;
  const body = { ms: options.ms, changes, ...(options.trace === undefined ? {} : { trace: true }), ...(options.compare === undefined ? {} : { policies: options.compare }) };
  const report = await call(ctx.connection, api.POST('/api/v1/host/what-if', { body }));
  if ('policies' in report) return ctx.out.json ? printJson(ctx.out, report) : ctx.out.write(comparison(ctx, report));
  if (options.trace !== undefined && report.trace_id !== undefined) {
    const trace = await call(ctx.connection, api.GET('/api/v1/host/trace/{id}', { params: { path: { id: String(report.trace_id) } }, parseAs: 'text' }));
    writeFileSync(options.trace, trace);
    if (!ctx.out.json) ctx.out.warn(`the changed copy's scheduler trace (${Buffer.byteLength(trace)} bytes) is in ${options.trace}: open it in https://ui.perfetto.dev`);
  }
  if (ctx.out.json) return printJson(ctx.out, report);
  const columns = [{ title: 'Name' }, { title: 'ID', align: 'right' }, { title: 'Predicted(%)', align: 'right' }, { title: 'Baseline(%)', align: 'right' }, { title: 'Expected(%)', align: 'right' }] as const;
  ctx.out.write(table(ctx.out, columns, report.domains.map((d) => [d.name, d.id, pct(d.predicted_pct), pct(d.baseline_pct), pct(d.expected_pct)])));
  if (report.scheduling_domains.length > 0) {
    const names = new Map(report.domains.map((d) => [d.id, d.name]));
    const groupColumns = [{ title: 'Group' }, { title: 'Predicted(%)', align: 'right' }, { title: 'Baseline(%)', align: 'right' }, { title: 'Expected(%)', align: 'right' }] as const;
    ctx.out.write(`\n${table(ctx.out, groupColumns, report.scheduling_domains.map((g) => [names.get(g.master) ?? String(g.master), pct(g.predicted_pct), pct(g.baseline_pct), pct(g.expected_pct)]))}`);
  }
}

type Shares = Pick<Schemas['WhatIfDomain'], 'predicted_pct' | 'baseline_pct' | 'expected_pct'>;

/** Each policy's copy, then predicted, baseline and expected shares with the policies in adjacent columns. */
function comparison(ctx: Context, report: Schemas['WhatIfComparison']): string {
  const results = report.policies;
  const copies = results.map((r) => `${r.policy}: ${r.copy === 'exact' ? 'the exact copy' : `restarted under ${r.policy} (switched: ${r.switched_pools.join(', ')})`}`);
  const measures = [['Predicted', 'predicted_pct'], ['Baseline', 'baseline_pct'], ['Expected', 'expected_pct']] as const;
  const columns = (first: string): Column[] => [{ title: first }, ...measures.flatMap(([title]) => results.map((r) => ({ title: `${title}:${r.policy}`, align: 'right' as const })))];
  const cells = (find: (r: Schemas['WhatIfPolicyResult']) => Shares | undefined) => measures.flatMap(([, key]) => results.map((r) => pct(find(r)?.[key] ?? null)));
  const names = new Map(results.flatMap((r) => r.domains.map((d) => [d.id, d.name] as const)));
  const parts = [`${copies.join('; ')}\n`, table(ctx.out, columns('Name'), [...names].map(([id, name]) => [name, ...cells((r) => r.domains.find((d) => d.id === id))]))];
  const masters = [...new Set(results.flatMap((r) => r.scheduling_domains.map((g) => g.master)))];
  if (masters.length > 0) parts.push(table(ctx.out, columns('Group'), masters.map((master) => [names.get(master) ?? String(master), ...cells((r) => r.scheduling_domains.find((g) => g.master === master))])));
  return parts.join('\n');
}

async function replayLog(ctx: Context, path: string): Promise<void> {
  // The simulator loads for this command only (as for `run`).
  const { replay, ReplayError } = await import('../../lab/replay.ts');
  let log;
  try {
    log = JSON.parse(path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8')) as ReplayLog;
  } catch (error) {
    throw new CliError(`cannot read the replay log ${path}: ${(error as Error).message}`);
  }
  let report;
  try {
    report = replay(log);
  } catch (error) {
    if (error instanceof ReplayError || error instanceof TypeError) throw new CliError(`${path}: ${error.message}`);
    throw error;
  }
  if (ctx.out.json) printJson(ctx.out, report);
  else ctx.out.write(keyValues([['entries', report.entries], ['now_ns', report.now_ns], ['trace_hash', report.trace_hash], ['logged', report.expected_trace_hash], ['matches', report.matches ? 'yes' : 'NO']]));
  if (!report.matches) throw new CliError(`the replay reached trace_hash ${report.trace_hash}, the log says ${report.expected_trace_hash}`);
}

export function labCommands(program: Command, ctx: () => Context): void {
  program
    .command('what-if')
    .description('Preview changes on a copy of the host: each domain\'s and group\'s share with and without them (the host is untouched)')
    .requiredOption('--ms <MS>', 'simulated ms to look ahead (1..600000)', integer(1))
    .option('--set <DOM.KEY=VALUE>', 'a domain\'s weight or cap, e.g. web.cap=10 (repeatable)', setChange)
    .option('-f, --file <FILE>', 'changes as JSON: [{"method","path","body"}] (paths under /api/v1; - reads stdin)')
    .option('--trace <FILE>', 'also write the changed copy\'s scheduler trace over the look-ahead (Chrome Trace Event JSON)')
    .option('--compare <POLICIES>', 'run it under each policy, e.g. credit,credit2: the shares side by side', policyList)
    .action((options: WhatIfOptions) => whatIf(ctx(), options));

  program
    .command('replay')
    .argument('<LOG>', 'a replay log (GET /api/v1/host/replay-log; - reads stdin)')
    .description('Re-run a replay log headless (no daemon) and check that it reaches the trace hash it recorded (exit 1 when not)')
    .action((path: string) => replayLog(ctx(), path));
}
