/**
 * Who had the CPU, over the recent past, in samples of USAGE_SAMPLE_NS of
 * simulated time: each run of a vCPU is recorded as it ends (its time since it
 * started or since the last sample, whichever is later), and at each sample
 * the runs still going and each busy pCPU's time since the previous sample.
 * Recorded inside the simulation at fixed simulated instants, so a minute
 * advanced in one call is recorded exactly as a minute advanced tick by tick.
 * Bounded: the last USAGE_HISTORY_NS, and at most MAX_ENTRIES (id, ns) records
 * (a host where very many vCPUs run keeps a shorter past).
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

/** What the history reads from the host. */
export interface UsageSource {
  readonly pcpus: readonly Pcpu[];
  readonly domains: ReadonlyMap<number, Domain>;
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
   * Entry FIFO (a power of two long, indexed by absolute position & (length − 1)): a domain's
   * serial (≥ 0; not its domid, so a later domain of that domid starts from nothing) or
   * −1 − pCPU, and ns used within one sample (whole ns, as every simulated instant is; at
   * most a sample's 30 ms, so 32 bits hold it). The entries after the last sample's end are
   * the runs that ended since.
   */
  private ids = new Int32Array(FIRST_ENTRIES);
  private values = new Uint32Array(FIRST_ENTRIES);
  private entriesStart = 0;
  private entriesEnd = 0;
  private readonly lastBusy: Float64Array;
  private switches = 0;

  constructor(pcpus: number) {
    this.lastBusy = new Float64Array(pcpus);
  }

  get context_switches(): number {
    return this.switches;
  }

  /** A pCPU switched away from `prev` (null: from idle), which had run there since `ran_from_ns`. */
  switched(prev: Domain | null, ran_from_ns: number, now_ns: number): void {
    this.switches++;
    if (prev !== null) this.ran(prev, ran_from_ns, now_ns);
  }

  /** Record a run of `domain`'s up to now: its time since it started or since the last sample, whichever is later. */
  private ran(domain: Domain, from_ns: number, now_ns: number): void {
    if (domain.dying) return;
    const used = this.unsampledNs(from_ns, now_ns);
    if (used > 0) this.push(domain.serial, used);
  }

  /** The part after the last sample of a run from `from_ns` to now. */
  private unsampledNs(from_ns: number, now_ns: number): number {
    const sampled_ns = this.last * USAGE_SAMPLE_NS;
    return now_ns - (from_ns > sampled_ns ? from_ns : sampled_ns);
  }

  /** Take the sample due at `now_ns` (a multiple of USAGE_SAMPLE_NS). */
  sample(now_ns: number, host: UsageSource): void {
    const pcpus = host.pcpus;
    for (let id = 0; id < pcpus.length; id++) {
      const pcpu = pcpus[id]!;
      // What runs now has run since its pCPU last switched.
      if (pcpu.current !== null) this.ran(pcpu.current.domain, pcpu.since_ns, now_ns);
      const busy = host.pcpuBusyNs(pcpu);
      const used = busy - this.lastBusy[id]!;
      if (used > 0) {
        this.lastBusy[id] = busy;
        this.push(-1 - id, used);
      }
    }
    this.last = Math.round(now_ns / USAGE_SAMPLE_NS);
    this.entryEnd[this.last % MAX_SAMPLES] = this.entriesEnd;
    while (this.last - this.first >= MAX_SAMPLES) this.dropOldest();
  }

  /** Usage over at least the last `window_ns` (to the sample at or before its start), or as far back as kept. */
  window(window_ns: number, now_ns: number, host: UsageSource): UsageWindow {
    const from = Math.min(this.last, Math.max(this.first, Math.floor((now_ns - window_ns) / USAGE_SAMPLE_NS)));
    return this.step(from, -1, now_ns, host);
  }

  /**
   * The last `window_ns` in steps of `step_ns` back from now, oldest first, in
   * one pass over the entries: step k is what window(k × step) holds beyond
   * window((k − 1) × step), so its start is the sample at or before
   * now − k × step; the newest step ends now. Steps before the oldest sample kept are left out.
   */
  series(window_ns: number, step_ns: number, now_ns: number, host: UsageSource): UsageWindow[] {
    const steps: UsageWindow[] = [];
    let to = -1;
    let to_ns = now_ns;
    for (let k = 1; k * step_ns < window_ns + step_ns; k++) {
      const back_ns = Math.min(k * step_ns, window_ns);
      const from = Math.min(this.last, Math.max(this.first, Math.floor((now_ns - back_ns) / USAGE_SAMPLE_NS)));
      if (from * USAGE_SAMPLE_NS >= to_ns) break;
      steps.push(this.step(from, to, now_ns, host));
      to = from;
      to_ns = from * USAGE_SAMPLE_NS;
    }
    return steps.reverse();
  }

  /** Usage from sample `from` to sample `to`, or to now when `to` is -1 (the runs ended and still going since the last sample too). */
  private step(from: number, to: number, now_ns: number, host: UsageSource): UsageWindow {
    const cpu = new Map<number, number>();
    const busy = new Float64Array(host.pcpus.length);
    const end = to === -1 ? this.entriesEnd : this.entryEnd[to % MAX_SAMPLES]!;
    const mask = this.ids.length - 1;
    for (let i = this.entryEnd[from % MAX_SAMPLES]!; i < end; i++) {
      const slot = i & mask;
      const id = this.ids[slot]!;
      if (id >= 0) cpu.set(id, (cpu.get(id) ?? 0) + this.values[slot]!);
      else busy[-1 - id]! += this.values[slot]!;
    }
    if (to === -1) {
      for (const pcpu of host.pcpus) {
        busy[pcpu.id]! += host.pcpuBusyNs(pcpu) - this.lastBusy[pcpu.id]!;
        const domain = pcpu.current?.domain;
        if (domain !== undefined && !domain.dying) cpu.set(domain.serial, (cpu.get(domain.serial) ?? 0) + this.unsampledNs(pcpu.since_ns, now_ns));
      }
    }
    const domains = [...host.domains.values()].map((domain) => ({ domid: domain.domid, cpu_ns: cpu.get(domain.serial) ?? 0 }));
    const pcpus = host.pcpus.map((pcpu) => ({ id: pcpu.id, busy_ns: busy[pcpu.id]! }));
    return { from_ns: from * USAGE_SAMPLE_NS, to_ns: to === -1 ? now_ns : to * USAGE_SAMPLE_NS, domains, pcpus };
  }

  private push(id: number, value: number): void {
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
