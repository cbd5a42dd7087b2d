/**
 * Cpupools, as xl names them: cpupool-list, cpupool-create (flags or an
 * xlcpupool.cfg file: name, sched, cpus), cpupool-destroy, cpupool-cpu-add,
 * cpupool-cpu-remove, cpupool-migrate; and sched-credit2 (-p POOL).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { integer, runqueueArrangement, type Credit2Runqueue } from '../arguments.ts';
import { call, type Cpupool, type Schemas } from '../client.ts';
import { listCpupools, pcpuCount, type Context } from '../context.ts';
import { formatCpuList, parseCpuList, resolveCpuList } from '../cpu-list.ts';
import { CliError, UsageError } from '../errors.ts';
import { keyValues, printJson, table } from '../output.ts';
import { everyDomain, poolsRunning, runSched, withDomainSchedOptions, type DomainSchedOptions } from './sched.ts';
import { parseXlConfig, type XlValue } from '../xl-config.ts';

type CreateCpupool = Schemas['CreateCpupoolRequest'];

const LIST_COLUMNS = [{ title: 'Name' }, { title: 'CPUs', align: 'right' }, { title: 'Sched' }, { title: 'Active' }, { title: 'Domain count', align: 'right' }] as const;
const CPU_COLUMNS = [{ title: 'Name' }, { title: 'CPU list' }] as const;

const poolPath = (ref: string) => ({ params: { path: { ref } } });

async function list(ctx: Context, pool: string | undefined, cpus: boolean): Promise<void> {
  const { api } = ctx.connection;
  const pools = pool === undefined ? await listCpupools(ctx) : [await call(ctx.connection, api.GET('/api/v1/cpupools/{ref}', poolPath(pool)))];
  if (ctx.out.json) return printJson(ctx.out, pools);
  if (cpus) return ctx.out.write(table(ctx.out, CPU_COLUMNS, pools.map((p) => [p.name, p.pcpus.length === 0 ? '-' : formatCpuList(p.pcpus)])));
  ctx.out.write(table(ctx.out, LIST_COLUMNS, pools.map((p) => [p.name, p.pcpus.length, p.sched, 'y', p.domains.length])));
}

const printPool = (ctx: Context, pool: Cpupool): Promise<void> => list(ctx, String(pool.id), false);

/** A CPU list (`2`, `2-3`, `all`, `^0`) as pCPU ids of this host. */
async function pcpusOf(ctx: Context, text: string, what: string): Promise<number[]> {
  try {
    const count = await pcpuCount(ctx);
    const resolved = resolveCpuList(parseCpuList(text), count);
    return resolved === 'all' ? Array.from({ length: count }, (_, i) => i) : resolved;
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`${what}: ${error.message}`);
    throw error;
  }
}

interface CreateOptions {
  file?: string;
  name?: string;
  sched?: 'credit' | 'credit2';
  cpus?: string;
  runqueue?: Credit2Runqueue;
}

/** An xlcpupool.cfg(5) file: `name`, `sched` and `cpus` (a CPU list string, or a list of CPUs). */
export function xlCpupool(source: string, file: string): { name?: string; sched?: string; cpus?: string; ignored: string[] } {
  const result: { name?: string; sched?: string; cpus?: string; ignored: string[] } = { ignored: [] };
  const text = (key: string, value: XlValue): string => {
    if (typeof value !== 'string') throw new CliError(`${file}: ${key} must be a string`);
    return value;
  };
  for (const [key, value] of parseXlConfig(source, file)) {
    if (key === 'name' || key === 'sched') result[key] = text(key, value);
    else if (key === 'cpus') result.cpus = Array.isArray(value) ? value.map(String).join(',') : String(value);
    else result.ignored.push(key);
  }
  return result;
}

/** xl's `KEY=VALUE` settings as config lines: a value the shell left unquoted (`name=batch`) is taken as a string. */
const settingLines = (settings: readonly string[]): string =>
  settings.map((setting) => {
    const at = setting.indexOf('=');
    const value = setting.slice(at + 1).trim();
    return /^(["'[]|[0-9]+$)/.test(value) ? setting : `${setting.slice(0, at)} = "${value}"`;
  }).join('\n');

function readConfig(ctx: Context, file: string | undefined, settings: readonly string[]): ReturnType<typeof xlCpupool> {
  let source = '';
  if (file !== undefined) {
    try {
      source = readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  // As in xl, settings on the command line come after the file's lines and so override them.
  const config = xlCpupool(`${source}\n${settingLines(settings)}`, file ?? 'the command line');
  if (config.ignored.length > 0) ctx.out.warn(`${file ?? 'the command line'}: ignored (not a cpupool setting): ${config.ignored.join(', ')}`);
  return config;
}

/** xl cpupool-create [CONFIG_FILE] [KEY=VALUE ...], or -f FILE and flags (which override both). */
async function create(ctx: Context, args: readonly string[], options: CreateOptions): Promise<void> {
  const files = args.filter((arg) => !arg.includes('='));
  if (files.length + (options.file === undefined ? 0 : 1) > 1) throw new UsageError(`one config file at most, got ${[options.file, ...files].filter(Boolean).join(', ')}`);
  const file = options.file ?? files[0];
  const config = readConfig(ctx, file, args.filter((arg) => arg.includes('=')));
  const name = options.name ?? config.name;
  if (name === undefined) throw new UsageError(file === undefined ? 'a name is required: name=NAME, --name NAME or a config file' : `${file} has no name`);
  const sched = options.sched ?? config.sched;
  if (sched !== undefined && sched !== 'credit' && sched !== 'credit2') throw new UsageError(`sched must be credit or credit2, got "${sched}"`);
  const cpus = options.cpus ?? config.cpus;
  const pcpus = cpus === undefined ? undefined : await pcpusOf(ctx, cpus, 'cpus');
  const body: CreateCpupool = {
    name,
    ...(sched === undefined ? {} : { sched }),
    ...(pcpus === undefined ? {} : { pcpus }),
    ...(options.runqueue === undefined ? {} : { credit2_runqueue: options.runqueue }),
  };
  await printPool(ctx, await call(ctx.connection, ctx.connection.api.POST('/api/v1/cpupools', { body })));
}

/** Each CPU of a list (`2`, `2-3`, `2,5`), one request at a time, as xl does. */
async function changeCpus(ctx: Context, pool: string, cpus: string, add: boolean): Promise<void> {
  const ids = await pcpusOf(ctx, cpus, 'CPUS');
  const { api } = ctx.connection;
  let last: Cpupool | undefined;
  for (const pcpu of ids) {
    last = add
      ? await call(ctx.connection, api.POST('/api/v1/cpupools/{ref}/pcpus', { ...poolPath(pool), body: { pcpu } }))
      : await call(ctx.connection, api.DELETE('/api/v1/cpupools/{ref}/pcpus/{pcpu}', { params: { path: { ref: pool, pcpu: String(pcpu) } } }));
  }
  if (last !== undefined) await printPool(ctx, last);
}

interface Credit2Options extends DomainSchedOptions {
  ratelimit?: number;
  runqueue?: Credit2Runqueue;
  cpupool?: string;
}

/** xl sched-credit2: a pool's parameters (-s, -p), one domain's weight and cap (-d), or every domain of a pool (-p) or of the host. */
async function schedCredit2(ctx: Context, options: Credit2Options): Promise<void> {
  const { api } = ctx.connection;
  const showPool = async (): Promise<void> => {
    const [pool = 'Pool-0'] = await poolsRunning(ctx, 'credit2', options.cpupool ?? 'Pool-0');
    const change = { ...(options.ratelimit === undefined ? {} : { ratelimit_us: options.ratelimit }), ...(options.runqueue === undefined ? {} : { runqueue: options.runqueue }) };
    const scheduler = await call(
      ctx.connection,
      Object.keys(change).length === 0
        ? api.GET('/api/v1/cpupools/{ref}/scheduler', poolPath(pool))
        : api.PUT('/api/v1/cpupools/{ref}/scheduler', { ...poolPath(pool), body: change }),
    );
    if (ctx.out.json) return printJson(ctx.out, scheduler);
    return ctx.out.write(
      keyValues([
        ['cpupool', pool],
        ['scheduler', scheduler.name],
        ['profile', scheduler.profile],
        ['ratelimit_us', scheduler.ratelimit_us],
        ['inflight_credit', scheduler.inflight_credit],
        ['runqueue', scheduler.runqueue],
      ]),
    );
  };
  const given = options.ratelimit !== undefined || options.runqueue !== undefined;
  return runSched(ctx, options, 'credit2', { given, withoutSchedule: '-r and -q need -s', show: showPool }, () => everyDomain(ctx, 'credit2', options.cpupool));
}

export function cpupoolCommands(program: Command, ctx: () => Context): void {
  program
    .command('cpupool-list')
    .description('List cpupools: pCPUs, scheduler and domains (-c: the CPU list)')
    .argument('[POOL]', 'one cpupool: name or id')
    .option('-c, --cpus', 'show each pool\'s CPU list')
    .action((pool: string | undefined, options: { cpus?: boolean }) => list(ctx(), pool, options.cpus === true));

  program
    .command('cpupool-create')
    .description('Create a cpupool, as xl does, from an xlcpupool.cfg file and KEY=VALUE settings (name, sched, cpus), or from flags; its CPUs must be free')
    .argument('[SETTINGS...]', 'a config file and/or settings such as name=batch sched=credit2 cpus=2-3 (they override the file)')
    .option('-f, --file <FILE>', 'an xlcpupool.cfg file: name = "...", sched = "credit|credit2", cpus = "2-3" (or a list)')
    .option('--name <NAME>', 'its name (overrides the file)')
    .option('--sched <SCHED>', 'credit or credit2 (default: Pool-0\'s)')
    .option('--cpus <CPUS>', 'free CPUs it takes, e.g. 2-3 (overrides the file)')
    .option('--runqueue <ARRANGEMENT>', "credit2: its runqueues per cpu, core, socket, node or all (default: the host's)", runqueueArrangement)
    .action((settings: string[], options: CreateOptions) => create(ctx(), settings, options));

  program
    .command('cpupool-destroy')
    .description('Destroy a cpupool (not Pool-0, not while domains live in it); its CPUs become free')
    .argument('<POOL>', 'name or id')
    .action(async (pool: string) => {
      const c = ctx();
      await call(c.connection, c.connection.api.DELETE('/api/v1/cpupools/{ref}', poolPath(pool)));
    });

  program
    .command('cpupool-cpu-add')
    .description('Give free CPUs to a cpupool')
    .argument('<POOL>', 'name or id')
    .argument('<CPUS>', 'a CPU or a list, e.g. 3 or 2-3')
    .action((pool: string, cpus: string) => changeCpus(ctx(), pool, cpus, true));

  program
    .command('cpupool-cpu-remove')
    .description('Take CPUs out of a cpupool: they become free')
    .argument('<POOL>', 'name or id')
    .argument('<CPUS>', 'a CPU or a list, e.g. 3 or 2-3')
    .action((pool: string, cpus: string) => changeCpus(ctx(), pool, cpus, false));

  program
    .command('cpupool-migrate')
    .description('Move a domain to another cpupool (not a domain in a scheduling domain)')
    .argument('<DOM>', 'the domain: name or domid')
    .argument('<POOL>', 'the cpupool: name or id')
    .action(async (domain: string, cpupool: string) => {
      const c = ctx();
      await call(c.connection, c.connection.api.PUT('/api/v1/domains/{ref}/cpupool', { params: { path: { ref: domain } }, body: { cpupool } }));
    });

  withDomainSchedOptions(
    program
      .command('sched-credit2')
      .description('Show or set credit2 parameters: domains\' weight and cap (all, -p POOL\'s or -d DOM\'s), or a pool\'s (-s [-p POOL])'),
    'the pool\'s parameters',
  )
    .option('-p, --cpupool <POOL>', 'the cpupool (default Pool-0 with -s)')
    .option('-r, --ratelimit <RATELIMIT_US>', 'with -s: set the rate limit, us (100..500000)', integer())
    .option('-q, --runqueue <ARRANGEMENT>', 'with -s: set the runqueue arrangement (cpu, core, socket, node, all); the pool starts afresh', runqueueArrangement)
    .action((options: Credit2Options) => schedCredit2(ctx(), options));
}
