/**
 * Reading a sweep file and laying out its points. A point is one combination
 * of the `vary` values, numbered in a stable order: the combinations in the
 * order of nested loops over the paths as written (the first path varies
 * slowest, the last fastest), from 0. Each point runs once per seed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { DEFAULT_SEED } from '../hypervisor/index.ts';
import type { ScenarioSpec } from '../schemas/scenario.ts';
import { MAX_SWEEP_POINTS, sweepJsonSchema, type SweepSpec } from '../schemas/sweep.ts';

export class SweepError extends Error {}

export interface SweepPlan {
  /** The first 16 hex digits of the SHA-256 of the sweep file and of the scenario file it names: in every result line, so shards of different sweeps never merge. */
  readonly hash: string;
  readonly scenario: ScenarioSpec;
  /** The varied paths, in the file's order, each with its values. */
  readonly vary: readonly { readonly path: string; readonly values: readonly unknown[] }[];
  readonly seeds: readonly number[];
  readonly points: number;
}

let validate: ((value: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null } | undefined;

function validator(): NonNullable<typeof validate> {
  // strict off: the scenario's shapes carry OpenAPI's keywords (discriminator, examples).
  validate ??= new Ajv2020({ strict: false, discriminator: true, allErrors: true }).compile(sweepJsonSchema());
  return validate;
}

function parseYaml(text: string, source: string): unknown {
  try {
    return parse(text, { prettyErrors: true });
  } catch (error) {
    throw new SweepError(`${source}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new SweepError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The sweep in the file at `path`, with its scenario read (a path is relative to the sweep file). */
export function readSweep(path: string): SweepPlan {
  const text = readText(path);
  const value = parseYaml(text, path);
  const check = validator();
  if (!check(value)) {
    const problems = (check.errors ?? []).map((e) => `${e.instancePath === '' ? '(top)' : e.instancePath} ${e.message ?? 'is invalid'}`);
    throw new SweepError(`${path}: ${[...new Set(problems)].join('; ')}`);
  }
  const spec = value as SweepSpec;
  const hash = createHash('sha256').update(text);
  let scenario: ScenarioSpec;
  if (typeof spec.scenario === 'string') {
    const scenarioPath = resolve(dirname(path), spec.scenario);
    const scenarioText = readText(scenarioPath);
    hash.update('\0').update(scenarioText);
    scenario = parseYaml(scenarioText, scenarioPath) as ScenarioSpec;
  } else {
    scenario = spec.scenario as ScenarioSpec;
  }
  return planSweep(spec, scenario, hash.digest('hex').slice(0, 16), path);
}

function planSweep(spec: SweepSpec, scenario: ScenarioSpec, hash: string, source: string): SweepPlan {
  const vary = Object.entries(spec.vary).map(([path, values]) => ({ path, values }));
  // Every path must lead somewhere in the scenario before anything runs: a mistyped name fails the sweep, not each point.
  for (const { path, values } of vary) {
    try {
      setPath(structuredClone(scenario), path, values[0]);
    } catch (error) {
      if (error instanceof SweepError) throw new SweepError(`${source}: vary.${path}: ${error.message}`);
      throw error;
    }
  }
  const seeds = spec.seeds === undefined ? [scenario.host?.seed ?? DEFAULT_SEED] : typeof spec.seeds === 'number' ? Array.from({ length: spec.seeds }, (_, i) => i + 1) : spec.seeds;
  const points = vary.reduce((n, { values }) => n * values.length, 1);
  if (points > MAX_SWEEP_POINTS) throw new SweepError(`${source}: ${points} points; at most ${MAX_SWEEP_POINTS}`);
  return { hash, scenario, vary, seeds, points };
}

/** The value of each varied path at point `index` (0 ≤ index < points). */
export function pointValues(plan: SweepPlan, index: number): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  let rest = index;
  for (let i = plan.vary.length - 1; i >= 0; i--) {
    const { path, values: taken } = plan.vary[i]!;
    values[path] = taken[rest % taken.length];
    rest = Math.floor(rest / taken.length);
  }
  return Object.fromEntries(plan.vary.map(({ path }) => [path, values[path]]));
}

/** The scenario of one point and seed: a copy with each path set and the host's seed. */
export function pointScenario(plan: SweepPlan, values: Record<string, unknown>, seed: number): ScenarioSpec {
  const scenario = structuredClone(plan.scenario);
  for (const [path, value] of Object.entries(values)) setPath(scenario, path, value);
  if (typeof scenario.host === 'object' && scenario.host !== null) scenario.host = { ...scenario.host, seed };
  return scenario;
}

/** The keys that name a list's element: a domain's `name`, a group's `master`, a member's `domain`. */
const NAME_KEYS = ['name', 'master', 'domain'] as const;

function element(list: unknown[], segment: string, where: string): number {
  const named = list.findIndex((item) => typeof item === 'object' && item !== null && NAME_KEYS.some((key) => (item as Record<string, unknown>)[key] === segment));
  if (named >= 0) return named;
  if (/^(0|[1-9][0-9]*)$/.test(segment) && Number(segment) < list.length) return Number(segment);
  throw new SweepError(`${where} has no element named ${segment}${/^[0-9]+$/.test(segment) ? ` and ${list.length} elements` : ''}`);
}

/**
 * Set `value` at a dotted path: in a list, an element by its name or index;
 * in an object, a key (made, with the objects on the way, if the scenario
 * leaves it out, so `scheduler.tslice_ms` works on a scenario without one).
 */
export function setPath(target: object, path: string, value: unknown): void {
  const segments = path.split('.');
  let node: unknown = target;
  segments.forEach((segment, i) => {
    const where = segments.slice(0, i).join('.') || '(the scenario)';
    const last = i === segments.length - 1;
    if (Array.isArray(node)) {
      const at = element(node, segment, where);
      if (last) node[at] = value;
      else node = node[at];
    } else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (last) record[segment] = value;
      else node = record[segment] ??= {};
    } else {
      throw new SweepError(`${where} is ${JSON.stringify(node)}, not a list or an object`);
    }
  });
}
