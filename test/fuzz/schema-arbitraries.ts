/**
 * fast-check arbitraries from the OpenAPI document's JSON schemas: values a
 * schema accepts (with its boundaries), and values that break it in one place
 * (wrong type, out of range, missing required, unknown property, huge or
 * non-ASCII strings). Nothing here knows the routes: only the schemas.
 */
import fc from 'fast-check';

export interface JsonSchema {
  readonly $ref?: string;
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly minProperties?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
}

export interface SchemaContext {
  readonly components: Readonly<Record<string, JsonSchema>>;
  /** Valid values for named schemas (by component name), e.g. refs that hit the fixture's domains. */
  readonly named: Readonly<Record<string, fc.Arbitrary<unknown>>>;
  /** Valid values narrowed by property name, where the full range would stall or unfreeze the run. */
  readonly narrowed: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

/** One string of 100,000 characters, shared (never copied until sent). */
export const HUGE_STRING = 'x'.repeat(100_000);
export const ODD_STRINGS = ['名前', 'ü', '😀', 'a b', 'a/b', '\u0000', '\t', '%2e', '../x', ' ', 'null', '1e3', '-0'] as const;
const WRONG_TYPES: readonly unknown[] = [null, true, 0, -1, 'x', '', [], {}, [1], { a: 1 }];
/** Extra keys an object must refuse, including the prototype-pollution classics. */
const EXTRA_KEYS = ['extra', '__proto__', 'constructor', 'prototype', 'Name', 'name ', '', '0'] as const;

function componentName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

function resolve(schema: JsonSchema, ctx: SchemaContext): JsonSchema {
  if (schema.$ref === undefined) return schema;
  const target = ctx.components[componentName(schema.$ref)];
  if (target === undefined) throw new Error(`no schema ${schema.$ref}`);
  return resolve(target, ctx);
}

/** Sets a key as an own enumerable property, so `__proto__` is sent as JSON and not taken as the prototype. */
function withKey(object: unknown, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(object as Record<string, unknown>) };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

function withoutKey(object: unknown, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(object as Record<string, unknown>) };
  delete copy[key];
  return copy;
}

function numberArbitrary(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? -2_147_483_648;
  const max = schema.maximum ?? 2_147_483_647;
  const inside = integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  return fc.oneof(fc.constantFrom(min, max), inside);
}

function objectArbitrary(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.entries(schema.properties ?? {});
  const model = Object.fromEntries(properties.map(([key, sub]) => [key, validValue(sub, ctx, key)]));
  const record = fc.record(model, { requiredKeys: [...(schema.required ?? [])] }) as fc.Arbitrary<Record<string, unknown>>;
  const atLeast = schema.minProperties ?? 0;
  return atLeast === 0 ? record : record.filter((value) => Object.keys(value).length >= atLeast);
}

/** A value the schema accepts; `property` is the name it is found under (for `narrowed`). */
export function validValue(schema: JsonSchema, ctx: SchemaContext, property?: string): fc.Arbitrary<unknown> {
  if (property !== undefined && ctx.narrowed[property] !== undefined) return ctx.narrowed[property];
  if (schema.$ref !== undefined) {
    const named = ctx.named[componentName(schema.$ref)];
    return named ?? validValue(resolve(schema, ctx), ctx, property);
  }
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches !== undefined) return fc.oneof(...branches.map((branch) => validValue(branch, ctx)));
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'object':
      return objectArbitrary(schema, ctx);
    case 'integer':
      return numberArbitrary(schema, true);
    case 'number':
      return numberArbitrary(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = validValue(schema.items ?? {}, ctx);
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) };
      return schema.uniqueItems === true ? fc.uniqueArray(items, constraints) : fc.array(items, constraints);
    }
    case 'string': {
      const bounds = { minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 64 };
      if (schema.pattern === undefined) return fc.string(bounds);
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= bounds.minLength && s.length <= bounds.maxLength);
    }
    default:
      return fc.constantFrom(...WRONG_TYPES);
  }
}

function invalidNumber(schema: JsonSchema, integer: boolean): fc.Arbitrary<unknown> {
  const min = schema.minimum ?? -2_147_483_648;
  const max = schema.maximum ?? 2_147_483_647;
  const edges: unknown[] = [min - 1, max + 1, 1e308, -1e308, String(min), `${max}`, 2 ** 53 + 2];
  if (min > 0) edges.push(min / 2, 0);
  if (integer) edges.push(min + 0.5, max - 0.5);
  return fc.constantFrom(...edges, ...WRONG_TYPES.filter((v) => typeof v !== 'number'));
}

function invalidString(schema: JsonSchema): fc.Arbitrary<unknown> {
  const bad: unknown[] = [0, null, true, [], {}, HUGE_STRING, ...ODD_STRINGS];
  if (schema.maxLength !== undefined) bad.push('a'.repeat(schema.maxLength + 1));
  if ((schema.minLength ?? 0) > 0) bad.push('');
  for (const value of schema.enum ?? []) if (typeof value === 'string') bad.push(value.toUpperCase(), `${value} `, `${value}\u0000`);
  return fc.constantFrom(...bad);
}

function invalidArray(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown> {
  const item = validValue(schema.items ?? {}, ctx);
  const options: fc.Arbitrary<unknown>[] = [
    fc.constantFrom('x', {}, 1, null, 'all '),
    invalidValue(schema.items ?? {}, ctx).map((bad) => [bad]),
  ];
  if (schema.uniqueItems === true) options.push(item.map((value) => [value, value]));
  if ((schema.minItems ?? 0) > 0) options.push(fc.constant([]));
  if (schema.maxItems !== undefined) options.push(fc.constant(Array.from({ length: schema.maxItems + 1 }, (_, i) => i)));
  return fc.oneof(...options);
}

function invalidObject(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown> {
  const base = objectArbitrary(schema, ctx);
  const properties = Object.entries(schema.properties ?? {});
  const required = schema.required ?? [];
  const options: fc.Arbitrary<unknown>[] = [
    fc.constantFrom(null, [], 'x', 0, true, [{}]),
    fc.tuple(base, fc.constantFrom(...EXTRA_KEYS), fc.constantFrom(...WRONG_TYPES)).map(([value, key, extra]) => withKey(value, key, extra)),
  ];
  if (required.length > 0) options.push(fc.tuple(base, fc.constantFrom(...required)).map(([value, key]) => withoutKey(value, key)));
  if (required.length > 0 || (schema.minProperties ?? 0) > 0) options.push(fc.constant({}));
  if (properties.length > 0) {
    const broken = fc.constantFrom(...properties).chain(([key, sub]) => fc.tuple(fc.constant(key), invalidValue(sub, ctx)));
    options.push(fc.tuple(base, broken).map(([value, [key, bad]]) => withKey(value, key, bad)));
  }
  return fc.oneof(...options);
}

/** A value that breaks the schema in one place (mostly: a branch of a union may still accept it). */
export function invalidValue(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown> {
  const resolved = resolve(schema, ctx);
  const branches = resolved.oneOf ?? resolved.anyOf;
  if (branches !== undefined) return fc.oneof(...branches.map((branch) => invalidValue(branch, ctx)));
  switch (resolved.type) {
    case 'object':
      return invalidObject(resolved, ctx);
    case 'integer':
      return invalidNumber(resolved, true);
    case 'number':
      return invalidNumber(resolved, false);
    case 'boolean':
      return fc.constantFrom('true', 1, 0, null, 'false', []);
    case 'array':
      return invalidArray(resolved, ctx);
    case 'string':
      return invalidString(resolved);
    default:
      return fc.constantFrom(...WRONG_TYPES);
  }
}
