/**
 * Shapes shared by several resources. Every named schema has an `$id`: it is
 * registered once (see `index.ts`), referenced with `ref()`, and becomes a
 * named component in the OpenAPI document, so generated SDKs get real type names.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { credit, MAX_GUEST_VCPUS, MAX_SHARE, maxCapFor, MIN_SHARE, WORKLOAD_MAX_PHASE_MS, WORKLOAD_MIN_PHASE_MS } from '../hypervisor/index.ts';

/** A `$ref` to a registered schema, typed as the schema it points to. */
export function ref<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  if (schema.$id === undefined) throw new Error('ref() needs a schema with an $id');
  return Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#` });
}

/** OpenAPI 3.0's `nullable` (Ajv and fast-json-stringify both understand it). */
export const Nullable = <T extends TSchema>(schema: T): TUnsafe<Static<T> | null> =>
  Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });

export const Domid = Type.Integer({ minimum: 0, description: 'Domain id (Domain-0 is 0; never reused).' });
export const Nanoseconds = (description: string) => Type.Integer({ minimum: 0, description });

/**
 * Never only dots: `.` and `..` are path segments that URL-normalising clients
 * remove (`/domains/./sched` becomes `/domains/sched`), so no name or ref may be one.
 */
const NOT_ONLY_DOTS = '(?!\\.+$)';

/** A domain by domid (all digits) or by name: as a path parameter and as a body field. */
const DOMAIN_REF = { minLength: 1, maxLength: 64, pattern: `^${NOT_ONLY_DOTS}[A-Za-z0-9._-]+$`, examples: ['1', 'web'] };

/** Path parameters are inlined (not `$ref`s) so every generator reads them. */
export const DomainRefParam = (description: string) => Type.String({ ...DOMAIN_REF, description });

export const DomainRef = Type.String({ $id: 'DomainRef', ...DOMAIN_REF, description: 'A domain by domid (all digits) or by name.' });

/** Letters, digits, ".", "_" and "-", not all digits (so a `ref` is never ambiguous), not only dots. */
export const DOMAIN_NAME_PATTERN = `^(?![0-9]+$)${NOT_ONLY_DOTS}[A-Za-z0-9._-]{1,64}$`;

export const DomainName = Type.String({
  $id: 'DomainName',
  minLength: 1,
  maxLength: 64,
  pattern: DOMAIN_NAME_PATTERN,
  description: 'Letters, digits, ".", "_" and "-", not all digits, not only dots; unique.',
  examples: ['web'],
});

export const Weight = Type.Integer({ minimum: credit.MIN_WEIGHT, maximum: credit.MAX_WEIGHT, description: 'Credit weight (default 256).' });
export const Cap = Type.Integer({
  minimum: 0,
  maximum: maxCapFor(MAX_GUEST_VCPUS),
  description: 'Percent of one pCPU; 0 = no cap. At most 100 × max_vcpus (a master: of its whole scheduling domain).',
});
export const Share = Type.Integer({ minimum: MIN_SHARE, maximum: MAX_SHARE, description: 'Share of its scheduling domain (default 256).' });
export const VcpuCount = Type.Integer({ minimum: 1, maximum: MAX_GUEST_VCPUS });

const phase_ms = (what: string) =>
  Type.Number({
    minimum: WORKLOAD_MIN_PHASE_MS,
    maximum: WORKLOAD_MAX_PHASE_MS,
    description: `${what}, ms (at least ${WORKLOAD_MIN_PHASE_MS}: 100 µs, Xen's shortest scheduler timer).`,
  });

export const WorkloadCpu = Type.Object(
  { type: Type.Literal('cpu') },
  { $id: 'WorkloadCpu', additionalProperties: false, description: 'Always runnable (CPU-bound).' },
);
export const WorkloadIdle = Type.Object(
  { type: Type.Literal('idle') },
  { $id: 'WorkloadIdle', additionalProperties: false, description: 'Always blocked.' },
);
export const WorkloadDuty = Type.Object(
  { type: Type.Literal('duty'), run_ms: phase_ms('CPU time per burst'), sleep_ms: phase_ms('Blocked time between bursts') },
  { $id: 'WorkloadDuty', additionalProperties: false, description: 'Runs, blocks, wakes: I/O-like.' },
);

/** Tagged by `type`: validation then reports errors of the variant that was meant. */
export const Workload = Type.Unsafe<Static<typeof WorkloadCpu> | Static<typeof WorkloadIdle> | Static<typeof WorkloadDuty>>({
  $id: 'Workload',
  description: "What the guest's vCPUs do.",
  type: 'object',
  required: ['type'],
  oneOf: [ref(WorkloadCpu), ref(WorkloadIdle), ref(WorkloadDuty)],
  discriminator: { propertyName: 'type' },
});

export const Affinity = Type.Union(
  [
    Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 4096, uniqueItems: true, description: 'pCPU ids.' }),
    Type.Literal('all'),
  ],
  { $id: 'Affinity', description: 'Hard affinity: a list of pCPU ids, or "all".' },
);

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status.' }),
    code: Type.String({ description: 'Stable error code (see the error catalogue).', examples: ['NO_SUCH_DOMAIN'] }),
    error: Type.String({ description: 'The HTTP status text.' }),
    message: Type.String({ description: 'What went wrong, for people.' }),
    field: Type.Optional(Type.String({ description: 'The offending input, for bad input.' })),
    expected: Type.Optional(Type.Array(Type.String(), { description: 'BAD_POWER_STATE: states that would be accepted.' })),
    actual: Type.Optional(Type.String({ description: 'BAD_POWER_STATE: the actual state.' })),
    change_index: Type.Optional(Type.Integer({ minimum: 0, description: 'What-if: the change (index in `changes`) that failed, with its own error.' })),
  },
  { $id: 'Error', description: 'Every error has this shape.' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

/** Pages of a list: `limit` asks for one, `cursor` (the `next` of the page before) continues. */
export const MAX_PAGE_LIMIT = 1000;
export const PageLimit = Type.String({
  pattern: '^(1000|[1-9][0-9]{0,2})$',
  examples: ['100'],
  description: `At most this many items (1..${MAX_PAGE_LIMIT}). With it, the answer is a page: \`{items, next}\`; without it, every item in a bare array, as before pages existed.`,
});
export const PageCursor = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Where the page goes on from: the `next` of the page before (opaque). Items that exist throughout a walk are each seen exactly once.',
});

/** `include`: what a list adds on request, so that its default answer keeps its shape. */
export const ListInclude = Type.String({
  pattern: '^(version|total)(,(version|total))*$',
  examples: ['version,total'],
  description: 'Comma-separated: `version` gives each item its version (the number in its `ETag`, for `If-Match`); `total` gives a page (with `limit`) the number of items that match in all pages.',
});
export const ItemVersion = Type.Optional(Type.Integer({ minimum: 0, description: 'Its version, the number in its `ETag` (only in a list asked for it with `include=version`).' }));

/** One page of a list: its items and the cursor of the next (null on the last page). */
export const pageOf = <T extends TSchema>(item: TUnsafe<Static<T>>, $id: string, order: string, what: string) =>
  Type.Object(
    {
      items: Type.Array(item, { description: order }),
      next: Nullable(Type.String({ description: 'The cursor of the next page (also in the `Link` header, rel="next"); null on the last page.' })),
      total: Type.Optional(Type.Integer({ minimum: 0, description: 'How many items match the filters in all pages (only with `include=total`).' })),
    },
    { $id, additionalProperties: false, description: `One page of ${what} (when \`limit\` is given).` },
  );
