/** `clock`, `info`, `pcpu-list`, `usage`: the simulated host. */
import { Option, type Command } from 'commander';
import { integer, number } from '../arguments.ts';
import { call, type Schemas } from '../client.ts';
import { nameOf, namesById, type Context } from '../context.ts';
import { formatCpuList } from '../cpu-list.ts';
import { keyValues, printJson, seconds, table, type Column } from '../output.ts';

/** Simulated time as seconds with nanosecond digits: exact, as the clock is. */
const exactSeconds = (ns: number): string => `${Math.floor(ns / 1e9)}.${String(ns % 1e9).padStart(9, '0')}`;

const speedText = (speed: number): string => (speed === 0 ? '0 (frozen)' : speed === 1 ? '1 (real time)' : `${speed}`);

function printClock(ctx: Context, clock: Schemas['Clock']): void {
  if (ctx.out.json) return printJson(ctx.out, clock);
  ctx.out.write(keyValues([
    ['now_s', exactSeconds(clock.now_ns)],
    ['speed', speedText(clock.speed)],
    ['running', clock.running ? 'yes' : 'no'],
    ['skipped_s', exactSeconds(clock.skipped_ns)],
    ['loop_late_ticks', clock.loop.late_ticks],
    ['loop_max_late_ms', clock.loop.max_late_ms],
  ]));
}

interface ClockOptions {
  speed?: number;
  freeze?: boolean;
  advance?: number;
}

/** Speed first, then the advance: `--freeze --advance 60000` runs exactly one simulated minute. */
async function clock(ctx: Context, options: ClockOptions): Promise<void> {
  const { api } = ctx.connection;
  const speed = options.freeze === true ? 0 : options.speed;
  let result = speed === undefined ? undefined : await call(ctx.connection, api.PUT('/api/v1/host/clock', { body: { speed } }));
  if (options.advance !== undefined) result = await call(ctx.connection, api.POST('/api/v1/host/clock/advance', { body: { ms: options.advance } }));
  printClock(ctx, result ?? (await call(ctx.connection, api.GET('/api/v1/host'))).clock);
}

async function info(ctx: Context): Promise<void> {
  const { api } = ctx.connection;
  const [host, scheduler] = await Promise.all([call(ctx.connection, api.GET('/api/v1/host')), call(ctx.connection, api.GET('/api/v1/scheduler'))]);
  if (ctx.out.json) return printJson(ctx.out, { host, scheduler });
  ctx.out.write(keyValues([
    ['host', 'nemesisd (simulated Xen host)'],
    ['version', host.version],
    ['nr_cpus', host.pcpus],
    ['xen_scheduler', host.scheduler],
    ['tslice_ms', scheduler.tslice_ms],
    ['ratelimit_us', scheduler.ratelimit_us],
    ['accounting', scheduler.accounting],
    ['inflight_credit', scheduler.inflight_credit],
    ['topology', `${host.topology.sockets}x${host.topology.cores}x${host.topology.threads}`],
    ['now_s', exactSeconds(host.clock.now_ns)],
    ['clock_speed', speedText(host.clock.speed)],
    ['trace_hash', host.trace_hash],
  ]));
}

const PCPU_COLUMNS = [
  { title: 'CPU', align: 'right' },
  { title: 'Domain' },
  { title: 'VCPU', align: 'right' },
  { title: 'Busy(s)', align: 'right' },
  { title: 'Idle(s)', align: 'right' },
  { title: 'Busy(%)', align: 'right' },
] as const;

async function pcpuList(ctx: Context): Promise<void> {
  const pcpus = await call(ctx.connection, ctx.connection.api.GET('/api/v1/host/pcpus'));
  if (ctx.out.json) return printJson(ctx.out, pcpus);
  const names = await namesById(ctx);
  const rows = pcpus.map((p) => {
    const total = p.busy_ns + p.idle_ns;
    const busy = total === 0 ? '0.0' : ((100 * p.busy_ns) / total).toFixed(1);
    return [p.id, p.current === null ? '(idle)' : nameOf(names, p.current.domain), p.current?.vcpu ?? '-', seconds(p.busy_ns), seconds(p.idle_ns), busy];
  });
  ctx.out.write(table(ctx.out, PCPU_COLUMNS, rows));
}

/** One decimal; a value that rounds to zero prints 0.0, not -0.0. */
const pct = (value: number): string => (Math.round(value * 10) / 10 + 0).toFixed(1);
const right = (title: string): Column => ({ title, align: 'right' });

/** The fairness report: each domain, each scheduling domain, then each cpupool's totals against its capacity. */
async function usage(ctx: Context, options: { window?: number }): Promise<void> {
  const query = options.window === undefined ? {} : { window_ms: String(options.window) };
  const report = await call(ctx.connection, ctx.connection.api.GET('/api/v1/host/usage', { params: { query } }));
  if (ctx.out.json) return printJson(ctx.out, report);
  const names = new Map(report.domains.map((d) => [d.id, d.name]));
  const shares = [right('Observed(%)'), right('Expected(%)'), right('Diff')];
  const parts = [
    `over ${report.window_ns / 1e9} s of simulated time, to ${seconds(report.now_ns)} s; 100 = one pCPU\n`,
    table(ctx.out, [{ title: 'Name' }, right('ID'), { title: 'Pool' }, ...shares, { title: 'Reason' }],
      report.domains.map((d) => [d.name, d.id, d.cpupool, pct(d.observed_pct), pct(d.expected_pct), pct(d.diff_pct), d.reason ?? '-'])),
  ];
  if (report.scheduling_domains.length > 0) {
    parts.push(table(ctx.out, [{ title: 'Group' }, ...shares, { title: 'Reason' }],
      report.scheduling_domains.map((g) => [nameOf(names, g.master), pct(g.observed_pct), pct(g.expected_pct), pct(g.diff_pct), g.reason ?? '-'])));
  }
  parts.push(table(ctx.out, [{ title: 'Pool' }, { title: 'Sched' }, { title: 'CPUs' }, right('Capacity(%)'), right('Domains'), ...shares, right('Busy(%)')],
    report.cpupools.map((p) => [p.name, p.sched, p.pcpus.length === 0 ? '-' : formatCpuList(p.pcpus), pct(p.capacity_pct), p.domains, pct(p.observed_pct), pct(p.expected_pct), pct(p.diff_pct), pct(p.busy_pct)])));
  ctx.out.write(parts.join('\n'));
}

export function hostCommands(program: Command, ctx: () => Context): void {
  program
    .command('clock')
    .description('Show the simulated clock; set its speed, freeze it, or run it forward')
    .addOption(new Option('--speed <S>', '0 = frozen, 1 = real time, up to 1000').argParser(number).conflicts('freeze'))
    .option('--freeze', 'stop the clock (speed 0): time moves only with --advance')
    .option('--advance <MS>', 'run this much simulated time now (ms)', integer(1))
    .action((options: ClockOptions) => clock(ctx(), options));

  program
    .command('info')
    .description('The host: pCPUs, scheduler and its parameters, the clock (like `xl info`)')
    .action(() => info(ctx()));

  program
    .command('pcpu-list')
    .description('Physical CPUs: what runs on each, busy and idle time')
    .action(() => pcpuList(ctx()));

  program
    .command('usage')
    .description('The fairness report: CPU observed against expected per domain, scheduling domain and cpupool (100 = one pCPU)')
    .option('-w, --window <MS>', 'simulated ms to look back (default: the API\'s, 1000)', integer(1))
    .action((options: { window?: number }) => usage(ctx(), options));
}
