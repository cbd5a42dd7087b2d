/**
 * A XenAPI class's messages, made from one description of it: the fields its
 * record shows (each gets its `get_`), the ones a client may change (`set_`,
 * and `add_to_`/`remove_from_` for maps), and how its objects are listed.
 * Every class answers `get_all`, `get_all_records`, `get_all_records_where`
 * (XAPI's filter expressions), `get_record` and `get_by_uuid` the same way.
 */
import type { Args, MethodSpec, Param, ParamType, XenClass } from './dispatcher.ts';
import type { XenApiContext } from './context.ts';
import { failure } from './failure.ts';
import { fieldsOf, matches, parseFilter } from './filter.ts';
import type { EventClass, XenRecord } from './records.ts';

/** A field a client may set: `set_<field>(self, value)`. */
export interface WritableField {
  readonly type: ParamType;
  readonly set: (args: Args) => void;
}

/** A string → string map field: `set_`, `add_to_(self, key, value)` and `remove_from_(self, key)`. */
export interface MapField {
  readonly set: (args: Args) => void;
  readonly add: (args: Args) => void;
  readonly remove: (args: Args) => void;
}

export interface ClassDescription {
  readonly name: XenClass;
  /** The class as event records name it. */
  readonly event: EventClass;
  /** Every field its record shows. */
  readonly fields: readonly string[];
  /** Every object's ref. */
  readonly refs: () => string[];
  /** The ref of the object with this uuid (default: read every record). */
  readonly byUuid?: (uuid: string) => string | undefined;
  readonly writable?: Readonly<Record<string, WritableField>>;
  readonly maps?: Readonly<Record<string, MapField>>;
  /** Whether it answers `get_by_name_label` (the classes XAPI gives it to). */
  readonly byNameLabel?: boolean;
  /** How JSON-RPC writes one record and a ref → record map (the large answers). */
  readonly json?: { readonly record: MethodSpec['json']; readonly records: MethodSpec['json'] };
}

/** Register the class's messages; answers `add`, which registers one more under `<class>.`. */
export function describeClass(api: XenApiContext, description: ClassDescription): (message: string, spec: MethodSpec) => void {
  const { name, event, fields } = description;
  const add = (message: string, spec: MethodSpec): void => api.dispatcher.add(`${name}.${message}`, spec);
  const self: Param = { name: 'self', type: { ref: name } };
  const string = (param: string): Param => ({ name: param, type: 'string' });
  const record = (args: Args): XenRecord => api.reader().get(event, args.raw[0] as string)!;
  const fieldSet = new Set(fields);
  for (const field of [...Object.keys(description.writable ?? {}), ...Object.keys(description.maps ?? {})]) {
    if (!fieldSet.has(field)) throw new Error(`XenAPI ${name}.${field} is writable but not in its record`);
  }

  add('get_all', { params: [], handler: () => description.refs() });
  add('get_all_records', { params: [], handler: () => api.reader().all(event), json: description.json?.records });
  add('get_all_records_where', {
    params: [string('expr')],
    handler: (args) => {
      const text = args.str(0);
      const expr = parseFilter(text);
      const unknown = fieldsOf(expr).find((field) => !fieldSet.has(field));
      if (unknown !== undefined) throw failure('INVALID_VALUE', text, `${name} has no field "${unknown}"`);
      return Object.fromEntries(Object.entries(api.reader().all(event)).filter(([, r]) => matches(expr, r)));
    },
    json: description.json?.records,
  });
  add('get_record', { params: [self], handler: record, json: description.json?.record });
  add('get_by_uuid', {
    params: [string('uuid')],
    handler: (args) => {
      const uuid = args.str(0);
      const ref = description.byUuid !== undefined
        ? description.byUuid(uuid)
        : Object.entries(api.reader().all(event)).find(([, r]) => r['uuid'] === uuid)?.[0];
      if (ref === undefined) throw failure('UUID_INVALID', name, uuid);
      return ref;
    },
  });
  if (description.byNameLabel === true) {
    add('get_by_name_label', {
      params: [string('label')],
      handler: (args) => Object.entries(api.reader().all(event)).filter(([, r]) => r['name_label'] === args.str(0)).map(([ref]) => ref),
    });
  }
  for (const field of fields) add(`get_${field}`, { params: [self], handler: (args) => record(args)[field] });
  for (const [field, writable] of Object.entries(description.writable ?? {})) {
    add(`set_${field}`, { params: [self, { name: 'value', type: writable.type }], handler: writable.set });
  }
  for (const [field, map] of Object.entries(description.maps ?? {})) {
    add(`set_${field}`, { params: [self, { name: 'value', type: 'map' }], handler: map.set });
    add(`add_to_${field}`, { params: [self, string('key'), string('value')], handler: map.add });
    add(`remove_from_${field}`, { params: [self, string('key')], handler: map.remove });
  }
  return add;
}
