/**
 * How far the engine is from the least work its simulation needs. The floor is
 * a loop written for one case only, P pCPUs × N CPU-bound 1-vCPU domains under
 * credit's 30 ms slices, doing what any simulation of that host must: at each
 * slice's end, the event queue's pop and push (the engine's own EventQueue),
 * the run's time settled and burnt as credit, the vCPU queued again and the
 * next one taken, the trace hash of the switch; every 30 ms, a pass adding each
 * vCPU's fair credit with its priority and clamps, and the usage sample (an
 * entry per pCPU and per domain that ran). Its decisions are not credit's (its
 * queues are FIFO, there are no ticks, boosts, checks, pools, affinities or
 * groups): it is a yardstick for cost, not a simulation. The engine (Host) and
 * the floor each advance the same simulated time in a child process of their
 * own, alternating in rounds; the figure is CPU time.
 *
 *   npm run bench:sim-floor                        4x16, 64x1024 and 256x10000
 *   npm run bench:sim-floor -- 64x1024 --rounds 5
 *
 * Last line: `sim-floor <size>=<engine CPU over the floor's> …` (medians).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EventQueue } from '../src/hypervisor/event-queue.ts';
import { Host, NS_PER_MS, NS_PER_S } from '../src/hypervisor/index.ts';
import { TraceHash } from '../src/hypervisor/trace-hash.ts';
import { median } from './processes.ts';

/** Simulated seconds per size: one to two CPU seconds of the engine each. */
const SIM_S: Record<string, number> = { '4x16': 20000, '64x1024': 1000, '256x10000': 100 };
const DEFAULT_SIM_S = 100;
const WARMUP_NS = NS_PER_S;
const STEP_NS = NS_PER_S / 10;
const SLICE_NS = 30 * NS_PER_MS;
const CREDITS_PER_SLICE = 300;
const NS_PER_CREDIT = 100_000;
const USAGE_ENTRIES = 1 << 22;
const RANK_ACCOUNT = 0;
const RANK_SLICE = 1;
const ACCOUNT = -1;

type Kind = 'engine' | 'floor';

/** CPU seconds `advance` takes to move `sim_s` simulated seconds on, in 100 ms steps, after a second of warm-up. */
function timed(advance: (to_ns: number) => void, sim_s: number): number {
  advance(WARMUP_NS);
  const start = process.cpuUsage();
  for (let t = WARMUP_NS; t < WARMUP_NS + sim_s * NS_PER_S; ) {
    t += STEP_NS;
    advance(t);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function engineRun(pcpus: number, domains: number, sim_s: number): number {
  const host = new Host({ pcpus, seed: 42, sched: 'credit' });
  for (let domid = 1; domid <= domains; domid++) {
    const created = host.domctl({ op: 'createdomain', domid, max_vcpus: 1, vcpus: 1, workload: { type: 'cpu' } });
    if (!created.ok) throw new Error(created.error.message);
  }
  return timed((to_ns) => host.advanceTo(to_ns), sim_s);
}

/** The floor's host: typed arrays by vCPU, a FIFO ring per pCPU. */
class FloorHost {
  private readonly credit: Float64Array;
  private readonly pri: Int8Array;
  private readonly ranTotal_ns: Float64Array;
  private readonly sampled_ns: Float64Array;
  private readonly since_ns: Float64Array;
  private readonly ranMark: Int32Array;
  private readonly ranList: Int32Array;
  private ranCount = 0;
  private sample = 0;
  private readonly usageIds = new Int32Array(USAGE_ENTRIES);
  private readonly usageNs = new Uint32Array(USAGE_ENTRIES);
  private usageEnd = 0;
  private readonly ring: Int32Array[];
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly current: Int32Array;
  private readonly busy_ns: Float64Array;
  private readonly lastBusy_ns: Float64Array;
  private readonly events = new EventQueue<number>();
  private readonly trace = new TraceHash();

  private readonly pcpus: number;
  private readonly vcpus: number;

  constructor(pcpus: number, vcpus: number) {
    this.pcpus = pcpus;
    this.vcpus = vcpus;
    this.credit = new Float64Array(vcpus);
    this.pri = new Int8Array(vcpus);
    this.ranTotal_ns = new Float64Array(vcpus);
    this.sampled_ns = new Float64Array(vcpus);
    this.since_ns = new Float64Array(vcpus);
    this.ranMark = new Int32Array(vcpus).fill(-1);
    this.ranList = new Int32Array(vcpus);
    this.ring = Array.from({ length: pcpus }, () => new Int32Array(vcpus + 1));
    this.head = new Int32Array(pcpus);
    this.tail = new Int32Array(pcpus);
    this.current = new Int32Array(pcpus).fill(-1);
    this.busy_ns = new Float64Array(pcpus);
    this.lastBusy_ns = new Float64Array(pcpus);
    for (let v = 0; v < vcpus; v++) this.enqueue(v % pcpus, v);
    for (let p = 0; p < pcpus; p++) this.sliceEnd(p, 0);
    this.events.push(SLICE_NS, RANK_ACCOUNT, ACCOUNT);
  }

  advanceTo(to_ns: number): void {
    while (this.events.nextAt() <= to_ns) {
      const now_ns = this.events.nextAt();
      const event = this.events.pop();
      if (event === ACCOUNT) this.account(now_ns);
      else this.sliceEnd(event, now_ns);
    }
  }

  private enqueue(pcpu: number, v: number): void {
    const ring = this.ring[pcpu]!;
    ring[this.tail[pcpu]!] = v;
    this.tail[pcpu] = (this.tail[pcpu]! + 1) % ring.length;
  }

  private dequeue(pcpu: number): number {
    if (this.head[pcpu] === this.tail[pcpu]) return -1;
    const ring = this.ring[pcpu]!;
    const v = ring[this.head[pcpu]!]!;
    this.head[pcpu] = (this.head[pcpu]! + 1) % ring.length;
    return v;
  }

  private ran(v: number): void {
    if (this.ranMark[v] === this.sample) return;
    this.ranMark[v] = this.sample;
    this.ranList[this.ranCount++] = v;
  }

  private sliceEnd(pcpu: number, now_ns: number): void {
    const prev = this.current[pcpu]!;
    if (prev >= 0) {
      const ran_ns = now_ns - this.since_ns[prev]!;
      this.ranTotal_ns[prev]! += ran_ns;
      this.busy_ns[pcpu]! += ran_ns;
      this.credit[prev]! -= Math.floor(ran_ns / NS_PER_CREDIT);
      this.ran(prev);
      this.enqueue(pcpu, prev);
    }
    const next = this.dequeue(pcpu);
    this.current[pcpu] = next;
    if (next >= 0) this.since_ns[next] = now_ns;
    this.trace.switch(now_ns, pcpu, next + 1, 0);
    this.events.push(now_ns + SLICE_NS, RANK_SLICE, pcpu);
  }

  private account(now_ns: number): void {
    const C = CREDITS_PER_SLICE;
    const fair = Math.ceil((C * this.pcpus) / this.vcpus);
    const { credit, pri } = this;
    for (let v = 0; v < this.vcpus; v++) {
      let c = credit[v]! + fair;
      pri[v] = c < 0 ? -2 : -1;
      if (c < -C) c = -C;
      else if (c > C) c = 0;
      credit[v] = c;
    }
    for (let p = 0; p < this.pcpus; p++) {
      const v = this.current[p]!;
      if (v >= 0) {
        this.ranTotal_ns[v]! += now_ns - this.since_ns[v]!;
        this.since_ns[v] = now_ns;
        this.ran(v);
      }
      this.record(-1 - p, this.busy_ns[p]! - this.lastBusy_ns[p]!);
      this.lastBusy_ns[p] = this.busy_ns[p]!;
    }
    for (let i = 0; i < this.ranCount; i++) {
      const v = this.ranList[i]!;
      this.record(v, this.ranTotal_ns[v]! - this.sampled_ns[v]!);
      this.sampled_ns[v] = this.ranTotal_ns[v]!;
    }
    this.ranCount = 0;
    this.sample++;
    this.events.push(now_ns + SLICE_NS, RANK_ACCOUNT, ACCOUNT);
  }

  private record(id: number, used_ns: number): void {
    const at = this.usageEnd++ & (USAGE_ENTRIES - 1);
    this.usageIds[at] = id;
    this.usageNs[at] = used_ns;
  }
}

function floorRun(pcpus: number, domains: number, sim_s: number): number {
  const host = new FloorHost(pcpus, domains);
  return timed((to_ns) => host.advanceTo(to_ns), sim_s);
}

function runChild(kind: Kind, size: string): number {
  const output = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', kind, size], { encoding: 'utf8' });
  return Number(output);
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { child: { type: 'string' }, rounds: { type: 'string', default: '3' } } });
  const sizes = positionals.length > 0 ? positionals : Object.keys(SIM_S);
  if (values.child !== undefined) {
    const size = sizes[0]!;
    const [pcpus, domains] = size.split('x').map(Number) as [number, number];
    const sim_s = SIM_S[size] ?? DEFAULT_SIM_S;
    process.stdout.write(String(values.child === 'engine' ? engineRun(pcpus, domains, sim_s) : floorRun(pcpus, domains, sim_s)));
    return;
  }
  const rounds = Number(values.rounds);
  const summary: string[] = [];
  console.log('size        sim_s  engine_x  floor_x  engine/floor (CPU, median of rounds)');
  for (const size of sizes) {
    const sim_s = SIM_S[size] ?? DEFAULT_SIM_S;
    const engine: number[] = [];
    const floor: number[] = [];
    for (let round = 0; round < rounds; round++) {
      engine.push(runChild('engine', size));
      floor.push(runChild('floor', size));
    }
    const ratio = median(engine.map((cpu, i) => cpu / floor[i]!));
    console.log(`${size.padEnd(10)} ${String(sim_s).padStart(6)} ${(sim_s / median(engine)).toFixed(1).padStart(9)} ${(sim_s / median(floor)).toFixed(1).padStart(8)} ${ratio.toFixed(2).padStart(13)}`);
    summary.push(`${size}=${ratio.toFixed(2)}`);
  }
  console.log(`sim-floor ${summary.join(' ')}`);
}

main();
