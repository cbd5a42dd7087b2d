/** The lab: replay logs of the run so far, and what-if previews of changes on a copy of the host. */
import { Type } from '@sinclair/typebox';
import { SCHED_NAMES } from '../hypervisor/index.ts';
import { Domid, Nanoseconds, Nullable, ref } from './common.ts';

export const MIN_WHAT_IF_MS = 1;
export const MAX_WHAT_IF_MS = 600_000;
export const MAX_WHAT_IF_CHANGES = 100;
/**
 * The work a what-if may ask for: vCPUs × simulated ms, over both copies it runs.
 * 64 pCPUs × 1024 one-vCPU domains for 60 s is 61M; the limit is about ten times that.
 */
export const MAX_WHAT_IF_VCPU_MS = 600_000_000;

const Pct = (description: string) => Type.Number({ description });

export const ReplayEntry = Type.Object(
  {
    at_ns: Nanoseconds('Simulated time the change was applied at.'),
    op: Type.Object({ op: Type.String({ description: 'The domctl (createdomain, scheduler_op, schedgroup, …).' }) }, {
      additionalProperties: true,
      description: 'The domctl as the hypervisor took it: its operation and arguments.',
    }),
  },
  { $id: 'ReplayEntry', additionalProperties: false },
);

export const ReplayLog = Type.Object(
  {
    format: Type.Literal('nemesis-replay-log/1'),
    origin: Type.Object(
      {
        pcpus: Type.Integer({ minimum: 1 }),
        seed: Type.Integer({ minimum: 0 }),
        scheduler: Type.String({ examples: ['credit'] }),
      },
      { additionalProperties: false, description: 'How the simulated host was made.' },
    ),
    entries: Type.Array(ref(ReplayEntry), { description: 'Every change to the simulated host since it was made, in order.' }),
    now_ns: Nanoseconds('Simulated time at export: a replay runs to here.'),
    trace_hash: Type.String({ description: 'The trace hash at export: a faithful replay reaches the same.' }),
  },
  { $id: 'ReplayLog', additionalProperties: false },
);

const Policy = Type.Union(SCHED_NAMES.map((name) => Type.Literal(name)), { description: 'A scheduling policy.' });

export const WhatIfChange = Type.Object(
  {
    method: Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('DELETE')], { description: 'A method that changes something.' }),
    path: Type.String({ minLength: 2, maxLength: 512, pattern: '^/', description: 'A path of this API, relative to /api/v1.', examples: ['/domains/web/sched'] }),
    body: Type.Optional(Type.Unknown({ description: 'The request body, as that request takes it.' })),
  },
  { $id: 'WhatIfChange', additionalProperties: false },
);

export const WhatIfRequest = Type.Object(
  {
    ms: Type.Integer({ minimum: MIN_WHAT_IF_MS, maximum: MAX_WHAT_IF_MS, description: 'Simulated ms to look ahead, after the changes.' }),
    changes: Type.Array(ref(WhatIfChange), { maxItems: MAX_WHAT_IF_CHANGES, description: 'Requests of this API, applied in order to a copy of the host.' }),
    trace: Type.Optional(Type.Boolean({ description: 'Also record a scheduler trace of the changed copy over the look-ahead, kept like a live trace: `GET /host/trace/{trace_id}`. Not with `policies`.' })),
    policies: Type.Optional(
      Type.Array(Policy, {
        minItems: 1,
        maxItems: SCHED_NAMES.length,
        uniqueItems: true,
        description:
          'Run the same what-if once per policy, side by side: the answer is then a WhatIfComparison, one result per policy in this order. ' +
          'Under a policy that every pool of the host already runs, the copy is the exact one; under another, every pool switches to it: ' +
          "the copy is the host's configuration (pools, domains, groups, weights, caps) restarted under that policy, its pools' parameters that policy's defaults.",
      }),
    ),
  },
  { $id: 'WhatIfRequest', additionalProperties: false },
);

const shares = {
  predicted_pct: Nullable(Pct('CPU used with the changes, percent of one pCPU (100 = one pCPU); null when it does not exist in that copy.')),
  baseline_pct: Nullable(Pct('CPU used without the changes; null when it does not exist without them.')),
  expected_pct: Nullable(Pct('The fairness model\'s share with the changes (as in the usage report); null when it does not exist with them.')),
};

export const WhatIfDomain = Type.Object(
  { id: Domid, name: Type.String(), ...shares },
  { $id: 'WhatIfDomain', additionalProperties: false },
);

export const WhatIfSchedulingDomain = Type.Object(
  { master: Domid, ...shares },
  { $id: 'WhatIfSchedulingDomain', additionalProperties: false },
);

export const WhatIf = Type.Object(
  {
    from_ns: Nanoseconds('Simulated time of the live host when copied.'),
    window_ns: Nanoseconds('The look-ahead measured: `ms` of simulated time after the changes.'),
    trace_hash: Type.String({ description: 'The changed copy\'s trace hash at the end (the same as doing the changes for real at from_ns and running as long).' }),
    baseline_trace_hash: Type.String({ description: 'The unchanged copy\'s trace hash at the end.' }),
    domains: Type.Array(ref(WhatIfDomain)),
    scheduling_domains: Type.Array(ref(WhatIfSchedulingDomain)),
    trace_id: Type.Optional(Type.Integer({ minimum: 1, description: 'With `trace`: the id of the changed copy\'s scheduler trace (`GET /host/trace/{trace_id}`).' })),
  },
  { $id: 'WhatIf', additionalProperties: false },
);

export const WhatIfPolicyResult = Type.Object(
  {
    policy: Policy,
    copy: Type.Union([Type.Literal('exact'), Type.Literal('restarted')], {
      description:
        'exact: every pool already ran this policy, so the copy is the live host as it is (the same result as a what-if without `policies`); ' +
        'restarted: the configuration restarted under this policy from simulated time 0 (a policy\'s credits and run queues do not translate to another\'s).',
    }),
    switched_pools: Type.Array(Type.String(), { description: 'The pools that ran another policy and run this one in the copy, by name (Pool-0 first).' }),
    trace_hash: Type.String({ description: 'The changed copy\'s trace hash at the end.' }),
    baseline_trace_hash: Type.String({ description: 'The unchanged copy\'s trace hash at the end.' }),
    domains: Type.Array(ref(WhatIfDomain)),
    scheduling_domains: Type.Array(ref(WhatIfSchedulingDomain)),
  },
  { $id: 'WhatIfPolicyResult', additionalProperties: false, description: 'A what-if under one policy: with and without the changes, and the fairness model\'s share under that policy.' },
);

export const WhatIfComparison = Type.Object(
  {
    from_ns: Nanoseconds('Simulated time of the live host when copied.'),
    window_ns: Nanoseconds('The look-ahead measured under each policy: `ms` of simulated time after the changes.'),
    policies: Type.Array(ref(WhatIfPolicyResult), { description: 'One result per policy asked for, in the order asked.' }),
  },
  { $id: 'WhatIfComparison', additionalProperties: false },
);

export const LAB_SCHEMAS = [ReplayEntry, ReplayLog, WhatIfChange, WhatIfRequest, WhatIfDomain, WhatIfSchedulingDomain, WhatIf, WhatIfPolicyResult, WhatIfComparison];
