/**
 * Explicit discriminator mappings for the OpenAPI document. Without `mapping`,
 * OpenAPI's implicit rule takes a tag value as a schema name (`cpu` →
 * `#/components/schemas/cpu`), which strict clients reject. Ajv refuses `mapping`
 * in the schemas it compiles, so it is added here, to the document only, derived
 * from each variant's own tag: the variants stay the one home of their values.
 */
const SCHEMA_PREFIX = '#/components/schemas/';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** The single value a variant's discriminator property allows (`enum` of one or `const`). */
function tagOf(variant: Json, propertyName: string, name: string): string {
  const property = isObject(variant.properties) ? variant.properties[propertyName] : undefined;
  const values = isObject(property) ? (Array.isArray(property.enum) ? property.enum : 'const' in property ? [property.const] : []) : [];
  const [value] = values;
  if (values.length !== 1 || typeof value !== 'string') {
    throw new Error(`discriminator variant ${name}: "${propertyName}" must allow exactly one string value`);
  }
  return value;
}

function mappingFor(union: Json, discriminator: Json, schemas: Json): Record<string, string> {
  const propertyName = String(discriminator.propertyName);
  const variants = Array.isArray(union.oneOf) ? union.oneOf : Array.isArray(union.anyOf) ? union.anyOf : [];
  const mapping: Record<string, string> = {};
  for (const variant of variants) {
    const target = isObject(variant) ? variant.$ref : undefined;
    if (typeof target !== 'string' || !target.startsWith(SCHEMA_PREFIX)) {
      throw new Error(`discriminator "${propertyName}": every variant must be a named component schema ($ref)`);
    }
    const name = target.slice(SCHEMA_PREFIX.length);
    const schema = schemas[name];
    if (!isObject(schema)) throw new Error(`discriminator "${propertyName}": no component schema ${name}`);
    mapping[tagOf(schema, propertyName, name)] = target;
  }
  return mapping;
}

/** Adds `mapping` to every discriminator anywhere in the document (in place) and returns it. */
export function addDiscriminatorMappings<T extends object>(document: T): T {
  const components = (document as Json).components;
  const schemas = isObject(components) && isObject(components.schemas) ? components.schemas : {};
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    if (isObject(node.discriminator)) node.discriminator = { ...node.discriminator, mapping: mappingFor(node, node.discriminator, schemas) };
    Object.values(node).forEach(visit);
  };
  visit(document);
  return document;
}
