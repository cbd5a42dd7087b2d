import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { OPENAPI_FILE } from '../../scripts/openapi-document.ts';
import { addDiscriminatorMappings } from '../../src/http/openapi-discriminators.ts';

type Json = Record<string, unknown>;
const PREFIX = '#/components/schemas/';

/** Every object in the document that has a `discriminator`, with where it is. */
function discriminatedUnions(node: unknown, where = '#', found: Array<{ where: string; union: Json }> = []) {
  if (typeof node !== 'object' || node === null) return found;
  if ('discriminator' in node) found.push({ where, union: node as Json });
  for (const [key, child] of Object.entries(node)) discriminatedUnions(child, `${where}/${key}`, found);
  return found;
}

describe('discriminators in openapi.yaml', () => {
  const spec = parse(readFileSync(OPENAPI_FILE, 'utf8')) as { components: { schemas: Record<string, Json> } };
  const unions = discriminatedUnions(spec);

  it('include the Workload union, mapped by name', () => {
    const workload = spec.components.schemas['Workload'] as { discriminator: unknown };
    assert.deepEqual(workload.discriminator, {
      propertyName: 'type',
      mapping: { cpu: `${PREFIX}WorkloadCpu`, idle: `${PREFIX}WorkloadIdle`, duty: `${PREFIX}WorkloadDuty` },
    });
  });

  it('each map every variant to a component schema whose discriminator property allows exactly the mapped value', () => {
    assert.ok(unions.length > 0);
    for (const { where, union } of unions) {
      const { propertyName, mapping } = union.discriminator as { propertyName: string; mapping?: Record<string, string> };
      assert.ok(mapping, `${where}: discriminator has a mapping`);
      const variants = ((union.oneOf ?? union.anyOf) as Array<{ $ref: string }>).map((v) => v.$ref);
      assert.deepEqual(Object.values(mapping).sort(), [...variants].sort(), `${where}: mapping covers exactly the variants`);
      for (const [value, target] of Object.entries(mapping)) {
        assert.ok(target.startsWith(PREFIX), `${where}: ${target} is a component schema`);
        const schema = spec.components.schemas[target.slice(PREFIX.length)] as { properties?: Record<string, Json>; required?: string[] };
        assert.ok(schema, `${where}: ${target} exists`);
        const property = schema.properties?.[propertyName];
        assert.ok(property, `${target} has ${propertyName}`);
        assert.ok(schema.required?.includes(propertyName), `${target} requires ${propertyName}`);
        const allowed = Array.isArray(property.enum) ? property.enum : [property.const];
        assert.deepEqual(allowed, [value], `${target}.${propertyName} allows exactly "${value}"`);
      }
    }
  });
});

describe('addDiscriminatorMappings', () => {
  it('refuses a variant that is not a named component schema', () => {
    const document = { components: { schemas: { U: { oneOf: [{ type: 'object' }], discriminator: { propertyName: 'kind' } } } } };
    assert.throws(() => addDiscriminatorMappings(document), /must be a named component schema/);
  });

  it('refuses a variant whose tag allows more than one value', () => {
    const document = {
      components: {
        schemas: {
          A: { type: 'object', properties: { kind: { type: 'string', enum: ['a', 'b'] } } },
          U: { oneOf: [{ $ref: `${PREFIX}A` }], discriminator: { propertyName: 'kind' } },
        },
      },
    };
    assert.throws(() => addDiscriminatorMappings(document), /variant A: "kind" must allow exactly one string value/);
  });
});
