/** Cpupools: named sets of pCPUs, each running a scheduler of its own (xl cpupool-*). */
import { Type } from '@sinclair/typebox';
import { credit2, MAX_CPUPOOL_NAME, SCHED_NAMES } from '../hypervisor/index.ts';

const { CREDIT2_RUNQUEUE_ARRANGEMENTS } = credit2;
import { ItemVersion, ListInclude, pageOf, PageCursor, PageLimit, ref } from './common.ts';

/** A name that is not all digits, so a reference is an id or a name, never both. */
export const CPUPOOL_NAME_PATTERN = `^(?![0-9]+$)[A-Za-z0-9._-]{1,${MAX_CPUPOOL_NAME}}$`;

export const CpupoolName = Type.String({
  $id: 'CpupoolName',
  pattern: CPUPOOL_NAME_PATTERN,
  minLength: 1,
  maxLength: MAX_CPUPOOL_NAME,
  description: `1..${MAX_CPUPOOL_NAME} letters, digits, ".", "_" or "-", not all digits; unique on the host.`,
  examples: ['batch'],
});

export const CpupoolRef = Type.String({
  $id: 'CpupoolRef',
  minLength: 1,
  maxLength: MAX_CPUPOOL_NAME,
  description: 'A cpupool by id (all digits; Pool-0 is 0) or by name.',
});

export const CpupoolRefParam = (description: string) => Type.String({ minLength: 1, maxLength: MAX_CPUPOOL_NAME, description });

const Sched = Type.Union(
  SCHED_NAMES.map((name) => Type.Literal(name)),
  { description: 'Its scheduler: credit or credit2.' },
);
const PcpuId = Type.Integer({ minimum: 0, description: 'A pCPU id.' });

export const Cpupool = Type.Object(
  {
    id: Type.Integer({ minimum: 0, description: 'Pool-0 is 0.' }),
    name: ref(CpupoolName),
    sched: Sched,
    pcpus: Type.Array(PcpuId, { description: 'Its pCPUs, ascending.' }),
    domains: Type.Array(
      Type.Object({ id: Type.Integer({ minimum: 0 }), name: Type.String() }, { additionalProperties: false }),
      { description: 'The domains living in it, running or halted, by domid.' },
    ),
    runqueues: Type.Union([Type.Array(Type.Array(PcpuId)), Type.Null()], {
      description: "credit2: the pCPUs of each runqueue (the pool's runqueue arrangement, its scheduler's runqueue, cut to its pCPUs); null under credit (a queue per pCPU).",
    }),
    profile: Type.String({ description: 'The profile of its policy its parameters are exactly, or custom.' }),
    version: ItemVersion,
  },
  { $id: 'Cpupool', additionalProperties: false },
);

export const CpupoolList = Type.Array(ref(Cpupool), { $id: 'CpupoolList', description: 'Pool-0 first, then by id.' });

export const CpupoolPage = pageOf(ref(Cpupool), 'CpupoolPage', 'By id.', 'cpupools');

export const CpupoolListQuery = Type.Object(
  {
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
    sched: Type.Optional(Type.Union(SCHED_NAMES.map((name) => Type.Literal(name)), { description: 'Only the pools running this scheduler.' })),
    include: Type.Optional(ListInclude),
  },
  { additionalProperties: false },
);

export const CreateCpupoolRequest = Type.Object(
  {
    name: ref(CpupoolName),
    sched: Type.Optional(Type.Union(SCHED_NAMES.map((name) => Type.Literal(name)), { description: "Its scheduler (default: Pool-0's)." })),
    pcpus: Type.Optional(Type.Array(PcpuId, { uniqueItems: true, maxItems: 4096, description: 'Free pCPUs (in no cpupool) it takes at once (default none).' })),
    credit2_runqueue: Type.Optional(
      Type.Union(CREDIT2_RUNQUEUE_ARRANGEMENTS.map((name) => Type.Literal(name)), {
        description: "credit2 pools only: its runqueue arrangement (default: the host's, GET /host's credit2_runqueue); later a parameter of its scheduler (runqueue).",
      }),
    ),
  },
  { $id: 'CreateCpupoolRequest', additionalProperties: false },
);

export const AddCpupoolPcpuRequest = Type.Object(
  { pcpu: Type.Integer({ minimum: 0, maximum: 4095, description: 'A free pCPU (in no cpupool).' }) },
  { $id: 'AddCpupoolPcpuRequest', additionalProperties: false },
);

export const MoveDomainRequest = Type.Object(
  { cpupool: ref(CpupoolRef) },
  { $id: 'MoveDomainRequest', additionalProperties: false, description: "The cpupool the domain moves to (xl cpupool-migrate); its weight and cap are kept, in the new pool's policy." },
);

export const CPUPOOL_SCHEMAS = [CpupoolName, CpupoolRef, Cpupool, CpupoolList, CpupoolPage, CreateCpupoolRequest, AddCpupoolPcpuRequest, MoveDomainRequest] as const;
