/**
 * This build's simulation against another build's, in one process: each
 * loads its own `dist/hypervisor/` (two module instances, compiled apart), makes
 * the same host of P pCPUs × N CPU-bound 1-vCPU domains, and the two advance the
 * same simulated time in turns, A B B A …, each turn timed by this process's CPU
 * time. Turns of about 40 ms a side, side by side in time, see the same machine:
 * the per-pair ratios of a run spread by a few percent where whole runs in separate
 * processes spread by tens. Its limit: a build against itself reads within about 2%
 * at 4×16, but up to about 7% off on larger hosts, whose two copies share one heap and
 * its collections (docs/benchmarks.md). Both hosts must also end with the same trace
 * hash, or the two builds do not simulate the same thing.
 *
 *   npm run bench:sim-ab -- --baseline ../other-checkout           4x16, 64x1024 and 256x10000
 *   npm run bench:sim-ab -- --baseline ../other-checkout 64x1024 --pairs 40
 *
 * The baseline's `dist/` must be built (`npm run build` there). Last line:
 * `sim-ab <size>=<this build's CPU over the baseline's> …` (medians of the pairs; below 1 is faster).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median, percentile } from './processes.ts';

/** Simulated seconds a turn, per size: about 40 ms of CPU each on a 2-core VM. */
const TURN_SIM_S: Record<string, number> = { '4x16': 1000, '64x1024': 50, '256x10000': 5 };
const DEFAULT_TURN_SIM_S = 5;
const STEP_NS = 100_000_000;
const WARMUP_PAIRS = 5;

/** What this script needs of a build's Host. */
interface SimHost {
  readonly now_ns: number;
  readonly trace_hash: string;
  advanceTo(t_ns: number): void;
  domctl(op: object): { ok: boolean };
}

type HostClass = new (options: { pcpus: number; seed: number }) => SimHost;

async function hostClass(root: string): Promise<HostClass> {
  const entry = path.resolve(root, 'dist/hypervisor/index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build in ${root}`);
  return ((await import(pathToFileURL(entry).href)) as { Host: HostClass }).Host;
}

function makeHost(Host: HostClass, pcpus: number, domains: number): SimHost {
  const host = new Host({ pcpus, seed: 42 });
  for (let domid = 1; domid <= domains; domid++) {
    if (!host.domctl({ op: 'createdomain', domid, max_vcpus: 1, vcpus: 1, workload: { type: 'cpu' } }).ok) throw new Error(`createdomain ${domid} refused`);
  }
  return host;
}

/** CPU µs to advance `host` by `sim_s` in 100 ms steps. */
function turn(host: SimHost, sim_s: number): number {
  const start = process.cpuUsage();
  const end_ns = host.now_ns + sim_s * 1e9;
  while (host.now_ns < end_ns) host.advanceTo(host.now_ns + STEP_NS);
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

function compare(This: HostClass, Baseline: HostClass, size: string, pairs: number): number {
  const [pcpus, domains] = size.split('x').map(Number) as [number, number];
  const sim_s = TURN_SIM_S[size] ?? DEFAULT_TURN_SIM_S;
  const mine = makeHost(This, pcpus, domains);
  const theirs = makeHost(Baseline, pcpus, domains);
  for (let i = 0; i < WARMUP_PAIRS; i++) {
    turn(mine, sim_s);
    turn(theirs, sim_s);
  }
  const ratios: number[] = [];
  const mineUs: number[] = [];
  const theirsUs: number[] = [];
  for (let i = 0; i < pairs; i++) {
    // Who goes first alternates, so neither always follows the other's garbage.
    let a: number;
    let b: number;
    if (i % 2 === 0) {
      a = turn(mine, sim_s);
      b = turn(theirs, sim_s);
    } else {
      b = turn(theirs, sim_s);
      a = turn(mine, sim_s);
    }
    mineUs.push(a);
    theirsUs.push(b);
    ratios.push(a / b);
  }
  if (mine.trace_hash !== theirs.trace_hash) throw new Error(`${size}: trace hashes differ (${mine.trace_hash} here, ${theirs.trace_hash} in the baseline)`);
  const ratio = median(ratios);
  console.log(
    `${size.padEnd(10)} ${String(sim_s).padStart(6)} ${(median(mineUs) / 1000).toFixed(1).padStart(9)} ${(median(theirsUs) / 1000).toFixed(1).padStart(12)}  ${ratio.toFixed(3)} (${percentile(ratios, 0.25).toFixed(3)}–${percentile(ratios, 0.75).toFixed(3)})  ${mine.trace_hash}`,
  );
  return ratio;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { baseline: { type: 'string' }, pairs: { type: 'string', default: '30' } } });
  if (values.baseline === undefined) throw new Error('--baseline DIR: a checkout of the build to compare with, built');
  const This = await hostClass(fileURLToPath(new URL('..', import.meta.url)));
  const Baseline = await hostClass(values.baseline);
  const sizes = positionals.length > 0 ? positionals : Object.keys(TURN_SIM_S);
  const summary: string[] = [];
  console.log(`this build against ${path.resolve(values.baseline)}, ${values.pairs} pairs a size; CPU ms a turn (medians), this/baseline median (quartiles), trace hash of both`);
  console.log('size       sim_s   this_ms  baseline_ms  this/baseline');
  for (const size of sizes) summary.push(`${size}=${compare(This, Baseline, size, Number(values.pairs)).toFixed(3)}`);
  console.log(`sim-ab ${summary.join(' ')}`);
}

await main();
