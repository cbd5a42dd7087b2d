/**
 * XenAPI's value types as this front door writes them: refs, floats and
 * dates (which both transports must write as XenAPI does), and stable uuids
 * for the objects that have no uuid of their own in the control layer.
 */
import { createHash } from 'node:crypto';
import { NS_PER_MS } from '../vocabulary/units.ts';

export const REF_PREFIX = 'OpaqueRef:';
export const NULL_REF = 'OpaqueRef:NULL';

/**
 * A ref, as one flat string: a daemon keeps three per VM in its indexes, and `+` or a
 * template literal would keep each as a tree of its pieces (about 200 bytes more a VM).
 */
export const refOf = (uuid: string): string => [REF_PREFIX, uuid].join('');

/** A cpupool's uuid, from its id and name: stable across restarts, new for a pool that reuses a destroyed one's id. */
export const cpuPoolUuid = (pool: { readonly id: number; readonly name: string }): string => stableUuid(`cpu_pool/${pool.id}/${pool.name}`);
export const cpuPoolRef = (pool: { readonly id: number; readonly name: string }): string => refOf(cpuPoolUuid(pool));

/**
 * A float field (utilisation, progress): a JSON number, and an XML-RPC
 * `<double>` even when whole (ints go out as strings there, as XenAPI does).
 */
export class XenFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  toJSON(): number {
    return this.value;
  }
}

/** A DateTime field: XenAPI's `YYYYMMDDTHH:MM:SSZ` string in JSON, `<dateTime.iso8601>` in XML-RPC. */
export class XenDateTime {
  readonly date: Date;
  constructor(date: Date) {
    this.date = date;
  }
  toJSON(): string {
    return this.date.toISOString().replace(/-/g, '').replace(/\.[0-9]{3}Z$/, 'Z');
  }
}

/** Simulated time as a date: the simulation's clock starts at the epoch. */
export const simulatedDate = (at_ns: number): XenDateTime => new XenDateTime(new Date(Math.floor(at_ns / NS_PER_MS)));

/**
 * A uuid derived from a name (SHA-1, shaped as a version-5 uuid): the same
 * object gets the same ref in every run, and across restarts.
 */
export function stableUuid(name: string): string {
  const hex = createHash('sha1').update(`nemesis/${name}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  // join makes one flat string, not a tree of slices that would keep the whole digest too.
  return [hex.slice(0, 8), hex.slice(8, 12), `5${hex.slice(13, 16)}`, `${variant}${hex.slice(17, 20)}`, hex.slice(20, 32)].join('-');
}
