/**
 * `get_all_records` on many VMs writes mostly the same records, call after
 * call, and writing JSON costs in proportion to its bytes (a XenAPI VM record
 * is about three times a REST domain). So each ref's entry is kept, encoded,
 * with the record it was written from, and reused while an equal record
 * comes again: the answer stays a pure function of the records, with no
 * invalidation to get wrong.
 */

/** Equal as JSON values (records hold only strings, numbers, booleans, arrays and plain objects). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => Object.hasOwn(b, key) && sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

interface Written<T> {
  readonly record: T;
  /** `"ref":{…}` in UTF-8: the entry as it goes into the answer's object. */
  readonly entry: Buffer;
}

const OPEN = Buffer.from('{');
const CLOSE = Buffer.from('}');
const COMMA = Buffer.from(',');

/**
 * A writer of ref → record maps as a JSON object, in UTF-8 chunks (joined
 * once, with the rest of the answer), that remembers the last map's entries
 * (and only those: VMs gone are forgotten).
 */
export function reusingRecordsJson<T>(recordJson: (record: T) => string): (records: Readonly<Record<string, T>>) => Buffer[] {
  let last = new Map<string, Written<T>>();
  return (records) => {
    const written = new Map<string, Written<T>>();
    const chunks: Buffer[] = [OPEN];
    for (const [ref, record] of Object.entries(records)) {
      let entry = last.get(ref);
      if (entry === undefined || !sameJson(entry.record, record)) {
        entry = { record, entry: Buffer.from(`${JSON.stringify(ref)}:${recordJson(record)}`) };
      }
      written.set(ref, entry);
      if (chunks.length > 1) chunks.push(COMMA);
      chunks.push(entry.entry);
    }
    last = written;
    chunks.push(CLOSE);
    return chunks;
  };
}
