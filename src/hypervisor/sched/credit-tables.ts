/**
 * The credit scheduler's hot state as a C hypervisor holds it: typed arrays
 * indexed by a vCPU's or an accounting entity's slot. Accounting visits every
 * active entity each period; reading contiguous arrays instead of a few objects
 * per entity keeps that pass in the cache on a host of many domains.
 * Slots are storage only: which slot an entity gets never changes a decision.
 */

/** Typed arrays grow by doubling; a slot freed is handed out again, last freed first. */
const INITIAL_SLOTS = 16;

/** A copy of `array`, `length` long. */
export function grown<T extends Float64Array | Int32Array | Int8Array | Uint8Array>(array: T, length: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/** Per vCPU: its credit, priority, and whether it is active (earning), queued and parked by the policy. */
export class VcpuTable {
  credit = new Float64Array(INITIAL_SLOTS);
  pri = new Int8Array(INITIAL_SLOTS);
  active = new Uint8Array(INITIAL_SLOTS);
  queued = new Uint8Array(INITIAL_SLOTS);
  parked = new Uint8Array(INITIAL_SLOTS);
  private used = 0;
  private readonly free: number[] = [];

  /** A slot set to a new vCPU's state: no credit, the given priority, nothing else. */
  alloc(pri: number): number {
    const slot = this.free.pop() ?? this.used++;
    if (slot >= this.credit.length) this.grow(2 * this.credit.length);
    this.credit[slot] = 0;
    this.pri[slot] = pri;
    this.active[slot] = 0;
    this.queued[slot] = 0;
    this.parked[slot] = 0;
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  private grow(length: number): void {
    this.credit = grown(this.credit, length);
    this.pri = grown(this.pri, length);
    this.active = grown(this.active, length);
    this.queued = grown(this.queued, length);
    this.parked = grown(this.parked, length);
  }
}

/**
 * Per accounting entity (a domain, or a scheduling domain's master): its weight and cap,
 * how many vCPUs it has active and the first of them, and its place on the active list.
 */
export class EntityTable {
  weight = new Int32Array(INITIAL_SLOTS);
  cap = new Int32Array(INITIAL_SLOTS);
  activeCount = new Int32Array(INITIAL_SLOTS);
  /** The slot of its first active vCPU (the only one, for most entities), or -1. */
  firstActive = new Int32Array(INITIAL_SLOTS);
  listed = new Uint8Array(INITIAL_SLOTS);
  /** The accounting that last listed it (orderActiveEntities). */
  listStamp = new Float64Array(INITIAL_SLOTS);
  private used = 0;
  private readonly free: number[] = [];
  /** Freed since the last accounting: the active list may still name them until it is rebuilt. */
  private readonly freeing: number[] = [];

  /** Slots handed out so far (the tables' used front). */
  get slots(): number {
    return this.used;
  }

  alloc(weight: number, cap: number): number {
    const slot = this.free.pop() ?? this.used++;
    if (slot >= this.weight.length) this.grow(2 * this.weight.length);
    this.weight[slot] = weight;
    this.cap[slot] = cap;
    this.activeCount[slot] = 0;
    this.firstActive[slot] = -1;
    this.listed[slot] = 0;
    this.listStamp[slot] = -1;
    return slot;
  }

  /** Free a slot once the active list no longer names it (see `reclaim`). */
  release(slot: number): void {
    this.freeing.push(slot);
  }

  /** The active list was rebuilt without the freed entities that are off it: their slots may be handed out again. */
  reclaim(): void {
    let kept = 0;
    for (const slot of this.freeing) {
      if (this.listed[slot] === 0) this.free.push(slot);
      else this.freeing[kept++] = slot;
    }
    this.freeing.length = kept;
  }

  private grow(length: number): void {
    this.weight = grown(this.weight, length);
    this.cap = grown(this.cap, length);
    this.activeCount = grown(this.activeCount, length);
    this.firstActive = grown(this.firstActive, length);
    this.listed = grown(this.listed, length);
    this.listStamp = grown(this.listStamp, length);
  }
}
