/**
 * The discrete-event queue: a binary min-heap ordered by time, then by event
 * kind, then by insertion order, so events that fall on the same nanosecond are
 * always handled in the same order. Held as parallel arrays (time, order key,
 * a number carried with the event, its payload), so queueing allocates nothing:
 * a simulation queues an event at nearly every context switch.
 */
const INITIAL_CAPACITY = 64;
/** The order key is rank × RANK_SCALE + insertion number: exact while both fit in 2^53. */
const RANK_SCALE = 2 ** 45;

export class EventQueue<T> {
  private at_ns: Float64Array<ArrayBuffer> = new Float64Array(INITIAL_CAPACITY);
  private order = new Float64Array(INITIAL_CAPACITY);
  private tags = new Float64Array(INITIAL_CAPACITY);
  private readonly payloads: (T | undefined)[] = [];
  private count = 0;
  private nextSeq = 0;

  get size(): number {
    return this.count;
  }

  /** Queue `payload` at `at_ns`; `rank` orders events of one ns (lower first); `tag` is handed back with it (a generation, say). */
  push(at_ns: number, rank: number, payload: T, tag = 0): void {
    if (this.count === this.at_ns.length) this.grow();
    const key = rank * RANK_SCALE + this.nextSeq++;
    const { at_ns: times, order, tags, payloads } = this;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentAt = times[parent]!;
      if (parentAt < at_ns || (parentAt === at_ns && order[parent]! < key)) break;
      times[i] = parentAt;
      order[i] = order[parent]!;
      tags[i] = tags[parent]!;
      payloads[i] = payloads[parent];
      i = parent;
    }
    times[i] = at_ns;
    order[i] = key;
    tags[i] = tag;
    payloads[i] = payload;
  }

  /** When the first event falls; Infinity when none is queued. */
  nextAt(): number {
    return this.count === 0 ? Infinity : this.at_ns[0]!;
  }

  /** The first event's tag (read before `pop`). */
  nextTag(): number {
    return this.tags[0]!;
  }

  /** Take the first event (the queue must not be empty). */
  pop(): T {
    const { at_ns: times, order, tags, payloads } = this;
    const top = payloads[0]!;
    const n = --this.count;
    const lastAt = times[n]!;
    const lastKey = order[n]!;
    const lastTag = tags[n]!;
    const last = payloads[n];
    payloads[n] = undefined;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (times[right]! < times[left]! || (times[right] === times[left] && order[right]! < order[left]!)) ? right : left;
      const childAt = times[child]!;
      if (childAt > lastAt || (childAt === lastAt && order[child]! > lastKey)) break;
      times[i] = childAt;
      order[i] = order[child]!;
      tags[i] = tags[child]!;
      payloads[i] = payloads[child];
      i = child;
    }
    times[i] = lastAt;
    order[i] = lastKey;
    tags[i] = lastTag;
    payloads[i] = last;
    return top;
  }

  private grow(): void {
    const capacity = this.at_ns.length * 2;
    const widen = (from: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const to = new Float64Array(capacity);
      to.set(from);
      return to;
    };
    this.at_ns = widen(this.at_ns);
    this.order = widen(this.order);
    this.tags = widen(this.tags);
  }
}
