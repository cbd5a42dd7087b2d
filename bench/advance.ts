/**
 * How fast the simulation runs through the API, beside the same host in
 * process, in one run: simulated seconds per wall second and per CPU second
 * of the process that computes, with P pCPUs × N CPU-bound 1-vCPU domains.
 *   in process   Host.advanceTo in steps, from the build in a child process of
 *                plain JavaScript (bench/sim-speed-child.mjs, as `bench:sim`)
 *   API          POST /api/v1/host/clock/advance in steps, one after another,
 *                to the built daemon as it ships (node flags and all), frozen
 *                (speed 0) so only the advances move its clock
 *   floor        the same requests, from the same client, to a bare Fastify
 *                route in a child process that answers `{"now_ns":…}` and
 *                computes nothing (bench/floor-server.mjs): what any Node HTTP
 *                server costs a request
 * The domains are created through the API once (rate limit off for the
 * set-up); every round starts the daemon again on that database and the
 * sides alternate, so the machine's drift hits all alike.
 *
 *   npm run bench:advance                             64x1024, 100 ms steps
 *   npm run bench:advance -- 4x16 --step-ms 10 --seconds 5 --rounds 3
 *   npm run bench:advance -- --baseline OTHER/dist/bin/nemesisd.js
 *       measures another build's daemon in the same rounds
 *
 * Each request has a fixed cost beside the step's computing; the floor
 * measures the part of it no daemon can avoid, so floor_ratio is the best
 * ratio any HTTP server could reach at this step (the in-process time of a
 * step plus the floor's time per request, over the in-process time), and
 * floor_step_ms the step from which that best ratio is within 1.5×. The last
 * line is
 * `advance <size> step_ms=<n> in_process=<n>x api=<n>x ratio=<in_process/api>
 *  floor_ratio=<n> floor_us=<n> api_us=<n> floor_step_ms=<n>`
 * (medians over the rounds, sim s per wall s; floor_us and api_us: wall µs per
 * request beyond the in-process time of the step, for the floor and the daemon).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { programNodeFlags } from '../scripts/program-node-flags.ts';
import { NS_PER_S } from '../src/hypervisor/index.ts';
import { cpuSeconds, createCpuBoundDomains, median, spawnDaemon, type DaemonProcess } from './processes.ts';

const { values, positionals } = parseArgs({
  options: {
    'step-ms': { type: 'string', default: '100' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    baseline: { type: 'string' },
  },
  allowPositionals: true,
});
const SIZE = positionals[0] ?? '64x1024';
const [PCPUS, DOMAINS] = SIZE.split('x').map(Number) as [number, number];
const STEP_MS = Number(values['step-ms']);
const MEASURE_S = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const WARMUP_SIM_MS = 1000;
/** The target: the API within this factor of in process. */
const TARGET_RATIO = 1.5;
const DAEMON = fileURLToPath(new URL('../dist/bin/nemesisd.js', import.meta.url));
const IN_PROCESS = fileURLToPath(new URL('sim-speed-child.mjs', import.meta.url));
const FLOOR_SERVER = fileURLToPath(new URL('floor-server.mjs', import.meta.url));

interface Speed {
  /** Simulated seconds per wall second. */
  readonly wall_ratio: number;
  /** Simulated seconds per CPU second of the process that computes. */
  readonly cpu_ratio: number;
}

/** Host.advanceTo in steps, in a child process (so each round has a fresh heap). */
function inProcess(): Speed {
  const output = execFileSync(process.execPath, [IN_PROCESS, 'credit', SIZE, String(STEP_MS), String(MEASURE_S), String(WARMUP_SIM_MS)], { encoding: 'utf8' });
  const figures = JSON.parse(output) as { ratio: number; cpu_ratio: number };
  return { wall_ratio: figures.ratio, cpu_ratio: figures.cpu_ratio };
}

const startDaemon = (program: string, db: string, env: NodeJS.ProcessEnv): Promise<DaemonProcess> =>
  spawnDaemon([...programNodeFlags(program), program], { NEMESIS_DB: db, NEMESIS_PCPUS: String(PCPUS), NEMESIS_CLOCK_SPEED: '0', ...env });

async function advance(url: string, ms: number): Promise<number> {
  const reply = await fetch(`${url}/api/v1/host/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms }) });
  if (reply.status !== 200) throw new Error(`POST /api/v1/host/clock/advance → ${reply.status} ${await reply.text()}`);
  return ((await reply.json()) as { now_ns: number }).now_ns;
}

const startFloor = (): Promise<DaemonProcess> => spawnDaemon([FLOOR_SERVER], {});

/** Advances of STEP_MS one after another for MEASURE_S to the server `start` starts. */
async function throughApi(start: () => Promise<DaemonProcess>): Promise<Speed> {
  const daemon = await start();
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
      ['in process', async () => inProcess()],
      ['API', () => throughApi(() => startDaemon(DAEMON, db, {}))],
      ...(values.baseline === undefined ? [] : [['API (baseline)', () => throughApi(() => startDaemon(values.baseline!, db, {}))] as [string, () => Promise<Speed>]]),
      ['floor', () => throughApi(startFloor)],
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
    for (const [name] of sides.filter(([name]) => name !== 'floor')) console.log(`median ${name.padEnd(15)} ${format(wall(name)).padStart(8)} sim s/wall s ${format(cpu(name)).padStart(8)} sim s/CPU s`);
    // Wall and CPU µs per request: for the floor, all of it; for a daemon, beyond the in-process time of the step.
    const step_s = STEP_MS / 1000;
    const inProcess_us = (step_s / wall('in process')) * 1e6;
    const perRequest_us = (name: string): number => (step_s / wall(name)) * 1e6 - (name === 'floor' ? 0 : inProcess_us);
    const cpuPerRequest_us = (name: string): number => (step_s / cpu(name)) * 1e6 - (name === 'floor' ? 0 : (step_s / cpu('in process')) * 1e6);
    for (const [name] of sides.filter(([name]) => name !== 'in process')) {
      console.log(`${name.padEnd(15)} per request beyond the step's computing: ${perRequest_us(name).toFixed(0).padStart(5)} µs wall ${cpuPerRequest_us(name).toFixed(0).padStart(5)} µs CPU`);
    }
    const floor_us = perRequest_us('floor');
    const floorRatio = (inProcess_us + floor_us) / inProcess_us;
    // The step whose in-process time is floor_us / (TARGET_RATIO - 1), at the in-process speed of this step.
    const floorStep_ms = (floor_us / (TARGET_RATIO - 1)) * wall('in process') / 1000;
    console.log(`in process / API: ${(wall('in process') / wall('API')).toFixed(2)} by wall time, ${(cpu('in process') / cpu('API')).toFixed(2)} by CPU time (target ≤ ${TARGET_RATIO}); a bare Fastify route's floor: ${floorRatio.toFixed(2)}, within ${TARGET_RATIO} from steps of ${floorStep_ms.toFixed(0)} ms`);
    console.log(
      `advance ${SIZE} step_ms=${STEP_MS} in_process=${format(wall('in process'))} api=${format(wall('API'))} ratio=${(wall('in process') / wall('API')).toFixed(2)}` +
        ` floor_ratio=${floorRatio.toFixed(2)} floor_us=${floor_us.toFixed(0)} api_us=${perRequest_us('API').toFixed(0)} floor_step_ms=${floorStep_ms.toFixed(0)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
