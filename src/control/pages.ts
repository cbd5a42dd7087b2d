/** Pages of a list, by key (a domid): what a cursor guarantees is said here. */

/** A page: its items, and the key to go on after (null on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly next_after: number | null;
  /** How many items match in all pages, when asked for. */
  readonly total?: number;
}

/**
 * The first `limit` items of `keyed` (in ascending key order) with a key above
 * `after` that `matches` keeps, and whether more follow. Keyset paging: an item
 * that exists throughout a walk is seen exactly once, whatever is made or
 * deleted meanwhile (keys are never reused, and new ones are higher).
 */
export function keysetPage<R>(keyed: Iterable<R>, keyOf: (item: R) => number, matches: (item: R) => boolean, after = -1, limit = Number.POSITIVE_INFINITY, count = false): Page<R> {
  const items: R[] = [];
  let next_after: number | null = null;
  let total = 0;
  for (const item of keyed) {
    if (!matches(item)) continue;
    total += 1;
    if (keyOf(item) <= after || next_after !== null) continue;
    if (items.length === limit) {
      next_after = keyOf(items[items.length - 1]!);
      // Counting reads on to the end; a page alone stops here.
      if (!count) return { items, next_after };
      continue;
    }
    items.push(item);
  }
  return count ? { items, next_after, total } : { items, next_after };
}
