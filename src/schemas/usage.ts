/** The fairness report: observed against expected CPU shares, per domain, per scheduling domain, per pCPU and per cpupool. */
import { Type } from '@sinclair/typebox';
import { MAX_USAGE_STEPS, NS_PER_MS, SCHED_NAMES, USAGE_HISTORY_NS } from '../hypervisor/index.ts';
import { Domid, Nanoseconds, Nullable, ref } from './common.ts';

export const MAX_WINDOW_MS = USAGE_HISTORY_NS / NS_PER_MS;
export const DEFAULT_WINDOW_MS = 1000;
export const MIN_USAGE_INTERVAL_MS = 100;
export const MAX_USAGE_INTERVAL_MS = 60_000;

export const USAGE_REASONS = ['sampled_accounting', 'capped', 'pinned', 'blocking', 'unequal_vcpu_shares', 'short_window'] as const;

export const UsageQuery = Type.Object(
  {
    window_ms: Type.Optional(Type.String({
      pattern: '^[0-9]{1,15}$',
      description: `Simulated ms to look back, 1..${MAX_WINDOW_MS} (default ${DEFAULT_WINDOW_MS}): the history kept is the last ${MAX_WINDOW_MS} ms.`,
      examples: ['30000'],
    })),
  },
  { additionalProperties: false },
);

export const HostUsageQuery = Type.Object(
  {
    ...UsageQuery.properties,
    step_ms: Type.Optional(Type.String({
      pattern: '^[0-9]{1,15}$',
      description: `With it, the answer has \`series\`: the window cut into steps of step_ms of simulated time (at most ${MAX_USAGE_STEPS} steps), each step's shares, oldest first.`,
      examples: ['1000'],
    })),
    domains: Type.Optional(Type.String({
      pattern: '^[0-9]{1,10}(,[0-9]{1,10}){0,999}$',
      description: 'Only these domains (domids, comma-separated, at most 1000) in `domains` and in each step of `series`, so that a client showing some of a large host\'s domains reads only theirs; the shares are worked out over the whole host as always. Scheduling domains and pCPUs are all given.',
      examples: ['1,2,7'],
    })),
  },
  { additionalProperties: false },
);

const Pct = (description: string) => Type.Number({ description });
const shares = {
  observed_pct: Pct('CPU used over the window, percent of one pCPU (100 = one whole pCPU, like xentop CPU(%)).'),
  expected_pct: Pct('What weights, caps, shares, affinity and demand give it in the steady state (weighted max-min fairness).'),
  diff_pct: Pct('observed_pct − expected_pct.'),
  reason: Nullable(Type.Unsafe<(typeof USAGE_REASONS)[number]>(Type.String({
    enum: [...USAGE_REASONS, null],
    description:
      'Why observed and expected differ by more than threshold_pct, where the steady-state model is known not to hold; else null. ' +
      'sampled_accounting: Xen 3.1 accounting by sampling at ticks, which a guest can game; ' +
      'capped: its claimant has a cap, whose vCPUs are parked once in debt past their part of it (it runs in bursts, ' +
      "and is held near its weight's share even below the cap), or a capped claimant's bursts take pCPUs it needs; " +
      'pinned: hard affinity, which the scheduler balances by stealing rather than by the best placement; ' +
      'unequal_vcpu_shares: it contends for the pCPUs with vCPUs whose expected shares differ by more than 20% ' +
      '(two priority classes and credit clipped at one timeslice approach such proportions without reaching them); ' +
      'blocking: a workload that blocks, or contends with one, where vCPUs outnumber the pCPUs (wakes wait behind running vCPUs or preempt them); ' +
      'short_window: one timeslice is more than threshold_pct of the window.',
  }))),
};

export const DomainUsage = Type.Object(
  {
    id: Domid,
    name: Type.String(),
    state: Type.String({ description: 'running, paused or halted.' }),
    cpupool: Type.String({ description: "The name of the cpupool the domain is in: its expected share is a part of that pool's pCPUs only." }),
    ...shares,
  },
  { $id: 'DomainUsage', additionalProperties: false },
);

export const SchedulingDomainUsage = Type.Object(
  {
    master: Domid,
    members: Type.Array(Domid, { description: 'Member domids, in the order they joined.' }),
    active: Type.Boolean({ description: 'In force in the hypervisor (the master runs or is paused).' }),
    ...shares,
  },
  { $id: 'SchedulingDomainUsage', additionalProperties: false },
);

export const PcpuUsage = Type.Object(
  { id: Type.Integer({ minimum: 0 }), busy_pct: Pct('Percent of the window a guest vCPU ran there.') },
  { $id: 'PcpuUsage', additionalProperties: false },
);

export const CpupoolUsage = Type.Object(
  {
    id: Type.Integer({ minimum: 0, description: 'The pool\'s id (Pool-0 is 0).' }),
    name: Type.String({ description: 'The pool\'s name, as the domain rows\' `cpupool` gives it.' }),
    sched: Type.Union(SCHED_NAMES.map((name) => Type.Literal(name)), { description: 'Its scheduler: the policy its expected shares follow.' }),
    pcpus: Type.Array(Type.Integer({ minimum: 0 }), { description: 'Its pCPUs now.' }),
    capacity_pct: Pct('What its pCPUs can give, percent of one pCPU: 100 × its pCPUs. Its domains share this and nothing more.'),
    domains: Type.Integer({ minimum: 0, description: 'How many domains live in it (halted ones included).' }),
    observed_pct: Pct('Its domains\' observed_pct together.'),
    expected_pct: Pct('Its domains\' expected_pct together (at most capacity_pct).'),
    diff_pct: Pct('observed_pct − expected_pct.'),
    busy_pct: Pct('Its pCPUs\' busy_pct together.'),
  },
  {
    $id: 'CpupoolUsage',
    additionalProperties: false,
    description: 'The report summed over one cpupool: its domains as they live now (a domain moved within the window counts all its CPU in its pool now), against its capacity.',
  },
);

const window = {
  now_ns: Nanoseconds('Simulated time the window ends at.'),
  window_ns: Nanoseconds('The window actually covered: from a 30 ms sample instant at or before its requested start, shorter just after boot.'),
  threshold_pct: Pct('A difference larger than this gets a reason when one is known.'),
};

export const UsageStep = Type.Object(
  {
    now_ns: Nanoseconds('Simulated time the step ends at (a 30 ms sample instant, or now for the last step).'),
    interval_ns: Nanoseconds('Simulated time the step covers, ending at now_ns.'),
    domains: Type.Array(Type.Object({ id: Domid, observed_pct: shares.observed_pct }, { additionalProperties: false }), { description: 'Each domain that exists now.' }),
    pcpus: Type.Array(ref(PcpuUsage)),
  },
  { $id: 'UsageStep', additionalProperties: false, description: 'Observed shares over one step of a series; the same fields as a `usage` event of the stream.' },
);

export const HostUsage = Type.Object(
  {
    ...window,
    busy_pct: Pct('All pCPUs together, percent of one pCPU (at most 100 × pCPUs).'),
    domains: Type.Array(ref(DomainUsage)),
    scheduling_domains: Type.Array(ref(SchedulingDomainUsage)),
    pcpus: Type.Array(ref(PcpuUsage)),
    cpupools: Type.Array(ref(CpupoolUsage), { description: 'Each cpupool, by id: what its domains get together, against what its pCPUs can give.' }),
    series: Type.Optional(Type.Array(ref(UsageStep), { description: 'Only with step_ms: the window in steps, oldest first; steps before the history kept are left out.' })),
  },
  { $id: 'HostUsage', additionalProperties: false },
);

export const DomainUsageReport = Type.Object(
  { ...window, domain: ref(DomainUsage) },
  { $id: 'DomainUsageReport', additionalProperties: false },
);

export const SchedulingDomainUsageReport = Type.Object(
  { ...window, scheduling_domain: ref(SchedulingDomainUsage), domains: Type.Array(ref(DomainUsage), { description: 'The master, then the members.' }) },
  { $id: 'SchedulingDomainUsageReport', additionalProperties: false },
);

export const USAGE_SCHEMAS = [DomainUsage, SchedulingDomainUsage, PcpuUsage, CpupoolUsage, UsageStep, HostUsage, DomainUsageReport, SchedulingDomainUsageReport];
