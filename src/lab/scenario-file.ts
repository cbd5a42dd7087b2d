/**
 * Reading a scenario file: YAML (JSON is YAML too), checked against the
 * published schema (scenario.schema.json) before anything runs, with every
 * problem named by its place in the file.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { scenarioJsonSchema, type ScenarioSpec } from '../schemas/scenario.ts';
import { ScenarioError } from './scenario.ts';

let validate: ((value: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null } | undefined;

function validator(): NonNullable<typeof validate> {
  // strict off: the shapes carry OpenAPI's keywords (discriminator, examples) that JSON Schema leaves alone.
  validate ??= new Ajv2020({ strict: false, discriminator: true, allErrors: true }).compile(scenarioJsonSchema());
  return validate;
}

/** The scenario in `text` (YAML or JSON); a ScenarioError names every problem, with `source` (the file) in front. */
export function parseScenario(text: string, source: string): ScenarioSpec {
  let value: unknown;
  try {
    value = parse(text, { prettyErrors: true });
  } catch (error) {
    throw new ScenarioError(`${source}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const check = validator();
  if (!check(value)) {
    const problems = (check.errors ?? []).map((e) => `${e.instancePath === '' ? '(top)' : e.instancePath} ${e.message ?? 'is invalid'}`);
    throw new ScenarioError(`${source}: ${[...new Set(problems)].join('; ')}`);
  }
  return value as ScenarioSpec;
}
