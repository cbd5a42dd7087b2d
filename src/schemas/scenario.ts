/**
 * Scenario files (`nemesis run`): a host, the scheduler's parameters, domains
 * and groups as the API creates them, and a timeline of changes at simulated
 * times. Built from the API's own shapes, so a scenario reads like the
 * requests it stands for; published as scenario.schema.json beside openapi.yaml.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { credit2, MAX_PCPUS, MAX_SEED, SCHED_NAMES } from '../hypervisor/index.ts';
import { CpupoolName, CpupoolRef, CreateCpupoolRequest } from './cpupool.ts';
import { Affinity, DOMAIN_NAME_PATTERN, DomainName, DomainRef, Share, Workload, WorkloadCpu, WorkloadDuty, WorkloadIdle, ref } from './common.ts';
import { CreateDomainRequest, SetDomainSchedRequest, UpdateDomainRequest } from './domain.ts';
import { SetSchedulerRequest } from './host.ts';
import { AddMemberRequest, CreateSchedulingDomainRequest } from './scheduling-domain.ts';

/** The longest run a scenario may ask for: one simulated day. */
export const MAX_SCENARIO_SECONDS = 86_400;
export const DEFAULT_SCENARIO_SECONDS = 60;

const at_ms = Type.Number({ minimum: 0, maximum: MAX_SCENARIO_SECONDS * 1000, description: 'Simulated time of the change, ms from the start.' });
const domain = ref(DomainName);
const group = Type.String({ minLength: 1, maxLength: 64, pattern: DOMAIN_NAME_PATTERN, description: "The scheduling domain, by its master's name." });

const change = <O extends string, P extends Record<string, TSchema>>(op: O, description: string, properties: P) =>
  Type.Object({ at_ms, op: Type.Literal(op), ...properties }, { additionalProperties: false, description });

const CHANGES = [
  change('sched', "Set a domain's weight and cap (PUT /domains/{ref}/sched).", { domain, set: ref(SetDomainSchedRequest) }),
  change('update', 'Change a domain: vCPUs online or their maximum, weight, cap, workload (PATCH /domains/{ref}; not its name or memory).', {
    domain,
    set: ref(UpdateDomainRequest),
  }),
  change('power', 'A power action (POST /domains/{ref}/{action}).', {
    domain,
    action: Type.Union([Type.Literal('start'), Type.Literal('pause'), Type.Literal('unpause'), Type.Literal('destroy')]),
  }),
  change('add-member', 'Add a domain to a scheduling domain (POST /scheduling-domains/{master}/members).', { group, member: ref(AddMemberRequest) }),
  change('remove-member', 'Take a domain out of a scheduling domain (DELETE /scheduling-domains/{master}/members/{domain}).', { group, domain }),
  change('share', "Change the share of a scheduling domain's master or member.", { group, domain, share: Share }),
  change('dissolve', 'Dissolve a scheduling domain (DELETE /scheduling-domains/{master}).', { group }),
  change('scheduler', "Change the scheduler's host-wide parameters (PUT /scheduler).", { set: ref(SetSchedulerRequest) }),
  change('cpupool-migrate', "Move a domain to another cpupool, keeping its weight and cap in the new pool's policy (PUT /domains/{ref}/cpupool; xl cpupool-migrate).", {
    domain,
    cpupool: ref(CpupoolRef),
  }),
] as const;

export const ScenarioChange = Type.Union([...CHANGES], { $id: 'ScenarioChange', description: 'One change of the timeline, tagged by `op`.' });

export const Scenario = Type.Object(
  {
    description: Type.Optional(Type.String({ description: 'What the scenario shows.' })),
    host: Type.Object(
      {
        pcpus: Type.Integer({ minimum: 1, maximum: MAX_PCPUS }),
        seed: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SEED, description: 'Seeds every random choice (default 1).' })),
        sched: Type.Optional(Type.Union(SCHED_NAMES.map((name) => Type.Literal(name)), { description: "Pool-0's scheduler (default credit; nemesisd's --sched)." })),
        topology: Type.Optional(
          Type.Object(
            { sockets: Type.Integer({ minimum: 1 }), cores: Type.Integer({ minimum: 1 }), threads: Type.Integer({ minimum: 1 }) },
            { additionalProperties: false, description: 'sockets × cores × threads, whose product is pcpus (default 1 × pcpus × 1).' },
          ),
        ),
        credit2_runqueue: Type.Optional(
          Type.Union(credit2.CREDIT2_RUNQUEUE_ARRANGEMENTS.map((name) => Type.Literal(name)), { description: "credit2's runqueue arrangement (default socket)." }),
        ),
      },
      { additionalProperties: false },
    ),
    cpupools: Type.Optional(
      Type.Array(ref(CreateCpupoolRequest), {
        description: "Cpupools made before the domains (POST /cpupools), in order; their pCPUs are taken from Pool-0 first. A domain's `cpupool` names one.",
      }),
    ),
    scheduler: Type.Optional(ref(SetSchedulerRequest)),
    seconds: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: MAX_SCENARIO_SECONDS, description: `Simulated seconds to run (default ${DEFAULT_SCENARIO_SECONDS}; --seconds overrides).` }),
    ),
    domains: Type.Array(ref(CreateDomainRequest), {
      minItems: 1,
      maxItems: 100_000,
      description: 'Created in order (domids 1, 2, ...); in a scenario `start` defaults to true (false: started by a timeline `power` change).',
    }),
    groups: Type.Optional(Type.Array(ref(CreateSchedulingDomainRequest), { description: 'Scheduling domains, made once the domains exist.' })),
    timeline: Type.Optional(Type.Array(ref(ScenarioChange), { description: 'Changes at simulated times; each time begins a phase of the report.' })),
  },
  { $id: 'Scenario', additionalProperties: false },
);

export type ScenarioSpec = Static<typeof Scenario>;
export type ScenarioChangeSpec = Static<typeof ScenarioChange>;

/** Every named schema a scenario refers to, for the published document's `$defs`. */
const DEFINITIONS: readonly TSchema[] = [
  DomainName,
  DomainRef,
  Workload,
  WorkloadCpu,
  WorkloadIdle,
  WorkloadDuty,
  Affinity,
  CreateDomainRequest,
  SetDomainSchedRequest,
  UpdateDomainRequest,
  SetSchedulerRequest,
  AddMemberRequest,
  CreateSchedulingDomainRequest,
  CpupoolName,
  CpupoolRef,
  CreateCpupoolRequest,
  ScenarioChange,
];

/** `X#` references (how the API registers its shapes) as `#/$defs/X` of one self-contained document. */
function localRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(localRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, key === '$ref' && typeof inner === 'string' ? `#/$defs/${inner.replace(/#$/, '')}` : localRefs(inner)]),
  );
}

/** scenario.schema.json: JSON Schema (2020-12) of a scenario file, self-contained. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const $defs = Object.fromEntries(DEFINITIONS.map((schema) => [schema.$id!, localRefs({ ...schema, $id: undefined })]));
  return JSON.parse(
    JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'nemesis scenario',
      ...(localRefs({ ...Scenario, $id: undefined }) as object),
      $defs,
    }),
  ) as Record<string, unknown>;
}
