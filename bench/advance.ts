/**
 * How fast the simulation runs through the API, beside the same host in
 * process, in one run: simulated seconds per wall second and per CPU second
 * of the process that computes, with P pCPUs × N CPU-bound 1-vCPU domains.
 *   in process   Host.advanceTo in steps (as `bench:sim` does)
 *   API          POST /api/v1/host/clock/advance in steps, one after another,
 *                to the built daemon as it ships (node flags and all), frozen
 *                (speed 0) so only the advances move its clock
 * The domains are created through the API once (rate limit off for the
 * set-up); every round starts the daemon again on that database and the two
 * sides alternate, so the machine's drift hits both alike.
 *
 *   npm run bench:advance                             64x1024, 100 ms steps
 *   npm run bench:advance -- 4x16 --step-ms 10 --seconds 5 --rounds 3
 *   npm run bench:advance -- --baseline OTHER/dist/bin/nemesisd.js
 *       measures another build's daemon in the same rounds
 *
 * A step of 100 ms keeps each request's fixed cost (HTTP, validation, the
 * answer, the event) under a thousandth of the computing at 64×1024, so the
 * ratio shows what the daemon adds per simulated second; a 10 ms step shows
 * the fixed cost too. The last line is
 * `advance <size> step_ms=<n> in_process=<n>x api=<n>x ratio=<in_process/api>`
 * (medians over the rounds, sim s per wall s).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { programNodeFlags } from '../scripts/program-node-flags.ts';
import { Host, NS_PER_S } from '../src/hypervisor/index.ts';
import { cpuSeconds, createCpuBoundDomains, median, spawnDaemon, type DaemonProcess } from './processes.ts';

const { values, positionals } = parseArgs({
  options: {
    'step-ms': { type: 'string', default: '100' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    child: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const SIZE = positionals[0] ?? '64x1024';
const [PCPUS, DOMAINS] = SIZE.split('x').map(Number) as [number, number];
const STEP_MS = Number(values['step-ms']);
const MEASURE_S = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const WARMUP_SIM_MS = 1000;
const DAEMON = fileURLToPath(new URL('../dist/bin/nemesisd.js', import.meta.url));

interface Speed {
  /** Simulated seconds per wall second. */
  readonly wall_ratio: number;
  /** Simulated seconds per CPU second of the process that computes. */
  readonly cpu_ratio: number;
}

/** In this process (run as a child, so each round has a fresh heap): Host.advanceTo in steps. */
function inProcess(): Speed {
  const host = new Host({ pcpus: PCPUS, seed: 42 });
  for (let domid = 1; domid <= DOMAINS; domid++) {
    const created = host.domctl({ op: 'createdomain', domid, max_vcpus: 1, vcpus: 1, workload: { type: 'cpu' } });
    if (!created.ok) throw new Error(created.error.message);
  }
  host.advanceTo(WARMUP_SIM_MS * 1e6);
  const step_ns = STEP_MS * 1e6;
  const start_ns = host.now_ns;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < MEASURE_S * 1000) host.advanceTo(host.now_ns + step_ns);
  const wall_s = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const sim_s = (host.now_ns - start_ns) / NS_PER_S;
  return { wall_ratio: sim_s / wall_s, cpu_ratio: sim_s / ((cpu.user + cpu.system) / 1e6) };
}

const startDaemon = (program: string, db: string, env: NodeJS.ProcessEnv): Promise<DaemonProcess> =>
  spawnDaemon([...programNodeFlags(program), program], { NEMESIS_DB: db, NEMESIS_PCPUS: String(PCPUS), NEMESIS_CLOCK_SPEED: '0', ...env });

async function advance(url: string, ms: number): Promise<number> {
  const reply = await fetch(`${url}/api/v1/host/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms }) });
  if (reply.status !== 200) throw new Error(`POST /api/v1/host/clock/advance → ${reply.status} ${await reply.text()}`);
  return ((await reply.json()) as { now_ns: number }).now_ns;
}

/** The daemon `program` on `db`: advances of STEP_MS one after another for MEASURE_S. */
async function throughApi(program: string, db: string): Promise<Speed> {
  const daemon = await startDaemon(program, db, {});
  try {
    const start_ns = await advance(daemon.url, WARMUP_SIM_MS);
    const cpuStart = cpuSeconds(daemon.pid);
    const start = performance.now();
    let now_ns = start_ns;
    while (performance.now() - start < MEASURE_S * 1000) now_ns = await advance(daemon.url, STEP_MS);
    const wall_s = (performance.now() - start) / 1000;
    const cpu_s = cpuSeconds(daemon.pid) - cpuStart;
    const sim_s = (now_ns - start_ns) / NS_PER_S;
    return { wall_ratio: sim_s / wall_s, cpu_ratio: sim_s / cpu_s };
  } finally {
    await daemon.stop();
  }
}

const format = (ratio: number): string => `${ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(2)}x`;

async function main(): Promise<void> {
  if (values.child) {
    process.stdout.write(JSON.stringify(inProcess()));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nemesis-advance-'));
  try {
    const db = join(dir, 'nemesis.db');
    const setUp = await startDaemon(DAEMON, db, { NEMESIS_RATE_LIMIT: '0' });
    try {
      await createCpuBoundDomains(setUp.url, DOMAINS);
    } finally {
      await setUp.stop();
    }
    const sides: [string, () => Promise<Speed>][] = [
      ['in process', async () => JSON.parse(execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--child'], { encoding: 'utf8' })) as Speed],
      ['API', () => throughApi(DAEMON, db)],
      ...(values.baseline === undefined ? [] : [['API (baseline)', () => throughApi(values.baseline!, db)] as [string, () => Promise<Speed>]]),
    ];
    const results = new Map<string, Speed[]>(sides.map(([name]) => [name, []]));
    console.log(`${SIZE}, ${STEP_MS} ms steps, ${MEASURE_S} s a side, ${ROUNDS} rounds`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of round % 2 === 0 ? sides : [...sides].reverse()) {
        const speed = await run();
        results.get(name)!.push(speed);
        console.log(`round ${round + 1} ${name.padEnd(15)} ${format(speed.wall_ratio).padStart(8)} sim s/wall s ${format(speed.cpu_ratio).padStart(8)} sim s/CPU s`);
      }
    }
    const wall = (name: string): number => median(results.get(name)!.map((s) => s.wall_ratio));
    const cpu = (name: string): number => median(results.get(name)!.map((s) => s.cpu_ratio));
    for (const [name] of sides) console.log(`median ${name.padEnd(15)} ${format(wall(name)).padStart(8)} sim s/wall s ${format(cpu(name)).padStart(8)} sim s/CPU s`);
    console.log(`in process / API: ${(wall('in process') / wall('API')).toFixed(2)} by wall time, ${(cpu('in process') / cpu('API')).toFixed(2)} by CPU time (target ≤ 1.5)`);
    console.log(`advance ${SIZE} step_ms=${STEP_MS} in_process=${format(wall('in process'))} api=${format(wall('API'))} ratio=${(wall('in process') / wall('API')).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
