/** `sched-credit`: per-domain weight and cap, and the scheduler-wide parameters, like `xl sched-credit`. */
import type { Command } from 'commander';
import { integer } from '../arguments.ts';
import { call, callVersioned, ifMatch } from '../client.ts';
import { getDomain, listCpupools, listDomains, type Context } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { keyValues, printJson, table } from '../output.ts';

/** The options sched-credit and sched-credit2 share, as xl's: a domain (-d) and its weight and cap (-w, -c), or the scheduler's own (-s). */
export interface DomainSchedOptions {
  domain?: string;
  weight?: number;
  cap?: number;
  schedule?: boolean;
}

interface SchedOptions extends DomainSchedOptions {
  tslice?: number;
  ratelimit?: number;
  cpupool?: string;
}

/** Add the shared options; `schedule` says what -s shows. */
export const withDomainSchedOptions = (command: Command, schedule: string): Command =>
  command
    .option('-d, --domain <DOM>', 'the domain: name or domid')
    .option('-w, --weight <W>', 'set its weight (1..65535)', integer(1))
    .option('-c, --cap <C>', 'set its cap, % of one pCPU (0 = none)', integer())
    .option('-s, --schedule', schedule);

/** The scheduler's side of a sched command: whether any of its flags (which need -s) was given, the refusal if so without -s, and what -s does. */
export interface SchedulerSide {
  readonly given: boolean;
  readonly withoutSchedule: string;
  readonly show: () => Promise<void>;
}

/** The policy a sched command is for: xl's sched-credit and sched-credit2 each work on the pools that run theirs. */
export type PolicyName = 'credit' | 'credit2';

/** The cpupools running `policy`; only `pool` (name or id) when given, refused when that one runs the other policy. */
export async function poolsRunning(ctx: Context, policy: PolicyName, pool?: string): Promise<string[]> {
  const { api } = ctx.connection;
  if (pool !== undefined) {
    const found = await call(ctx.connection, api.GET('/api/v1/cpupools/{ref}', { params: { path: { ref: pool } } }));
    if (found.sched !== policy) throw new CliError(`cpupool ${found.name} runs ${found.sched}, not ${policy}: use sched-${found.sched} -p ${found.name}`);
    return [found.name];
  }
  return (await listCpupools(ctx)).filter((p) => p.sched === policy).map((p) => p.name);
}

/** What both sched commands do with the shared options: -s the scheduler's parameters, -d one domain's weight and cap, neither `every` domain's. */
export function runSched(ctx: Context, options: DomainSchedOptions, policy: PolicyName, scheduler: SchedulerSide, every: () => Promise<void>): Promise<void> {
  const perDomain = options.weight !== undefined || options.cap !== undefined;
  if (options.schedule === true) {
    if (options.domain !== undefined || perDomain) throw new UsageError('-s does not go with -d, -w or -c');
    return scheduler.show();
  }
  if (scheduler.given) throw new UsageError(scheduler.withoutSchedule);
  if (options.domain !== undefined) return oneDomain(ctx, options.domain, policy, options);
  if (perDomain) throw new UsageError('-w and -c need -d DOM');
  return every();
}

export const SCHED_COLUMNS = [{ title: 'Name' }, { title: 'ID', align: 'right' }, { title: 'Weight', align: 'right' }, { title: 'Cap', align: 'right' }] as const;

/** The credit parameters of Pool-0 (`/scheduler`) or of `-p POOL`, set first when -t or -r are given. */
async function schedulerWide(ctx: Context, options: SchedOptions): Promise<void> {
  const { api } = ctx.connection;
  const [pool] = await poolsRunning(ctx, 'credit', options.cpupool ?? 'Pool-0');
  const body = {
    ...(options.tslice === undefined ? {} : { tslice_ms: options.tslice }),
    ...(options.ratelimit === undefined ? {} : { ratelimit_us: options.ratelimit }),
  };
  const path = { params: { path: { ref: pool! } } };
  // Read, then write against the version read: a change another client made meanwhile is refused, not overwritten.
  // Pool-0's is the host's scheduler, `/scheduler`, as before cpupools.
  const read = options.cpupool === undefined
    ? await callVersioned(ctx.connection, api.GET('/api/v1/scheduler'))
    : await callVersioned(ctx.connection, api.GET('/api/v1/cpupools/{ref}/scheduler', path));
  const header = ifMatch(read.etag);
  const scheduler = Object.keys(body).length === 0
    ? read.data
    : options.cpupool === undefined
      ? await call(ctx.connection, api.PUT('/api/v1/scheduler', { params: { header }, body }))
      : await call(ctx.connection, api.PUT('/api/v1/cpupools/{ref}/scheduler', { params: { ...path.params, header }, body }));
  if (ctx.out.json) return printJson(ctx.out, scheduler);
  if (scheduler.name !== 'credit') throw new CliError(`cpupool ${pool} runs ${scheduler.name}`);
  ctx.out.write(keyValues([
    ['scheduler', scheduler.name],
    ['tslice_ms', scheduler.tslice_ms],
    ['ratelimit_us', scheduler.ratelimit_us],
    ['tick_ms', scheduler.tick_ms],
    ['accounting', scheduler.accounting],
  ]));
}

/** One domain's weight and cap, set first when -w or -c are given. */
async function oneDomain(ctx: Context, ref: string, policy: PolicyName, options: Pick<SchedOptions, 'weight' | 'cap'>): Promise<void> {
  const domain = await getDomain(ctx, ref);
  const pool = await call(ctx.connection, ctx.connection.api.GET('/api/v1/cpupools/{ref}', { params: { path: { ref: domain.cpupool } } }));
  if (pool.sched !== policy) throw new CliError(`${domain.name} lives in cpupool ${pool.name}, which does not run ${policy}: use sched-${pool.sched} -d ${domain.name}`);
  const body = {
    ...(options.weight === undefined ? {} : { weight: options.weight }),
    ...(options.cap === undefined ? {} : { cap: options.cap }),
  };
  const { api } = ctx.connection;
  const path = { params: { path: { ref } } };
  const read = await callVersioned(ctx.connection, api.GET('/api/v1/domains/{ref}/sched', path));
  const sched: { weight: number; cap: number; warnings?: string[] } = Object.keys(body).length === 0
    ? read.data
    : await call(ctx.connection, api.PUT('/api/v1/domains/{ref}/sched', { params: { path: { ref }, header: ifMatch(read.etag) }, body }));
  if (ctx.out.json) return printJson(ctx.out, sched);
  // A member's weight or cap is stored but not in force: the daemon says so.
  for (const warning of sched.warnings ?? []) ctx.out.warn(warning);
  ctx.out.write(table(ctx.out, SCHED_COLUMNS, [[domain.name, domain.id, sched.weight, sched.cap]]));
}

/** The weight and cap of every domain living in a cpupool that runs `policy` (only `pool`, when given). */
export async function everyDomain(ctx: Context, policy: PolicyName, pool?: string): Promise<void> {
  const pools = new Set(await poolsRunning(ctx, policy, pool));
  const domains = (await listDomains(ctx)).filter((d) => pools.has(d.cpupool));
  if (ctx.out.json) return printJson(ctx.out, domains.map(({ id, name, sched }) => ({ id, name, ...sched })));
  ctx.out.write(table(ctx.out, SCHED_COLUMNS, domains.map((d) => [d.name, d.id, d.sched.weight, d.sched.cap])));
}

function sched(ctx: Context, options: SchedOptions): Promise<void> {
  const scheduler: SchedulerSide = {
    given: options.tslice !== undefined || options.ratelimit !== undefined,
    withoutSchedule: '-t and -r need -s',
    show: () => schedulerWide(ctx, options),
  };
  return runSched(ctx, options, 'credit', scheduler, () => everyDomain(ctx, 'credit', options.cpupool));
}

export function schedCommands(program: Command, ctx: () => Context): void {
  withDomainSchedOptions(
    program
      .command('sched-credit')
      .description('Show or set credit parameters: the weight and cap of the domains in pools running credit (all, -p POOL\'s or -d DOM\'s), or a pool\'s (-s [-p POOL])'),
    'the scheduler-wide parameters',
  )
    .option('-t, --tslice <TSLICE_MS>', 'with -s: set the timeslice, ms', integer(1))
    .option('-r, --ratelimit <RATELIMIT_US>', 'with -s: set the rate limit, us (0 = off)', integer())
    .option('-p, --cpupool <POOL>', 'only this cpupool (it must run credit); with -s, its parameters (default Pool-0)')
    .action((options: SchedOptions) => sched(ctx(), options));
}
