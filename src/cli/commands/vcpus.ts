/** `vcpu-list`, `vcpu-set`, `vcpu-pin`: vCPUs as `xl` shows and changes them. */
import { InvalidArgumentError, type Command } from 'commander';
import { cpuList, integer } from '../arguments.ts';
import { call, type Domain, type Schemas } from '../client.ts';
import { getDomain, listDomains, pcpuCount, type Context } from '../context.ts';
import { formatCpuList, needsPcpuCount, resolveCpuList, type CpuList } from '../cpu-list.ts';
import { CliError } from '../errors.ts';
import { printJson, seconds, state, table } from '../output.ts';

type Vcpu = Schemas['Vcpu'];
interface DomainVcpus {
  readonly id: number;
  readonly name: string;
  readonly vcpus: readonly Vcpu[];
}

const COLUMNS = [
  { title: 'Name' },
  { title: 'ID', align: 'right' },
  { title: 'VCPU', align: 'right' },
  { title: 'CPU', align: 'right' },
  { title: 'State' },
  { title: 'Time(s)', align: 'right' },
  { title: 'Affinity' },
] as const;

const vcpusOf = (ctx: Context, ref: string): Promise<Vcpu[]> =>
  call(ctx.connection, ctx.connection.api.GET('/api/v1/domains/{ref}/vcpus', { params: { path: { ref } } }));

/** With --json: one entry per domain, `{ id, name, vcpus }`, the vCPUs as the API gives them. */
function printVcpus(ctx: Context, domains: readonly DomainVcpus[]): void {
  if (ctx.out.json) return printJson(ctx.out, domains);
  const rows = domains.flatMap((d) =>
    d.vcpus.map((v) => [d.name, d.id, v.id, v.pcpu ?? '-', state(ctx.out, v.state), seconds(v.cpu_time_ns), formatCpuList(v.affinity)]),
  );
  ctx.out.write(table(ctx.out, COLUMNS, rows));
}

async function vcpuList(ctx: Context, refs: string[]): Promise<void> {
  const domains: Domain[] = refs.length === 0 ? await listDomains(ctx) : await Promise.all(refs.map((ref) => getDomain(ctx, ref)));
  printVcpus(ctx, await Promise.all(domains.map(async ({ id, name }) => ({ id, name, vcpus: await vcpusOf(ctx, String(id)) }))));
}

async function vcpuSet(ctx: Context, ref: string, online: number): Promise<void> {
  const vcpus = await call(ctx.connection, ctx.connection.api.PUT('/api/v1/domains/{ref}/vcpus', { params: { path: { ref } }, body: { online } }));
  const { id, name } = await getDomain(ctx, ref);
  printVcpus(ctx, [{ id, name, vcpus }]);
}

/** `vcpu-pin DOM VCPU|all CPUS`: `all` pins every vCPU the domain can have. */
async function vcpuPin(ctx: Context, ref: string, which: number | 'all', cpus: CpuList): Promise<void> {
  const pcpus = resolveCpuList(cpus, needsPcpuCount(cpus) ? await pcpuCount(ctx) : 0);
  const domain = await getDomain(ctx, ref);
  const ids = which === 'all' ? Array.from({ length: domain.max_vcpus }, (_, i) => i) : [which];
  for (const n of ids) {
    const path = { ref, n: String(n) };
    await call(ctx.connection, ctx.connection.api.PUT('/api/v1/domains/{ref}/vcpus/{n}/affinity', { params: { path }, body: { pcpus } }));
  }
  const vcpus = (await vcpusOf(ctx, ref)).filter((v) => ids.includes(v.id));
  printVcpus(ctx, [{ id: domain.id, name: domain.name, vcpus }]);
}

function vcpuArgument(text: string): number | 'all' {
  if (text === 'all') return 'all';
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a vCPU number or "all"');
  return Number(text);
}

export function vcpuCommands(program: Command, ctx: () => Context): void {
  program
    .command('vcpu-list')
    .description('List vCPUs like `xl vcpu-list`: pCPU, state, CPU time and affinity')
    .argument('[DOM...]', 'domains by name or domid (default: all)')
    .action((refs: string[]) => vcpuList(ctx(), refs));

  program
    .command('vcpu-set')
    .description('Set the number of vCPUs online (hot-plug, up to the domain\'s maxvcpus)')
    .argument('<DOM>', 'the domain: name or domid')
    .argument('<N>', 'vCPUs online', integer(1))
    .action((ref: string, online: number) => vcpuSet(ctx(), ref, online));

  program
    .command('vcpu-pin')
    .description('Pin a vCPU (or all) to pCPUs, in xl\'s CPU list syntax')
    .argument('<DOM>', 'the domain: name or domid')
    .argument('<VCPU>', 'vCPU number, or "all"', vcpuArgument)
    .argument('<CPUS>', 'pCPUs: "all", "3", "0-3,6", "^2" (all but 2), "0-3,^2"', cpuList)
    .action(async (ref: string, which: number | 'all', cpus: CpuList) => {
      try {
        await vcpuPin(ctx(), ref, which, cpus);
      } catch (error) {
        throw error instanceof RangeError ? new CliError(error.message) : error;
      }
    });
}
