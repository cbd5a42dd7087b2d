/** Pages of a list, by key (a domid): what a cursor guarantees is said here. */

/** A page: its items, and the key to go on after (null on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly next_after: number | null;
}

/**
 * The first `limit` items of `keyed` (in ascending key order) with a key above
 * `after` that `matches` keeps, and whether more follow. Keyset paging: an item
 * that exists throughout a walk is seen exactly once, whatever is made or
 * deleted meanwhile (keys are never reused, and new ones are higher).
 */
export function keysetPage<R>(keyed: Iterable<R>, keyOf: (item: R) => number, matches: (item: R) => boolean, after = -1, limit = Number.POSITIVE_INFINITY): Page<R> {
  const items: R[] = [];
  for (const item of keyed) {
    if (keyOf(item) <= after || !matches(item)) continue;
    if (items.length === limit) return { items, next_after: keyOf(items[items.length - 1]!) };
    items.push(item);
  }
  return { items, next_after: null };
}
