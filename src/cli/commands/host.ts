/** `clock`, `info`, `pcpu-list`: the simulated host. */
import { Option, type Command } from 'commander';
import { integer, number } from '../arguments.ts';
import { call, type Schemas } from '../client.ts';
import { nameOf, namesById, type Context } from '../context.ts';
import { keyValues, printJson, seconds, table } from '../output.ts';

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
}
