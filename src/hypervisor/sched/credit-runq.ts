/**
 * The credit scheduler's run queues as lists, the way Xen keeps them: per pCPU,
 * queued vCPUs by priority (BOOST, UNDER, then OVER), FIFO among equals. Each
 * priority is a segment of its own, linked through arrays indexed by vCPU slot,
 * so queueing, taking and re-sorting a vCPU cost the same on a queue of 400
 * vCPUs as on one of 4. The queue's order is its segments one after another.
 */
import { grown } from './credit-tables.ts';

/** No vCPU: an empty segment's ends, a list's last link. */
export const NONE = -1;
const SEGMENTS = 3;

/** The segment holding a priority (credit.ts's Priority: BOOST 0, UNDER -1, OVER -2). */
export const segmentOf = (pri: number): number => (pri === 0 ? 0 : pri === -1 ? 1 : 2);

export class RunQueues {
  /** Per pCPU and segment (pcpu × 3 + segment): its first and last vCPU slot. */
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  /** Per pCPU: how many vCPUs wait there. */
  readonly length: Int32Array;
  /** Per vCPU slot: its neighbours in its segment, the segment it is in, and a key rising along the segment. */
  private next = new Int32Array(16);
  private prev = new Int32Array(16);
  private seg = new Int8Array(16);
  private key = new Float64Array(16);
  /** Per vCPU slot: the pCPU whose queue it is (or was last) in. */
  private home = new Int32Array(16);
  /** Scratch for a whole re-sort. */
  private order = new Int32Array(16);

  constructor(pcpus: number) {
    this.head = new Int32Array(pcpus * SEGMENTS).fill(NONE);
    this.tail = new Int32Array(pcpus * SEGMENTS).fill(NONE);
    this.length = new Int32Array(pcpus);
  }

  /** The first vCPU in queue order, or NONE. */
  first(pcpu: number): number {
    for (let s = 0; s < SEGMENTS; s++) if (this.head[pcpu * SEGMENTS + s] !== NONE) return this.head[pcpu * SEGMENTS + s]!;
    return NONE;
  }

  last(pcpu: number): number {
    for (let s = SEGMENTS - 1; s >= 0; s--) if (this.tail[pcpu * SEGMENTS + s] !== NONE) return this.tail[pcpu * SEGMENTS + s]!;
    return NONE;
  }

  /** The vCPU after `v` in queue order, or NONE. */
  after(pcpu: number, v: number): number {
    if (this.next[v] !== NONE) return this.next[v]!;
    for (let s = this.seg[v]! + 1; s < SEGMENTS; s++) if (this.head[pcpu * SEGMENTS + s] !== NONE) return this.head[pcpu * SEGMENTS + s]!;
    return NONE;
  }

  before(pcpu: number, v: number): number {
    if (this.prev[v] !== NONE) return this.prev[v]!;
    for (let s = this.seg[v]! - 1; s >= 0; s--) if (this.tail[pcpu * SEGMENTS + s] !== NONE) return this.tail[pcpu * SEGMENTS + s]!;
    return NONE;
  }

  /** The pCPU whose queue `v` is in (read while it is queued). */
  pcpuOf(v: number): number {
    return this.home[v]!;
  }

  /** The segment `v` sits in (its priority's, outside an accounting). */
  segmentOfSlot(v: number): number {
    return this.seg[v]!;
  }

  /** Queue `v` last in segment `s`. */
  append(pcpu: number, v: number, s: number): void {
    this.fit(v);
    const at = pcpu * SEGMENTS + s;
    const tail = this.tail[at]!;
    this.link(pcpu, v, s, tail, NONE, tail === NONE ? 0 : this.key[tail]! + 1);
    if (tail === NONE) this.head[at] = v;
    else this.next[tail] = v;
    this.tail[at] = v;
    this.length[pcpu]!++;
  }

  /** Queue `v` first in segment `s`. */
  prepend(pcpu: number, v: number, s: number): void {
    this.fit(v);
    const at = pcpu * SEGMENTS + s;
    const head = this.head[at]!;
    this.link(pcpu, v, s, NONE, head, head === NONE ? 0 : this.key[head]! - 1);
    if (head === NONE) this.tail[at] = v;
    else this.prev[head] = v;
    this.head[at] = v;
    this.length[pcpu]!++;
  }

  /** Queue `v` right after `x` (in x's segment), or first of all when `x` is NONE; keys are left to the next re-sort. */
  insertAfter(pcpu: number, x: number, v: number): void {
    if (x === NONE) {
      this.prepend(pcpu, v, 0);
      return;
    }
    const s = this.seg[x]!;
    if (this.next[x] === NONE) {
      this.append(pcpu, v, s);
      return;
    }
    this.fit(v);
    const after = this.next[x]!;
    this.link(pcpu, v, s, x, after, this.key[x]!);
    this.next[x] = v;
    this.prev[after] = v;
    this.length[pcpu]!++;
  }

  remove(pcpu: number, v: number): void {
    const at = pcpu * SEGMENTS + this.seg[v]!;
    const before = this.prev[v]!;
    const after = this.next[v]!;
    if (before === NONE) this.head[at] = after;
    else this.next[before] = after;
    if (after === NONE) this.tail[at] = before;
    else this.prev[after] = before;
    this.length[pcpu]!--;
  }

  /**
   * Re-sort after the first `count` of `changed` (none queued or taken since the queue was
   * last in order) changed priority: the stable partition by priority, moving only them.
   * Those from an earlier segment go to the head of their new one, those from a later one to
   * its tail, each keeping its order. `changed` is reordered.
   */
  moveChanged(pcpu: number, changed: number[], count: number, pri: Int8Array): void {
    const { seg, key } = this;
    // Into queue order (segment, then key): an insertion sort, as few change in one queue.
    for (let j = 1; j < count; j++) {
      const v = changed[j]!;
      let i = j;
      for (; i > 0 && (seg[changed[i - 1]!]! > seg[v]! || (seg[changed[i - 1]!] === seg[v] && key[changed[i - 1]!]! > key[v]!)); i--) changed[i] = changed[i - 1]!;
      changed[i] = v;
    }
    // Indexed loops: this runs for every queue each period, and an iterator would be allocated.
    for (let j = 0; j < count; j++) if (segmentOf(pri[changed[j]!]!) !== seg[changed[j]!]) this.remove(pcpu, changed[j]!);
    // Into each segment, heads before tails; the segments do not touch one another, so one pass each does them all.
    for (let j = count - 1; j >= 0; j--) {
      const v = changed[j]!;
      const t = segmentOf(pri[v]!);
      if (seg[v]! < t) this.prepend(pcpu, v, t);
    }
    for (let j = 0; j < count; j++) {
      const v = changed[j]!;
      const t = segmentOf(pri[v]!);
      if (seg[v]! > t) this.append(pcpu, v, t);
    }
  }

  /** Re-sort a queue whose order is its segments' but whose members may sit in any: the stable partition by priority. */
  partition(pcpu: number, pri: Int8Array): void {
    const n = this.length[pcpu]!;
    if (this.order.length < n) this.order = new Int32Array(2 * n);
    const order = this.order;
    let count = 0;
    for (let v = this.first(pcpu); v !== NONE; v = this.after(pcpu, v)) order[count++] = v;
    for (let s = 0; s < SEGMENTS; s++) {
      this.head[pcpu * SEGMENTS + s] = NONE;
      this.tail[pcpu * SEGMENTS + s] = NONE;
    }
    this.length[pcpu] = 0;
    for (let i = 0; i < count; i++) this.append(pcpu, order[i]!, segmentOf(pri[order[i]!]!));
  }

  private link(pcpu: number, v: number, s: number, before: number, after: number, key: number): void {
    this.home[v] = pcpu;
    this.seg[v] = s;
    this.prev[v] = before;
    this.next[v] = after;
    this.key[v] = key;
  }

  /** Room for slot `v` in the per-vCPU arrays. */
  private fit(v: number): void {
    if (v < this.next.length) return;
    const length = Math.max(2 * this.next.length, v + 1);
    this.next = grown(this.next, length);
    this.prev = grown(this.prev, length);
    this.seg = grown(this.seg, length);
    this.key = grown(this.key, length);
    this.home = grown(this.home, length);
  }
}
