/** `list`, `create`, the power actions, `rename` and `delete`: the domains themselves, as `xl` has them. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { integer, workload } from '../arguments.ts';
import { call, type Domain, type Schemas } from '../client.ts';
import { getDomain, listDomains, listGroups, pcpuCount, type Context } from '../context.ts';
import { needsPcpuCount, parseCpuList, resolveCpuList, type CpuList } from '../cpu-list.ts';
import { CliError, UsageError } from '../errors.ts';
import { keyValues, printJson, seconds, state, table } from '../output.ts';
import { parseXlConfig, xlDomain } from '../xl-config.ts';

type Ctx = () => Context;

const LIST_COLUMNS = [
  { title: 'Name' },
  { title: 'ID', align: 'right' },
  { title: 'Mem', align: 'right' },
  { title: 'VCPUs', align: 'right' },
  { title: 'State' },
  { title: 'Time(s)', align: 'right' },
  { title: 'Weight', align: 'right' },
  { title: 'Cap', align: 'right' },
  { title: 'Group' },
] as const;

/** The group a domain is in: its master's name, for members and masters alike; "-" for none. */
async function groupNames(ctx: Context, everyone: readonly Domain[]): Promise<Map<number, string>> {
  const names = new Map(everyone.map((domain) => [domain.id, domain.name]));
  const groups = new Map<number, string>();
  for (const group of await listGroups(ctx)) {
    const master = names.get(group.master) ?? String(group.master);
    groups.set(group.master, master);
    for (const member of group.members) groups.set(member.domain, master);
  }
  return groups;
}

/** Domains as `xl list` shows them (or their API objects with --json). */
export async function printDomains(ctx: Context, domains: readonly Domain[], options: { readonly cpupool?: boolean } = {}): Promise<void> {
  if (ctx.out.json) return printJson(ctx.out, domains);
  const groups = await groupNames(ctx, await listDomains(ctx));
  const pools = options.cpupool === true;
  const rows = domains.map((d) => [
    d.name, d.id, d.memory_mb, d.vcpus, state(ctx.out, d.state), seconds(d.cpu_time_ns), d.sched.weight, d.sched.cap, groups.get(d.id) ?? '-',
    ...(pools ? [d.cpupool] : []),
  ]);
  ctx.out.write(table(ctx.out, pools ? [...LIST_COLUMNS, { title: 'Cpupool' }] : LIST_COLUMNS, rows));
}

/** One domain: its list row, or with --json its API object. */
export const printDomain = (ctx: Context, domain: Domain): Promise<void> =>
  ctx.out.json ? Promise.resolve(printJson(ctx.out, domain)) : printDomains(ctx, [domain]);

/** `list -l`: every field of each record, nested ones dotted (`sched.weight`). */
function flatten(value: unknown, prefix = ''): [string, string][] {
  if (typeof value !== 'object' || value === null) return [[prefix, String(value)]];
  return Object.entries(value).flatMap(([key, inner]) => flatten(inner, prefix === '' ? key : `${prefix}.${key}`));
}

async function list(ctx: Context, refs: string[], options: { long?: boolean; cpupool?: boolean }): Promise<void> {
  const domains = refs.length === 0 ? await listDomains(ctx) : await Promise.all(refs.map((ref) => getDomain(ctx, ref)));
  if (options.long === true && !ctx.out.json) {
    ctx.out.write(domains.map((domain) => keyValues(flatten(domain))).join('\n'));
    return;
  }
  await printDomains(ctx, domains, options);
}

interface CreateOptions {
  file?: string;
  vcpus?: number;
  maxvcpus?: number;
  memory?: number;
  weight?: number;
  cap?: number;
  workload?: Schemas['Workload'];
  paused?: boolean;
  defined?: boolean;
}

type CreateRequest = Schemas['CreateDomainRequest'];

/** The request from `-f FILE` (if any) with the flags on top, and the config's per-vCPU CPU lists. */
function createRequest(ctx: Context, name: string | undefined, options: CreateOptions): { request: CreateRequest; cpus: CpuList[] } {
  const config = options.file === undefined ? undefined : readConfig(ctx, options.file);
  const flags = {
    vcpus: options.vcpus, max_vcpus: options.maxvcpus, memory_mb: options.memory, weight: options.weight, cap: options.cap, workload: options.workload,
  };
  const chosen = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
  const finalName = name ?? config?.fields.name;
  if (finalName === undefined) throw new UsageError(options.file === undefined ? 'a NAME or -f FILE is required' : `${options.file} has no name`);
  return { request: { ...config?.fields, ...chosen, name: finalName }, cpus: config?.cpus ?? [] };
}

function readConfig(ctx: Context, file: string): { fields: Partial<CreateRequest>; cpus: CpuList[] } {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const domain = xlDomain(parseXlConfig(source, file), file);
  if (domain.ignored.length > 0) ctx.out.warn(`${file}: ignored (no meaning on the simulated host): ${domain.ignored.join(', ')}`);
  const lists = domain.cpus === undefined ? [] : typeof domain.cpus === 'string' ? [domain.cpus] : domain.cpus;
  try {
    return { fields: domain.fields, cpus: lists.map(parseCpuList) };
  } catch (error) {
    throw new CliError(`${file}: cpus: ${(error as Error).message}`);
  }
}

/**
 * Like `xl create`: started unless --paused (started, then paused) or --defined
 * (left halted, like `xm new`). A config's `cpus` is applied while the domain is
 * still halted; if the daemon refuses it, the new domain is deleted again.
 */
async function create(ctx: Context, name: string | undefined, options: CreateOptions): Promise<void> {
  const { request, cpus } = createRequest(ctx, name, options);
  const { api } = ctx.connection;
  const start = options.defined !== true;
  let domain = await call(ctx.connection, api.POST('/api/v1/domains', { body: { ...request, start: start && cpus.length === 0 } }));
  if (cpus.length > 0) {
    try {
      await pinFromConfig(ctx, domain, cpus);
    } catch (error) {
      await api.DELETE('/api/v1/domains/{ref}', { params: { path: { ref: String(domain.id) } } });
      throw error;
    }
    if (start) domain = await power(ctx, String(domain.id), 'start');
  }
  if (options.paused === true) domain = await power(ctx, String(domain.id), 'pause');
  await printDomain(ctx, domain);
}

/** xl's `cpus`: one list for every vCPU, or a list per vCPU (vCPU i gets the i-th). */
async function pinFromConfig(ctx: Context, domain: Domain, cpus: readonly CpuList[]): Promise<void> {
  const pcpus = cpus.some(needsPcpuCount) ? await pcpuCount(ctx) : 0;
  const perVcpu = cpus.length > 1;
  const count = perVcpu ? Math.min(cpus.length, domain.max_vcpus) : domain.max_vcpus;
  for (let vcpu = 0; vcpu < count; vcpu++) {
    const pcpusList = resolveCpuList(cpus[perVcpu ? vcpu : 0] as CpuList, pcpus);
    const path = { ref: String(domain.id), n: String(vcpu) };
    await call(ctx.connection, ctx.connection.api.PUT('/api/v1/domains/{ref}/vcpus/{n}/affinity', { params: { path }, body: { pcpus: pcpusList } }));
  }
}

const POWER_ACTIONS = {
  start: 'Start a halted domain.',
  pause: 'Pause a running domain (its vCPUs go offline).',
  unpause: 'Unpause a paused domain.',
  shutdown: 'Shut a domain down (it is halted, its configuration kept).',
  destroy: 'Stop a domain at once (halted, configuration kept).',
} as const;
type PowerAction = keyof typeof POWER_ACTIONS;

function power(ctx: Context, ref: string, action: PowerAction): Promise<Domain> {
  const params = { params: { path: { ref } } };
  const { api } = ctx.connection;
  const requests = {
    start: () => api.POST('/api/v1/domains/{ref}/start', params),
    pause: () => api.POST('/api/v1/domains/{ref}/pause', params),
    unpause: () => api.POST('/api/v1/domains/{ref}/unpause', params),
    shutdown: () => api.POST('/api/v1/domains/{ref}/shutdown', params),
    destroy: () => api.POST('/api/v1/domains/{ref}/destroy', params),
  };
  return call(ctx.connection, requests[action]());
}

export function domainCommands(program: Command, ctx: Ctx): void {
  program
    .command('list')
    .description('List domains like `xl list`, with their weight, cap and scheduling domain (group)')
    .argument('[DOM...]', 'domains by name or domid (default: all)')
    .option('-l, --long', 'every field of each domain')
    .option('-c, --cpupool', 'the cpupool each domain lives in (xl list -c)')
    .action((refs: string[], options: { long?: boolean; cpupool?: boolean }) => list(ctx(), refs, options));

  program
    .command('create')
    .description('Create a domain and start it (like `xl create`); --paused: then pause it; --defined: leave it halted')
    .argument('[NAME]', 'the new domain\'s name (or `name` in the -f file)')
    .option('-f, --file <FILE>', 'an xl domain config: name, vcpus, maxvcpus, memory, cpus, cpu_weight, cap (other keys are ignored)')
    .option('--vcpus <N>', 'vCPUs online (default 1)', integer(1))
    .option('--maxvcpus <N>', 'vCPUs at most (default: --vcpus)', integer(1))
    .option('--memory <MB>', 'memory, MiB (default 256)', integer(1))
    .option('--weight <W>', 'credit weight (default 256)', integer(1))
    .option('--cap <C>', 'cap, % of one pCPU (default 0: none)', integer())
    .option('--workload <W>', 'cpu | idle | duty:RUN_MS/SLEEP_MS (default cpu)', workload)
    .option('--paused', 'start it paused')
    .option('--defined', 'leave it halted (like `xm new`)')
    .action((name: string | undefined, options: CreateOptions) => create(ctx(), name, options));

  for (const [action, description] of Object.entries(POWER_ACTIONS) as [PowerAction, string][]) {
    program
      .command(action)
      .description(description)
      .argument('<DOM>', 'the domain: name or domid')
      .action(async (ref: string) => printDomain(ctx(), await power(ctx(), ref, action)));
  }

  program
    .command('rename')
    .description('Rename a domain')
    .argument('<DOM>', 'the domain: name or domid')
    .argument('<NAME>', 'its new name')
    .action(async (ref: string, name: string) => {
      const c = ctx();
      const body = { name };
      await printDomain(c, await call(c.connection, c.connection.api.PATCH('/api/v1/domains/{ref}', { params: { path: { ref } }, body })));
    });

  program
    .command('delete')
    .description('Delete a halted domain and its configuration (leaves its scheduling domain; a master dissolves it)')
    .argument('<DOM>', 'the domain: name or domid')
    .action(async (ref: string) => {
      const c = ctx();
      await call(c.connection, c.connection.api.DELETE('/api/v1/domains/{ref}', { params: { path: { ref } } }));
    });
}
