/**
 * One deeply frozen copy per distinct small value (a domain's workload, its
 * affinity list), shared by every record that holds it: a host of 100,000
 * domains made alike holds one `{ "type": "cpu" }` and one `["all"]`, and the
 * hypervisor's replay log shares them too (it copies only what is not deeply
 * frozen). At most MAX_SHARED are kept; past that, values are frozen copies of
 * their own.
 */
const MAX_SHARED = 1024;
const byJson = new Map<string, unknown>();

/** The shared value that `json` (JSON text) parses to. */
export function sharedFromJson<T>(json: string): T {
  let value = byJson.get(json);
  if (value === undefined) {
    value = deepFreeze(JSON.parse(json) as unknown);
    if (byJson.size < MAX_SHARED) byJson.set(json, value);
  }
  return value as T;
}

/** The shared value equal to `value` (plain JSON data). */
export const shared = <T>(value: T): T => sharedFromJson(JSON.stringify(value));

function deepFreeze(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) {
    for (const field of Object.values(value)) deepFreeze(field);
    Object.freeze(value);
  }
  return value;
}
