/** `trace`: record a scheduler trace on the daemon's host and save it (Perfetto UI or chrome://tracing open it). */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import { integer } from '../arguments.ts';
import { call, type Schemas } from '../client.ts';
import type { Context } from '../context.ts';
import { keyValues, printJson } from '../output.ts';
import { NS_PER_MS } from '../../vocabulary/units.ts';

interface TraceOptions {
  ms: number;
  output?: string;
  format: 'chrome' | 'jsonl';
  advance?: boolean;
}

/** Poll no faster than this, nor slower than the most the daemon's clock can still need. */
const MIN_POLL_MS = 50;
const MAX_POLL_MS = 1000;

type TraceStatus = Schemas['TraceStatus'];

async function trace(ctx: Context, options: TraceOptions): Promise<void> {
  const { api } = ctx.connection;
  const started = await call(ctx.connection, api.POST('/api/v1/host/trace', { body: { ms: options.ms, format: options.format } }));
  if (options.advance === true) await call(ctx.connection, api.POST('/api/v1/host/clock/advance', { body: { ms: options.ms } }));
  let warned = false;
  for (;;) {
    const answer = await api.GET('/api/v1/host/trace/{id}', { params: { path: { id: String(started.id) } }, parseAs: 'text' });
    const text = await call(ctx.connection, Promise.resolve(answer));
    if (answer.response.status === 200) return save(ctx, options, started, text);
    const status = JSON.parse(text) as TraceStatus;
    const { speed } = (await call(ctx.connection, api.GET('/api/v1/host'))).clock;
    if (speed === 0 && !warned) {
      ctx.out.warn(`trace ${status.id} waits for simulated time: the clock is frozen (advance it: nemesis clock --advance MS)`);
      warned = true;
    }
    // The window ends in (end - now) simulated ns: at `speed`, that much wall time divided by it.
    const left_ms = (status.end_ns - status.now_ns) / NS_PER_MS / (speed === 0 ? 1 : speed);
    await sleep(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, left_ms)));
  }
}

async function save(ctx: Context, options: TraceOptions, started: TraceStatus, body: string): Promise<void> {
  if (options.output === undefined) {
    ctx.out.write(body);
    return;
  }
  writeFileSync(options.output, body);
  // The window as recorded: Chrome's otherData, or the JSON Lines header.
  const window = (options.format === 'jsonl' ? JSON.parse(body.slice(0, body.indexOf('\n'))) : (JSON.parse(body) as { otherData: unknown }).otherData) as {
    end_ns: number;
    truncated: boolean;
  };
  const summary = { id: started.id, file: options.output, format: options.format, start_ns: started.start_ns, end_ns: window.end_ns, truncated: window.truncated, bytes: Buffer.byteLength(body) };
  if (ctx.out.json) return printJson(ctx.out, summary);
  ctx.out.write(keyValues([
    ['trace', summary.id],
    ['file', summary.file],
    ['format', summary.format],
    ['window_ms', (summary.end_ns - summary.start_ns) / NS_PER_MS],
    ['truncated', summary.truncated ? 'yes (the event limit stopped it)' : 'no'],
    ['bytes', summary.bytes],
  ]));
}

export function traceCommand(program: Command, ctx: () => Context): void {
  program
    .command('trace')
    .description('Record the scheduler\'s decisions for MS of simulated time and save them (Chrome trace JSON for Perfetto UI, or JSON Lines)')
    .requiredOption('--ms <MS>', 'simulated ms to record', integer(1))
    .option('-o, --output <FILE>', 'write the trace here (default: stdout)')
    .addOption(new Option('--format <F>', 'chrome (Perfetto UI, chrome://tracing) or jsonl').choices(['chrome', 'jsonl']).default('chrome'))
    .option('--advance', 'also advance the clock by MS now (for a frozen clock)')
    .action((options: TraceOptions) => trace(ctx(), options));
}
