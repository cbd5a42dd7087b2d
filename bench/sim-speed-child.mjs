// The simulation in process, as bench:sim and bench:advance measure it: one host of CPU-bound
// 1-vCPU domains under one policy, run from the build as nemesisd runs it, advanced in steps.
// Plain JavaScript, so that like the daemon it loads no TypeScript stripper: with a .ts entry
// point node loads its own (a WebAssembly module), and the same build then runs 10 to 30% slower
// and peaks 15 to 30 MB higher (docs/benchmarks.md).
//
//   node bench/sim-speed-child.mjs SCHED PxN [STEP_MS=100] [MEASURE_S=3] [WARMUP_MS=1000]
//
// Prints its figures as one JSON object (bench/sim-speed.ts's Figures).
import { Host, NS_PER_MS, NS_PER_S } from '../dist/hypervisor/index.js';

const [sched, size, step_ms = '100', measure_s = '3', warmup_ms = '1000'] = process.argv.slice(2);
const [pcpus, domains] = size.split('x').map(Number);
const setupStart = performance.now();
const host = new Host({ pcpus, seed: 42, sched });
for (let domid = 1; domid <= domains; domid++) {
  const created = host.domctl({ op: 'createdomain', domid, max_vcpus: 1, vcpus: 1, workload: { type: 'cpu' } });
  if (!created.ok) throw new Error(created.error.message);
}
const setup_ms = performance.now() - setupStart;
host.advanceTo(Number(warmup_ms) * NS_PER_MS);
// bench:sim advances in 100 ms steps (the daemon's pace is 10 ms; bigger steps keep the clock reads out of the figure).
const step_ns = Number(step_ms) * NS_PER_MS;
const startSim = host.now_ns;
const startEvents = host.events_processed;
const start = performance.now();
const cpuStart = process.cpuUsage();
while (performance.now() - start < Number(measure_s) * 1000) host.advanceTo(host.now_ns + step_ns);
const wall_s = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpu_s = (cpu.user + cpu.system) / 1e6;
const sim_s = (host.now_ns - startSim) / NS_PER_S;
process.stdout.write(
  JSON.stringify({
    sched,
    size,
    setup_ms: Math.round(setup_ms),
    sim_s,
    wall_s,
    ratio: sim_s / wall_s,
    cpu_ratio: sim_s / cpu_s,
    events_per_s: (host.events_processed - startEvents) / wall_s,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  }),
);
