/** The domain object and the requests that create and change domains. */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_GUEST_VCPUS } from '../hypervisor/index.ts';
import { Affinity, Cap, DomainName, DomainRefParam, Domid, ItemVersion, ListInclude, Nanoseconds, Nullable, pageOf, PageCursor, PageLimit, ref, VcpuCount, Weight, Workload } from './common.ts';

export const DomainSched = Type.Object(
  { weight: Weight, cap: Cap },
  { $id: 'DomainSched', additionalProperties: false, description: 'Credit-scheduler parameters (xm sched-credit).' },
);

export const Domain = Type.Object(
  {
    id: Domid,
    uuid: Type.String({ format: 'uuid' }),
    name: ref(DomainName),
    state: Type.Union([Type.Literal('running'), Type.Literal('paused'), Type.Literal('halted')]),
    vcpus: Type.Integer({ minimum: 1, description: 'vCPUs online.' }),
    max_vcpus: VcpuCount,
    memory_mb: Type.Integer({ minimum: 1 }),
    sched: ref(DomainSched),
    workload: ref(Workload),
    scheduling_domain: Nullable(
      Type.Integer({ minimum: 0, description: "The scheduling domain it belongs to (its master's domid; a master's own id); null outside one." }),
    ),
    cpu_time_ns: Nanoseconds('Simulated CPU time consumed, cumulative, all vCPUs (0 while halted).'),
    cpupool: Type.String({ description: 'The name of the cpupool it lives in (Pool-0 unless created in or moved to another).' }),
    version: ItemVersion,
  },
  { $id: 'Domain', additionalProperties: false },
);
export type Domain = Static<typeof Domain>;

export const DomainList = Type.Array(ref(Domain), { $id: 'DomainList', description: 'Domain-0 first, then by domid.' });

export const DomainPage = pageOf(ref(Domain), 'DomainPage', 'By domid.', 'domains');

export const DomainListQuery = Type.Object(
  {
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
    state: Type.Optional(Type.Union([Type.Literal('running'), Type.Literal('paused'), Type.Literal('halted')], { description: 'Only domains in this power state.' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only domains whose name starts with this.' })),
    scheduling_domain: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^(?!\\.+$)[A-Za-z0-9._-]+$', description: 'Only the domains of this scheduling domain (its master and members): the master\'s domid or name.' })),
    cpupool: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$', description: 'Only the domains that live in this cpupool: its id or name.' })),
    include: Type.Optional(ListInclude),
  },
  { additionalProperties: false },
);

const MemoryMb = Type.Integer({ minimum: 1, maximum: 1048576, description: 'Memory, MiB (default 256).' });

export const CreateDomainRequest = Type.Object(
  {
    name: ref(DomainName),
    vcpus: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_GUEST_VCPUS, description: 'vCPUs online (default 1).' })),
    max_vcpus: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_GUEST_VCPUS, description: 'Default: vcpus.' })),
    memory_mb: Type.Optional(MemoryMb),
    weight: Type.Optional(Weight),
    cap: Type.Optional(Cap),
    workload: Type.Optional(ref(Workload)),
    affinity: Type.Optional(ref(Affinity)),
    start: Type.Optional(Type.Boolean({ description: 'Start it at once (default false: created halted).' })),
    cpupool: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The cpupool it lives in, by id or name (default Pool-0).' })),
  },
  { $id: 'CreateDomainRequest', additionalProperties: false },
);

export const UpdateDomainRequest = Type.Object(
  {
    name: Type.Optional(ref(DomainName)),
    vcpus: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_GUEST_VCPUS, description: 'vCPUs online.' })),
    max_vcpus: Type.Optional(VcpuCount),
    memory_mb: Type.Optional(MemoryMb),
    weight: Type.Optional(Weight),
    cap: Type.Optional(Cap),
    workload: Type.Optional(ref(Workload)),
  },
  { $id: 'UpdateDomainRequest', additionalProperties: false, minProperties: 1 },
);

export const SetDomainSchedRequest = Type.Object(
  { weight: Type.Optional(Weight), cap: Type.Optional(Cap) },
  { $id: 'SetDomainSchedRequest', additionalProperties: false, minProperties: 1 },
);

export const DomainSchedChange = Type.Object(
  {
    weight: Weight,
    cap: Cap,
    warnings: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'What the change does not do, when that is not what one expects: present only then. A member of a scheduling domain keeps the weight and cap set, ' +
          'but they are not in force while it is in the group (the master\'s weight and cap govern the group, a member\'s part of it is its share); ' +
          'they apply again when it leaves.',
      }),
    ),
  },
  { $id: 'DomainSchedChange', additionalProperties: false, description: 'Credit-scheduler parameters after a change, and warnings about it.' },
);

export const Vcpu = Type.Object(
  {
    id: Type.Integer({ minimum: 0 }),
    state: Type.Union([Type.Literal('running'), Type.Literal('runnable'), Type.Literal('blocked'), Type.Literal('offline')]),
    pcpu: Nullable(Type.Integer({ minimum: 0, description: 'The pCPU it runs on, is queued on or last ran on; null when offline.' })),
    affinity: ref(Affinity),
    cpu_time_ns: Nanoseconds('Simulated CPU time consumed, cumulative.'),
    credit: Nullable(Type.Integer({ description: 'Its credit in the policy\'s unit (credit: credits; credit2: ns at the highest weight); null while halted.' })),
    priority: Nullable(Type.String({ description: 'credit: boost, under, over or idle; credit2, which has no priorities: none; null while halted.' })),
    runqueue: Nullable(Type.Integer({ minimum: 0, description: 'credit2: the runqueue it is assigned to (see its cpupool\'s `runqueues`); null under credit, whose queues are per pCPU, and while halted.' })),
    budget_ns: Nullable(Type.Integer({ description: 'credit2, capped domain: the budget it holds of its domain\'s (or scheduling domain\'s) budget pool, ns; negative while an overrun is paid back; null when uncapped, under credit, and while halted.' })),
    parked: Type.Boolean({ description: 'Held off the pCPUs by its cap until its credit recovers (its state is then offline).' }),
    runstate_ns: Type.Object(
      {
        running: Nanoseconds('On a pCPU.'),
        runnable: Nanoseconds('Runnable, waiting for a pCPU.'),
        blocked: Nanoseconds('Waiting for I/O (its workload sleeps).'),
        offline: Nanoseconds('Offline, paused or parked.'),
      },
      { additionalProperties: false, description: "Cumulative time in each runstate (Xen's vcpu_runstate_info); all 0 while halted." },
    ),
    wakeups: Type.Integer({ minimum: 0, description: 'Times it woke (became runnable) since the domain started.' }),
    active: Type.Boolean({ description: "Earning credit in the scheduler's accounting (on its accounting entity's active list); false while halted." }),
    wake_latency: Type.Object(
      {
        count: Type.Integer({ minimum: 0, description: 'Wakes that reached a pCPU.' }),
        mean_ns: Nanoseconds('Mean time from waking to running.'),
        max_ns: Nanoseconds('The longest.'),
        p99_ns: Nanoseconds('99th percentile, from a log histogram of 4 buckets per doubling: an upper bound at most 19% above it (exact for one wake).'),
      },
      { additionalProperties: false, description: 'Wake-to-run latency since the domain started (all 0 while halted).' },
    ),
  },
  { $id: 'Vcpu', additionalProperties: false },
);

export const VcpuList = Type.Array(ref(Vcpu), { $id: 'VcpuList' });

export const SetVcpusRequest = Type.Object(
  { online: Type.Integer({ minimum: 1, maximum: MAX_GUEST_VCPUS, description: 'vCPUs online, 1..max_vcpus (xm vcpu-set).' }) },
  { $id: 'SetVcpusRequest', additionalProperties: false },
);

export const SetAffinityRequest = Type.Object(
  { pcpus: ref(Affinity) },
  { $id: 'SetAffinityRequest', additionalProperties: false },
);

export const DomainParams = Type.Object({ ref: DomainRefParam('The domain: domid or name.') });
export const VcpuParams = Type.Object({
  ref: DomainRefParam('The domain: domid or name.'),
  n: Type.String({ pattern: '^[0-9]{1,3}$', description: 'vCPU id.' }),
});
