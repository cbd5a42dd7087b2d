/**
 * Sweep files (`nemesis sweep`): a scenario and the values its parameters
 * take. Every combination of values is a point, run once per seed. Published
 * as sweep.schema.json beside scenario.schema.json, self-contained (the
 * scenario's shapes are among its `$defs`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_SEED } from '../hypervisor/index.ts';
import { scenarioJsonSchema } from './scenario.ts';

/** At most this many seeds per point, and points per sweep (a bound on a mistyped list, not on what a cluster can run). */
export const MAX_SWEEP_SEEDS = 1000;
export const MAX_SWEEP_POINTS = 100_000;

const Seed = Type.Integer({ minimum: 0, maximum: MAX_SEED });

export const Sweep = Type.Object(
  {
    description: Type.Optional(Type.String({ description: 'What the sweep shows.' })),
    scenario: Type.Union([Type.String({ minLength: 1, description: 'A scenario file, relative to the sweep file.' }), Type.Unsafe({ $ref: '#/$defs/Scenario' })], {
      description: 'The scenario every point starts from: a path relative to the sweep file, or the scenario itself.',
    }),
    vary: Type.Record(Type.String({ pattern: '^[^.]+(\\.[^.]+)*$' }), Type.Array(Type.Unknown(), { minItems: 1 }), {
      additionalProperties: false,
      description:
        'A dotted path into the scenario and the values it takes, e.g. `domains.guest.cap: [5, 10, 20]`. In a list, an element is picked by its name (`name`; `master` for a group, `domain` for a member), else by its index (`timeline.1.set.cap`). The points are every combination, the first path varying slowest.',
    }),
    seeds: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: MAX_SWEEP_SEEDS, description: 'Seeds 1..N.' }), Type.Array(Seed, { minItems: 1, maxItems: MAX_SWEEP_SEEDS, uniqueItems: true })], {
        description: "Run every point with each seed (the host's `seed`); without it, once with the scenario's own seed.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type SweepSpec = Static<typeof Sweep>;

/** sweep.schema.json: JSON Schema (2020-12) of a sweep file, self-contained. */
export function sweepJsonSchema(): Record<string, unknown> {
  const { $schema, $defs, ...scenario } = scenarioJsonSchema();
  return JSON.parse(
    JSON.stringify({ $schema, title: 'nemesis sweep', ...Sweep, $defs: { ...($defs as object), Scenario: { ...scenario, title: undefined } } }),
  ) as Record<string, unknown>;
}
