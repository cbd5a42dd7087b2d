/**
 * What the daemon costs at clock speed 1: its CPU time as a share of one core,
 * over a window of wall time after a warm-up that grows with the host, with
 * P pCPUs × N CPU-bound 1-vCPU domains running; and beside it, the same daemon
 * frozen (speed 0) on the same database, which is what it costs doing nothing:
 * the difference is what running the clock costs (the simulation and its ticks).
 * The domains are created through the API on a daemon started frozen and with
 * its rate limit off; it is then stopped and started again at speed 1 (then at
 * speed 0) with the rate limit as it ships, on the same database, and left
 * alone while measured.
 *
 *   npm run bench:realtime                              64x10000 and 256x100000
 *   npm run bench:realtime -- 64x1024 --seconds 10      one size, a shorter window
 *   npm run bench:realtime -- --baseline OTHER/dist/bin/nemesisd.js --rounds 3
 *       alternates another build with this one on the same database, round by round
 *
 * Builds first (`npm run bench:realtime` does). The last line is
 * `realtime 64x10000_pct=<n> 256x100000_pct=<n>` (medians over the rounds).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { programNodeFlags } from '../scripts/program-node-flags.ts';
import { createCpuBoundDomains, median, rssMb, spawnDaemon, threadCpuSeconds } from './processes.ts';

const { values, positionals } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    'warm-up-seconds': { type: 'string' },
    rounds: { type: 'string', default: '1' },
    baseline: { type: 'string' },
  },
  allowPositionals: true,
});
const SIZES = positionals.length > 0 ? positionals : ['64x10000', '256x100000'];
const MEASURE_S = Number(values.seconds);
/**
 * Restoring a large host outlasts the first seconds after listening, and V8
 * runs a full collection about 8 s after start-up's allocations end, to shrink
 * the heap: by default 15 s plus 1 s per 5000 domains, so that the window
 * measures the daemon as it runs on.
 */
const warmUpSeconds = (domains: number): number => (values['warm-up-seconds'] === undefined ? 15 + domains / 5000 : Number(values['warm-up-seconds']));
/** The two clock speeds measured: real time, and frozen. */
const SPEEDS = [1, 0] as const;
const ROUNDS = Number(values.rounds);
const DAEMON = new URL('../dist/bin/nemesisd.js', import.meta.url).pathname;

/** Start `program` as it ships (its first line's node flags) on `db`. */
async function start(program: string, db: string, pcpus: number, env: NodeJS.ProcessEnv): Promise<Awaited<ReturnType<typeof spawnDaemon>>> {
  return spawnDaemon([...programNodeFlags(program), program], { NEMESIS_DB: db, NEMESIS_PCPUS: String(pcpus), ...env });
}

/** N running CPU-bound domains, created through the API on a frozen daemon with no rate limit. */
async function setUp(db: string, pcpus: number, domains: number): Promise<void> {
  const daemon = await start(DAEMON, db, pcpus, { NEMESIS_RATE_LIMIT: '0', NEMESIS_CLOCK_SPEED: '0' });
  try {
    await createCpuBoundDomains(daemon.url, domains);
  } finally {
    await daemon.stop();
  }
}

/** The daemon's CPU share of one core, percent, over MEASURE_S at `speed` with the shipped rate limit. */
async function measure(program: string, db: string, pcpus: number, domains: number, speed: number): Promise<{ pct: number; rss_mb: number }> {
  const daemon = await start(program, db, pcpus, { NEMESIS_CLOCK_SPEED: String(speed) });
  try {
    await sleep(warmUpSeconds(domains) * 1000);
    const cpuStart = threadCpuSeconds(daemon.pid);
    const wallStart = performance.now();
    await sleep(MEASURE_S * 1000);
    const cpu_s = threadCpuSeconds(daemon.pid) - cpuStart;
    const wall_s = (performance.now() - wallStart) / 1000;
    return { pct: (100 * cpu_s) / wall_s, rss_mb: rssMb(daemon.pid) };
  } finally {
    await daemon.stop();
  }
}

async function main(): Promise<void> {
  const programs: [string, string][] = values.baseline === undefined ? [['this', DAEMON]] : [['baseline', values.baseline], ['this', DAEMON]];
  const summary: string[] = [];
  for (const size of SIZES) {
    const [pcpus, domains] = size.split('x').map(Number) as [number, number];
    const dir = mkdtempSync(join(tmpdir(), 'nemesis-realtime-'));
    try {
      const db = join(dir, 'nemesis.db');
      const setupStart = performance.now();
      await setUp(db, pcpus, domains);
      console.log(`${size}: ${domains} domains created through the API in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);
      const pcts = new Map<string, number[]>(programs.flatMap(([name]) => SPEEDS.map((speed) => [`${name} ${speed}`, []] as [string, number[]])));
      const medianOf = (name: string, speed: number): number => median(pcts.get(`${name} ${speed}`)!);
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which build goes first, so the machine's drift hits both alike.
        for (const [name, program] of round % 2 === 0 ? programs : [...programs].reverse()) {
          for (const speed of SPEEDS) {
            const { pct, rss_mb } = await measure(program, db, pcpus, domains, speed);
            pcts.get(`${name} ${speed}`)!.push(pct);
            console.log(`${size} round ${round + 1} ${name.padEnd(8)} ${speed === 0 ? 'frozen ' : 'speed 1'} cpu ${pct.toFixed(2)}% of one core, rss ${rss_mb.toFixed(0)} MB`);
          }
        }
      }
      for (const [name] of programs) {
        const running = medianOf(name, 1);
        const frozen = medianOf(name, 0);
        console.log(`${size} median ${name.padEnd(8)} speed 1 ${running.toFixed(2)}%, frozen ${frozen.toFixed(2)}%, the simulation ${(running - frozen).toFixed(2)}%`);
      }
      if (values.baseline !== undefined) {
        console.log(`${size} median ratio this/baseline: speed 1 ${(medianOf('this', 1) / medianOf('baseline', 1)).toFixed(2)}, frozen ${(medianOf('this', 0) / medianOf('baseline', 0)).toFixed(2)}`);
      }
      summary.push(`${size}_pct=${medianOf('this', 1).toFixed(1)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`realtime ${summary.join(' ')}`);
}

await main();
