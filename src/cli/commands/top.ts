/**
 * `top`: live, like xentop. Interactive on a terminal (keys sort, fold groups,
 * `q` quits); batch with -b, printing frames to a pipe (-i N of them).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { integer, number } from '../arguments.ts';
import { call } from '../client.ts';
import { listDomains, listGroups, type Context } from '../context.ts';
import { state, table } from '../output.ts';
import { arrange, computeFrame, nextWindow, SORT_KEYS, type Frame, type Sample, type SortKey, type TopRow, type View, type Window } from '../top-frame.ts';

interface TopOptions {
  batch?: boolean;
  iterations?: number;
  delay: number;
  groups?: boolean;
}

const COLUMNS = [
  { title: 'NAME' },
  { title: 'STATE' },
  { title: 'CPU(sec)', align: 'right' },
  { title: 'CPU(%)', align: 'right' },
  { title: 'VCPUS', align: 'right' },
  { title: 'WEIGHT', align: 'right' },
  { title: 'CAP', align: 'right' },
  { title: 'GROUP' },
] as const;

async function sample(ctx: Context): Promise<Sample> {
  const { api } = ctx.connection;
  const [host, domains, groups, pcpus] = await Promise.all([
    call(ctx.connection, api.GET('/api/v1/host')),
    listDomains(ctx),
    listGroups(ctx),
    call(ctx.connection, api.GET('/api/v1/host/pcpus')),
  ]);
  return { now_ns: host.clock.now_ns, speed: host.clock.speed, domains, groups, pcpus };
}

/** What the figures cover, in words. */
function coverage(frame: Frame): string {
  if (frame.since === 'boot') return `average since boot, over ${(frame.interval_ns / 1e9).toFixed(3)} s`;
  if (frame.interval_ns === 0) return 'no simulated time passed since the last frame: nothing changed';
  return `over ${(frame.interval_ns / 1e9).toFixed(3)} s`;
}

function render(ctx: Context, frame: Frame, view: View): string {
  const counts = { running: 0, paused: 0, halted: 0 } as Record<string, number>;
  for (const row of frame.rows) counts[row.state] = (counts[row.state] ?? 0) + 1;
  // The POOL column shows once a domain lives outside Pool-0.
  const pooled = frame.rows.some((row) => row.cpupool !== undefined);
  const cells = (row: TopRow, indent: string) => [
    `${indent}${row.name}`, row.members === undefined ? state(ctx.out, row.state) : 'group', (row.cpu_ns / 1e9).toFixed(1), row.cpu_pct.toFixed(1),
    row.vcpus, row.weight, row.cap, row.group, ...(pooled ? [row.cpupool ?? '-'] : []),
  ];
  const rows = arrange(frame.rows, view).flatMap((row) => [cells(row, ''), ...(row.members ?? []).map((m) => cells(m, '  '))]);
  return [
    `nemesis top - simulated time ${(frame.now_ns / 1e9).toFixed(3)} s - ${frame.pcpus} pCPUs ${frame.busy_pct.toFixed(1)}% busy (${coverage(frame)})\n`,
    ...(frame.clock_frozen ? [`the clock is frozen: simulated time moves only when advanced (nemesis clock --advance MS; nemesis clock --speed 1 runs it)\n`] : []),
    `${frame.rows.length} domains: ${counts['running'] ?? 0} running, ${counts['paused'] ?? 0} paused, ${counts['halted'] ?? 0} halted; sorted by ${SORT_KEYS[view.sort].title}${view.reverse ? ' (reversed)' : ''}\n`,
    table(ctx.out, pooled ? [...COLUMNS, { title: 'POOL' }] : COLUMNS, rows),
  ].join('');
}

function printFrame(ctx: Context, frame: Frame, view: View): void {
  if (!ctx.out.json) return ctx.out.write(render(ctx, frame, view));
  const { now_ns, interval_ns, since, clock_frozen, busy_pct, pcpus } = frame;
  ctx.out.write(`${JSON.stringify({ now_ns, interval_ns, since, clock_frozen, pcpus, busy_pct, domains: arrange(frame.rows, view) })}\n`);
}

async function batch(ctx: Context, options: TopOptions, view: View): Promise<void> {
  let window: Window | undefined;
  for (let i = 0; options.iterations === undefined || i < options.iterations; i++) {
    if (i > 0) {
      await sleep(options.delay * 1000);
      if (!ctx.out.json) ctx.out.write('\n');
    }
    window = nextWindow(window, await sample(ctx));
    printFrame(ctx, computeFrame(window), view);
  }
}

const KEYS_LINE = '\nq quit  n/s/c/p/v/w/i sort by name/state/cpu/cpu%/vcpus/weight/id  r reverse  g fold groups\n';
const SCREEN = { enter: '\x1b[?1049h\x1b[?25l', leave: '\x1b[?25h\x1b[?1049l', home: '\x1b[H\x1b[2J' } as const;

/** Full screen until `q` (or Ctrl-C): a key re-sorts at once, with the frame it has. */
async function interactive(ctx: Context, options: TopOptions, initial: View): Promise<void> {
  const stdin = process.stdin;
  let view = initial;
  let frame: Frame | undefined;
  const quit = new AbortController();
  const draw = () => frame !== undefined && ctx.out.write(`${SCREEN.home}${render(ctx, frame, view)}${KEYS_LINE}`);
  const onKey = (data: Buffer) => {
    const key = data.toString();
    if (key === 'q' || key === 'Q' || key === '\x03') quit.abort();
    else if (key in SORT_KEYS) view = { ...view, sort: key as SortKey };
    else if (key === 'r') view = { ...view, reverse: !view.reverse };
    else if (key === 'g') view = { ...view, fold: !view.fold };
    draw();
  };
  stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  ctx.out.write(SCREEN.enter);
  try {
    let window: Window | undefined;
    for (let i = 0; !quit.signal.aborted && (options.iterations === undefined || i < options.iterations); i++) {
      if (i > 0) await sleep(options.delay * 1000, undefined, { signal: quit.signal }).catch(() => undefined);
      if (quit.signal.aborted) break;
      window = nextWindow(window, await sample(ctx));
      frame = computeFrame(window);
      draw();
    }
  } finally {
    ctx.out.write(SCREEN.leave);
    stdin.off('data', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  }
}

export function topCommand(program: Command, ctx: () => Context): void {
  program
    .command('top')
    .description('Live view of the domains, like xentop: CPU(%) over the last refresh interval of simulated time')
    .option('-b, --batch', 'print frames instead of a full-screen view (for pipes)')
    .option('-i, --iterations <N>', 'stop after N frames', integer(1))
    .option('-d, --delay <SEC>', 'seconds between refreshes (real time)', number, 1)
    .option('-g, --groups', 'fold scheduling domains: one line per group, its domains under it')
    .action((options: TopOptions) => {
      const c = ctx();
      const view: View = { sort: 'i', reverse: false, fold: options.groups === true };
      const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
      return options.batch === true || !terminal || c.out.json ? batch(c, options, view) : interactive(c, options, view);
    });
}

