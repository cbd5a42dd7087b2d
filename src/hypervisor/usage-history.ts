/**
 * Who had the CPU, over the recent past: every USAGE_SAMPLE_NS of simulated
 * time the engine records how much CPU each domain that ran and each busy pCPU
 * used since the previous sample. Recorded inside the simulation at fixed
 * simulated instants, so a minute advanced in one call is recorded exactly as
 * a minute advanced tick by tick. Bounded: the last USAGE_HISTORY_NS, and at
 * most MAX_ENTRIES (domain, ns) records (a host where very many domains run
 * keeps a shorter past).
 */
import type { Domain, Pcpu } from './model.ts';
import { NS_PER_MS, NS_PER_S } from '../vocabulary/units.ts';

/** The default accounting period: the history's resolution. */
export const USAGE_SAMPLE_NS = 30 * NS_PER_MS;
export const USAGE_HISTORY_NS = 600 * NS_PER_S;
/** The most steps a series is cut into (each a Map over the domains that ran in it, and a row per live domain). */
export const MAX_USAGE_STEPS = 120;
const MAX_SAMPLES = USAGE_HISTORY_NS / USAGE_SAMPLE_NS + 1;
const MAX_ENTRIES = 1 << 22;
const FIRST_ENTRIES = 1 << 12;
const MAX_ENTRY_NS = 0xffffffff;

/** What the history reads from the host. */
export interface UsageSource {
  readonly pcpus: readonly Pcpu[];
  readonly domains: ReadonlyMap<number, Domain>;
  domainCpuTimeNs(domain: Domain): number;
  pcpuBusyNs(pcpu: Pcpu): number;
}

export interface UsageWindow {
  /** The window actually covered: from a sample instant (or boot) to now. */
  readonly from_ns: number;
  readonly to_ns: number;
  /** Per live domain: CPU time used in the window. */
  readonly domains: readonly { readonly domid: number; readonly cpu_ns: number }[];
  /** Per pCPU: time a guest vCPU ran there in the window. */
  readonly pcpus: readonly { readonly id: number; readonly busy_ns: number }[];
}

/** Scheduling-framework counters kept with the history (the policy's own are its). */
export class UsageHistory {
  /** Sample k is taken at k × USAGE_SAMPLE_NS; `first`..`last` are kept. */
  private first = 0;
  private last = 0;
  /** Per kept sample (by k % MAX_SAMPLES): where its entries end in the entry FIFO (absolute index). */
  private readonly entryEnd = new Float64Array(MAX_SAMPLES);
  /**
   * Entry FIFO (a power of two long, indexed by absolute position & (length − 1)): a domid
   * (≥ 0) or −1 − pCPU, and the ns used since the previous sample (whole ns, as every
   * simulated instant is). 32 bits hold a sample's 30 ms on 143 vCPUs; a larger domain's
   * use is split over entries of the same id, which every reader adds up.
   */
  private ids = new Int32Array(FIRST_ENTRIES);
  private values = new Uint32Array(FIRST_ENTRIES);
  private entriesStart = 0;
  private entriesEnd = 0;
  /**
   * Domains that ran since the last sample, the first `ranCount` (each marked with the sample
   * number, so listed once). Emptied by count and cleared as read: `length = 0` is a runtime
   * call, and the next push would allocate the array's storage again.
   */
  private readonly ranSince: (Domain | null)[] = [];
  private ranCount = 0;
  private readonly lastBusy: Float64Array;
  private switches = 0;

  constructor(pcpus: number) {
    this.lastBusy = new Float64Array(pcpus);
  }

  get context_switches(): number {
    return this.switches;
  }

  /** A pCPU switched away from `prev` (null: from idle). */
  switched(prev: Domain | null): void {
    this.switches++;
    if (prev !== null) this.ran(prev);
  }

  private ran(domain: Domain): void {
    if (domain.usageMark === this.last) return;
    domain.usageMark = this.last;
    this.ranSince[this.ranCount++] = domain;
  }

  /** Take the sample due at `now_ns` (a multiple of USAGE_SAMPLE_NS). */
  sample(now_ns: number, host: UsageSource): void {
    const pcpus = host.pcpus;
    for (let id = 0; id < pcpus.length; id++) {
      const pcpu = pcpus[id]!;
      if (pcpu.current !== null) this.ran(pcpu.current.domain);
      const busy = host.pcpuBusyNs(pcpu);
      const used = busy - this.lastBusy[id]!;
      if (used > 0) {
        this.lastBusy[id] = busy;
        this.push(-1 - id, used);
      }
    }
    for (let i = 0; i < this.ranCount; i++) {
      const domain = this.ranSince[i]!;
      this.ranSince[i] = null;
      if (domain.dying) continue;
      const cpu = host.domainCpuTimeNs(domain);
      const used = cpu - domain.usageCpu_ns;
      domain.usageCpu_ns = cpu;
      if (used > 0) this.push(domain.domid, used);
    }
    this.ranCount = 0;
    this.last = Math.round(now_ns / USAGE_SAMPLE_NS);
    this.entryEnd[this.last % MAX_SAMPLES] = this.entriesEnd;
    while (this.last - this.first >= MAX_SAMPLES) this.dropOldest();
  }

  /** Usage over at least the last `window_ns` (to the sample at or before its start), or as far back as kept. */
  window(window_ns: number, now_ns: number, host: UsageSource): UsageWindow {
    const from = Math.min(this.last, Math.max(this.first, Math.floor((now_ns - window_ns) / USAGE_SAMPLE_NS)));
    const cpu = new Map<number, number>();
    const busy = new Float64Array(host.pcpus.length);
    const end = this.entryEnd[this.last % MAX_SAMPLES]!;
    const mask = this.ids.length - 1;
    for (let i = this.entryEnd[from % MAX_SAMPLES]!; i < end; i++) {
      const slot = i & mask;
      const id = this.ids[slot]!;
      if (id >= 0) cpu.set(id, (cpu.get(id) ?? 0) + this.values[slot]!);
      else busy[-1 - id]! += this.values[slot]!;
    }
    // Since the last sample: what the host reads now, less what that sample read.
    const domains = [...host.domains.values()].map((domain) => {
      const since = Math.max(0, host.domainCpuTimeNs(domain) - domain.usageCpu_ns);
      return { domid: domain.domid, cpu_ns: (cpu.get(domain.domid) ?? 0) + since };
    });
    const pcpus = host.pcpus.map((pcpu) => ({ id: pcpu.id, busy_ns: busy[pcpu.id]! + host.pcpuBusyNs(pcpu) - this.lastBusy[pcpu.id]! }));
    return { from_ns: from * USAGE_SAMPLE_NS, to_ns: now_ns, domains, pcpus };
  }

  /**
   * The last `window_ns` in steps of `step_ns` back from now, oldest first, in
   * one pass over the entries: step k is what window(k × step) holds beyond
   * window((k − 1) × step), so its start is the sample at or before
   * now − k × step; the newest step ends now. Steps before the oldest sample kept are left out.
   */
  series(window_ns: number, step_ns: number, now_ns: number, host: UsageSource): UsageWindow[] {
    const steps: UsageWindow[] = [];
    const mask = this.ids.length - 1;
    let to = this.last;
    let to_ns = now_ns;
    for (let k = 1; k * step_ns < window_ns + step_ns; k++) {
      const back_ns = Math.min(k * step_ns, window_ns);
      const from = Math.min(this.last, Math.max(this.first, Math.floor((now_ns - back_ns) / USAGE_SAMPLE_NS)));
      if (from * USAGE_SAMPLE_NS >= to_ns) break;
      const cpu = new Map<number, number>();
      const busy = new Float64Array(host.pcpus.length);
      for (let i = this.entryEnd[from % MAX_SAMPLES]!; i < this.entryEnd[to % MAX_SAMPLES]!; i++) {
        const slot = i & mask;
        const id = this.ids[slot]!;
        if (id >= 0) cpu.set(id, (cpu.get(id) ?? 0) + this.values[slot]!);
        else busy[-1 - id]! += this.values[slot]!;
      }
      const newest = k === 1;
      const domains = [...host.domains.values()].map((domain) => ({
        domid: domain.domid,
        cpu_ns: (cpu.get(domain.domid) ?? 0) + (newest ? Math.max(0, host.domainCpuTimeNs(domain) - domain.usageCpu_ns) : 0),
      }));
      const pcpus = host.pcpus.map((pcpu) => ({ id: pcpu.id, busy_ns: busy[pcpu.id]! + (newest ? host.pcpuBusyNs(pcpu) - this.lastBusy[pcpu.id]! : 0) }));
      steps.push({ from_ns: from * USAGE_SAMPLE_NS, to_ns, domains, pcpus });
      to = from;
      to_ns = from * USAGE_SAMPLE_NS;
    }
    return steps.reverse();
  }

  private push(id: number, value: number): void {
    while (value > MAX_ENTRY_NS) {
      this.pushEntry(id, MAX_ENTRY_NS);
      value -= MAX_ENTRY_NS;
    }
    this.pushEntry(id, value);
  }

  private pushEntry(id: number, value: number): void {
    if (this.entriesEnd - this.entriesStart === this.ids.length) this.grow();
    const slot = this.entriesEnd & (this.ids.length - 1);
    this.ids[slot] = id;
    this.values[slot] = value;
    this.entriesEnd++;
  }

  /** Double the entry FIFO up to MAX_ENTRIES; past that, the oldest samples go. */
  private grow(): void {
    const capacity = this.ids.length;
    if (capacity >= MAX_ENTRIES) {
      this.dropOldest();
      return;
    }
    const ids = new Int32Array(capacity * 2);
    const values = new Uint32Array(capacity * 2);
    for (let i = this.entriesStart; i < this.entriesEnd; i++) {
      ids[i & (2 * capacity - 1)] = this.ids[i & (capacity - 1)]!;
      values[i & (2 * capacity - 1)] = this.values[i & (capacity - 1)]!;
    }
    this.ids = ids;
    this.values = values;
  }

  /** Forget the oldest sample: the next becomes the origin, so its own entries go too. */
  private dropOldest(): void {
    if (this.first < this.last) this.first++;
    this.entriesStart = this.entryEnd[this.first % MAX_SAMPLES]!;
  }
}
