/**
 * The expected share of the CPU: what the credit scheduler's intent (weights,
 * caps, scheduling domains, affinity) gives each domain in the steady state,
 * computed independently of the simulation, so that the two can be compared.
 *
 * Weighted max-min fairness by progressive filling, in percent of one pCPU,
 * by the simulation's rules (src/hypervisor/sched/credit.ts):
 * - a claimant is a domain on its own, or a scheduling domain (master and
 *   members) with the master's weight and cap; a member's own weight and cap
 *   have no effect while it is a member (the scheduler accounts the group as
 *   its master, and parks a member's vCPUs against its part of the master's
 *   cap only), and apply again when it leaves;
 * - a level t rises; an unfrozen claimant c holds w_c × t, split between its
 *   domains with an unfrozen vCPU in proportion to their `share` (a share is
 *   per domain, as the scheduler splits a group's credit), and each domain's
 *   part evenly over its unfrozen vCPUs;
 * - a vCPU stops at its demand (100 for `cpu`, run/(run+sleep) × 100 for
 *   `duty`), a claimant at its cap, and vCPUs stop together when no more can
 *   be placed on the pCPUs their hard affinity allows (each pCPU holds 100):
 *   an exact max-flow test on vCPU affinity classes → pCPUs;
 * - what a stopped vCPU would have had goes to the still-rising vCPUs of its
 *   own domain first, then to the other domains of its claimant (the claimant
 *   keeps rising at w_c), then, once the whole claimant stops, to the other
 *   claimants.
 * Pure: plain inputs, plain outputs, no simulation state.
 */

export interface VcpuDemand {
  /** Percent of one pCPU it would use if alone (0..100). */
  readonly demand_pct: number;
  /** Hard affinity: pCPU ids, or every pCPU. */
  readonly pcpus: readonly number[] | 'all';
}

export interface DomainDemand {
  readonly domid: number;
  readonly weight: number;
  /** Percent of one pCPU, 0 = no cap. A member's own cap has no effect while it is a member. */
  readonly cap: number;
  /** Its scheduling domain's master when a member, else null. */
  readonly master: number | null;
  readonly share: number;
  /** Its online vCPUs while it may run; none when paused or halted. */
  readonly vcpus: readonly VcpuDemand[];
}

export interface ExpectedShares {
  /** Per domain, percent of one pCPU. */
  readonly domains: ReadonlyMap<number, number>;
  /** Per claimant (a lone domain's domid, or a scheduling domain's master), percent of one pCPU. */
  readonly claimants: ReadonlyMap<number, number>;
  /** Claimants whose cap is what stopped them. */
  readonly capped: ReadonlySet<number>;
  /**
   * Per domain, what each of its vCPUs that the host's capacity stopped holds
   * (percent of one pCPU; not those stopped by their demand or their cap).
   */
  readonly contended: ReadonlyMap<number, readonly number[]>;
}

export const PCT_PER_PCPU = 100;
/** Below this (percent) two allocations are the same: the filling works in floating point. */
const EPSILON = 1e-7;
/** Flow smaller than this is no flow (far below EPSILON, so a boundary found by bisection is not overshot). */
const FLOW_EPSILON = 1e-11;
const BISECTIONS = 60;

interface Leaf {
  readonly claimant: Claimant;
  readonly domid: number;
  readonly demand: number;
  /** Its domain's share of the claimant. */
  readonly share: number;
  readonly cls: number;
  x: number;
  frozen: boolean;
  /** Stopped by a full host rather than by its demand or its claimant's cap. */
  contended: boolean;
  rate: number;
}

interface Claimant {
  readonly id: number;
  readonly weight: number;
  readonly cap: number;
  readonly leaves: Leaf[];
  total: number;
  frozen: boolean;
}

export function expectedShares(pcpus: number, domains: readonly DomainDemand[]): ExpectedShares {
  const byId = new Map(domains.map((d) => [d.domid, d]));
  const claimants = new Map<number, Claimant>();
  const classes = new AffinityClasses(pcpus);
  const leaves: Leaf[] = [];
  const claimantOf = (d: DomainDemand): Claimant => {
    const head = d.master !== null && byId.has(d.master) ? byId.get(d.master)! : d;
    let claimant = claimants.get(head.domid);
    if (claimant === undefined) {
      claimant = { id: head.domid, weight: head.weight, cap: head.cap, leaves: [], total: 0, frozen: false };
      claimants.set(head.domid, claimant);
    }
    return claimant;
  };
  for (const d of domains) {
    const claimant = claimantOf(d);
    for (const v of d.vcpus) {
      const demand = Math.min(PCT_PER_PCPU, Math.max(0, v.demand_pct));
      if (demand <= 0) continue;
      const leaf: Leaf = { claimant, domid: d.domid, demand, share: d.share, cls: classes.of(v.pcpus), x: 0, frozen: false, contended: false, rate: 0 };
      claimant.leaves.push(leaf);
      leaves.push(leaf);
    }
  }
  const capped = fill([...claimants.values()], leaves, classes);
  const perDomain = new Map<number, number>(domains.map((d) => [d.domid, 0]));
  for (const leaf of leaves) perDomain.set(leaf.domid, perDomain.get(leaf.domid)! + leaf.x);
  const perClaimant = new Map<number, number>();
  for (const c of claimants.values()) perClaimant.set(c.id, c.leaves.reduce((sum, leaf) => sum + leaf.x, 0));
  const contended = new Map<number, number[]>();
  for (const leaf of leaves) if (leaf.contended) contended.set(leaf.domid, [...(contended.get(leaf.domid) ?? []), leaf.x]);
  return { domains: perDomain, claimants: perClaimant, capped, contended };
}

/** Progressive filling; returns the claimants stopped by their cap. */
function fill(claimants: Claimant[], leaves: Leaf[], classes: AffinityClasses): Set<number> {
  const capped = new Set<number>();
  for (const c of claimants) if (c.leaves.length === 0) c.frozen = true;
  for (;;) {
    const active = claimants.filter((c) => !c.frozen);
    if (active.length === 0) return capped;
    for (const c of active) setRates(c);
    let step = Infinity;
    for (const c of active) {
      if (c.cap > 0) step = Math.min(step, (c.cap - c.total) / c.weight);
      for (const leaf of c.leaves) if (!leaf.frozen) step = Math.min(step, (leaf.demand - leaf.x) / leaf.rate);
    }
    const at = (s: number): Float64Array => classes.totals(leaves, s);
    const placeable = classes.feasible(at(step));
    if (!placeable) step = bisect(step, (s) => classes.feasible(at(s)));
    for (const leaf of leaves) if (!leaf.frozen) leaf.x += leaf.rate * step;
    for (const c of active) c.total = c.leaves.reduce((sum, leaf) => sum + leaf.x, 0);
    let froze = false;
    const freeze = (leaf: Leaf): void => {
      if (leaf.frozen) return;
      leaf.frozen = true;
      froze = true;
    };
    for (const leaf of leaves) {
      if (leaf.frozen || leaf.x < leaf.demand - EPSILON) continue;
      leaf.contended = leaf.demand >= PCT_PER_PCPU;
      freeze(leaf);
    }
    for (const c of active) {
      if (c.cap > 0 && c.total >= c.cap - EPSILON) {
        capped.add(c.id);
        c.leaves.forEach(freeze);
      }
    }
    if (!placeable) {
      const growable = classes.growable(at(0));
      for (const leaf of leaves) {
        if (leaf.frozen || growable[leaf.cls]) continue;
        leaf.contended = true;
        freeze(leaf);
      }
    }
    // Floating point could leave a step that freezes nothing: stop everyone rather than loop.
    if (!froze) leaves.forEach(freeze);
    for (const c of active) if (c.leaves.every((leaf) => leaf.frozen)) c.frozen = true;
  }
}

/**
 * An unfrozen claimant rises at its weight, split between its domains that
 * still rise by share, each domain's part evenly over its unfrozen vCPUs.
 */
function setRates(c: Claimant): void {
  const rising = new Map<number, { share: number; vcpus: number }>();
  for (const leaf of c.leaves) {
    if (leaf.frozen) continue;
    const domain = rising.get(leaf.domid);
    if (domain === undefined) rising.set(leaf.domid, { share: leaf.share, vcpus: 1 });
    else domain.vcpus++;
  }
  let shares = 0;
  for (const domain of rising.values()) shares += domain.share;
  for (const leaf of c.leaves) {
    const domain = rising.get(leaf.domid);
    leaf.rate = leaf.frozen || domain === undefined ? 0 : (c.weight * domain.share) / (shares * domain.vcpus);
  }
}

/** The largest s in [0, hi] with ok(s), given ok(0). */
function bisect(hi: number, ok: (s: number) => boolean): number {
  let lo = 0;
  for (let i = 0; i < BISECTIONS; i++) {
    const mid = (lo + hi) / 2;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * vCPUs with the same hard affinity are one class: whether an allocation fits
 * on the pCPUs depends only on each class's total (a bipartite flow network:
 * source → class (its total) → allowed pCPUs → sink (100 each)).
 */
class AffinityClasses {
  private readonly pcpus: number;
  private readonly keys = new Map<string, number>();
  readonly allowed: number[][] = [];

  constructor(pcpus: number) {
    this.pcpus = pcpus;
  }

  of(pcpus: readonly number[] | 'all'): number {
    const ids = pcpus === 'all' ? null : [...new Set(pcpus)].filter((p) => p >= 0 && p < this.pcpus).sort((a, b) => a - b);
    const key = ids === null ? 'all' : ids.join(',');
    let cls = this.keys.get(key);
    if (cls === undefined) {
      cls = this.allowed.length;
      this.keys.set(key, cls);
      this.allowed.push(ids ?? Array.from({ length: this.pcpus }, (_, p) => p));
    }
    return cls;
  }

  /** Each class's total after `step` more of the current rates. */
  totals(leaves: readonly Leaf[], step: number): Float64Array {
    const totals = new Float64Array(this.allowed.length);
    for (const leaf of leaves) totals[leaf.cls]! += leaf.frozen ? leaf.x : leaf.x + leaf.rate * step;
    return totals;
  }

  feasible(totals: Float64Array): boolean {
    const want = totals.reduce((a, b) => a + b, 0);
    return this.maxFlow(totals).value >= want - FLOW_EPSILON * Math.max(1, want);
  }

  /** Per class: can it take more, with every class keeping what it has (an augmenting path to the sink)? */
  growable(totals: Float64Array): boolean[] {
    const { toPcpu } = this.maxFlow(totals);
    const load = new Float64Array(this.pcpus);
    for (let k = 0; k < this.allowed.length; k++) for (const [p, f] of toPcpu[k]!) load[p]! += f;
    // Residual search from the pCPUs with room: a class reaches one directly, or by moving another class's flow.
    const reachesSink = new Uint8Array(this.pcpus);
    const growable = this.allowed.map(() => false);
    const queue: number[] = [];
    for (let p = 0; p < this.pcpus; p++) {
      if (load[p]! < PCT_PER_PCPU - EPSILON) {
        reachesSink[p] = 1;
        queue.push(p);
      }
    }
    while (queue.length > 0) {
      const p = queue.shift()!;
      for (let k = 0; k < this.allowed.length; k++) {
        if (growable[k] || !this.allowed[k]!.includes(p)) continue;
        growable[k] = true;
        // Class k may move its flow off any pCPU it uses onto p: those pCPUs gain room too.
        for (const [q, f] of toPcpu[k]!) {
          if (f > EPSILON && !reachesSink[q]) {
            reachesSink[q] = 1;
            queue.push(q);
          }
        }
      }
    }
    return growable;
  }

  /** Maximum flow by augmenting paths (breadth first): class k's flow to each pCPU. */
  private maxFlow(totals: Float64Array): { value: number; toPcpu: Map<number, number>[] } {
    const K = this.allowed.length;
    const toPcpu = this.allowed.map(() => new Map<number, number>());
    const left = Float64Array.from(totals);
    const room = new Float64Array(this.pcpus).fill(PCT_PER_PCPU);
    let value = 0;
    for (;;) {
      // BFS over classes and pCPUs: class → allowed pCPU (always), pCPU → class carrying flow on it (reverse).
      const fromClass = new Int32Array(this.pcpus).fill(-1);
      const fromPcpu = new Int32Array(K).fill(-2);
      const queue: number[] = [];
      for (let k = 0; k < K; k++) {
        if (left[k]! > FLOW_EPSILON) {
          fromPcpu[k] = -1;
          queue.push(k);
        }
      }
      let end = -1;
      while (queue.length > 0 && end < 0) {
        const k = queue.shift()!;
        for (const p of this.allowed[k]!) {
          if (fromClass[p] !== -1) continue;
          fromClass[p] = k;
          if (room[p]! > FLOW_EPSILON) {
            end = p;
            break;
          }
          for (let k2 = 0; k2 < K; k2++) {
            if (fromPcpu[k2] === -2 && (toPcpu[k2]!.get(p) ?? 0) > FLOW_EPSILON) {
              fromPcpu[k2] = p;
              queue.push(k2);
            }
          }
        }
      }
      if (end < 0) return { value, toPcpu };
      let amount = room[end]!;
      for (let p = end, k = fromClass[p]!; ; p = fromPcpu[k]!, k = fromClass[p]!) {
        const via = fromPcpu[k]!;
        if (via === -1) {
          amount = Math.min(amount, left[k]!);
          break;
        }
        amount = Math.min(amount, toPcpu[k]!.get(via)!);
      }
      room[end]! -= amount;
      for (let p = end, k = fromClass[p]!; ; p = fromPcpu[k]!, k = fromClass[p]!) {
        toPcpu[k]!.set(p, (toPcpu[k]!.get(p) ?? 0) + amount);
        const via = fromPcpu[k]!;
        if (via === -1) {
          left[k]! -= amount;
          break;
        }
        toPcpu[k]!.set(via, toPcpu[k]!.get(via)! - amount);
      }
      value += amount;
    }
  }
}
