/**
 * How fast the simulated host runs: simulated seconds per wall second, events
 * per second and peak memory, for hosts of pCPUs × CPU-bound 1-vCPU domains,
 * under credit and then credit2 (one socket: runqueues of 16 pCPUs).
 * Each size runs in its own child process, so its peak RSS is its own, under
 * nemesisd's V8 heap flags (the first line of src/bin/nemesisd.ts): the
 * simulation's memory as it ships is the daemon's. A second child runs the
 * same under node's default heap sizing, for its peak RSS beside (node grows
 * the young generation to 64 MB semi-spaces and lets the old one grow further
 * before collecting, so the same live data takes more there). Node flags given
 * to this script reach both children. The children (bench/sim-speed-child.mjs)
 * run the build (dist/), the code nemesisd and nemesis run, which
 * `npm run bench:sim` makes first; loaded from the sources through node's type
 * stripping the same code runs 10 to 15% slower (docs/benchmarks.md).
 *
 *   npm run bench:sim                    all sizes, both policies
 *   npm run bench:sim -- 64x1024         one size under credit
 *   npm run bench:sim -- credit2:64x1024 one size under credit2
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { programNodeFlags } from '../scripts/program-node-flags.ts';
import { SCHED_NAMES, type SchedName } from '../src/hypervisor/index.ts';

const SIZES = ['1x2', '4x16', '16x128', '64x1024', '256x10000', '256x32000', '256x100000'] as const;
const SUMMARY_SIZES = ['4x16', '64x1024', '256x10000', '256x32000', '256x100000'] as const;
const CHILD = fileURLToPath(new URL('sim-speed-child.mjs', import.meta.url));
const BUILD_ENTRY = fileURLToPath(new URL('../dist/hypervisor/index.js', import.meta.url));
const DAEMON_FLAGS = programNodeFlags(fileURLToPath(new URL('../src/bin/nemesisd.ts', import.meta.url)));

interface Figures {
  readonly sched: SchedName;
  readonly size: string;
  readonly setup_ms: number;
  readonly sim_s: number;
  readonly wall_s: number;
  readonly ratio: number;
  /** Simulated seconds per second of this process's CPU time: less moved by other work on a shared machine. */
  readonly cpu_ratio: number;
  readonly events_per_s: number;
  readonly peak_rss_mb: number;
}

function runChild(sched: SchedName, size: string, flags: readonly string[]): Figures {
  const output = execFileSync(process.execPath, [...process.execArgv, ...flags, CHILD, sched, size], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(output) as Figures;
}

const format = (ratio: number): string => (ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(2));

function main(): void {
  const args = process.argv.slice(2);
  if (!existsSync(BUILD_ENTRY)) throw new Error(`${BUILD_ENTRY} is missing: npm run bench:sim builds it first (npm run build)`);
  // "credit2:64x1024" names the policy; a bare size is credit's.
  const runs = args.length > 0 ? args.map(parseRun) : SCHED_NAMES.flatMap((sched) => SIZES.map((size) => ({ sched, size })));
  const results = new Map<string, Figures>();
  const defaultsRss = new Map<string, number>();
  console.log(`children run the build (${BUILD_ENTRY}) under nemesisd's V8 flags: ${DAEMON_FLAGS.join(' ')}; node_defaults_rss_MB: the same run under node's default heap sizing`);
  console.log('policy   size (pCPUs x domains)  setup_ms  sim_s/wall_s  sim_s/cpu_s  events/s     peak_rss_MB  node_defaults_rss_MB');
  for (const { sched, size } of runs) {
    const f = runChild(sched, size, DAEMON_FLAGS);
    const defaults_mb = runChild(sched, size, []).peak_rss_mb;
    results.set(`${sched}:${size}`, f);
    defaultsRss.set(`${sched}:${size}`, defaults_mb);
    console.log(
      `${sched.padEnd(9)}${size.padEnd(24)}${String(f.setup_ms).padStart(8)}  ${(format(f.ratio) + 'x').padStart(12)}  ${(format(f.cpu_ratio) + 'x').padStart(11)}  ${Math.round(f.events_per_s).toString().padStart(10)}  ${f.peak_rss_mb.toFixed(0).padStart(12)}  ${defaults_mb.toFixed(0).padStart(20)}`,
    );
  }
  // credit's line last: it is the one the figures quote.
  for (const sched of [...SCHED_NAMES].sort((a, b) => Number(a === 'credit') - Number(b === 'credit'))) {
    const rows = SUMMARY_SIZES.flatMap((size) => results.get(`${sched}:${size}`) ?? []);
    if (rows.length === 0) continue;
    const peak_rss_mb = Math.max(...rows.map((f) => f.peak_rss_mb));
    const defaults_mb = Math.max(...rows.map((f) => defaultsRss.get(`${sched}:${f.size}`)!));
    const summary = rows.map((f) => `${f.size}=${format(f.ratio)}x`).join(' ');
    console.log(`${sched === 'credit' ? 'sim-speed' : `sim-speed-${sched}`} ${summary} peak_rss_mb=${peak_rss_mb.toFixed(0)} node_defaults_peak_rss_mb=${defaults_mb.toFixed(0)}`);
  }
}

function parseRun(arg: string): { sched: SchedName; size: string } {
  const [sched, size] = arg.includes(':') ? (arg.split(':') as [string, string]) : ['credit', arg];
  if (!(SCHED_NAMES as readonly string[]).includes(sched)) throw new Error(`unknown policy ${sched} (${SCHED_NAMES.join(', ')})`);
  return { sched: sched as SchedName, size };
}

main();
