/** Scheduling domains: a master and the members charged to it. */
import { Type } from '@sinclair/typebox';
import { DomainRef, DomainRefParam, ItemVersion, ListInclude, Nanoseconds, pageOf, PageCursor, PageLimit, ref, Share } from './common.ts';

export const SchedulingDomain = Type.Object(
  {
    master: Type.Integer({ minimum: 0, description: "The master's domid (names the scheduling domain)." }),
    master_share: Share,
    active: Type.Boolean({ description: 'True while the master is live: the group is in force.' }),
    members: Type.Array(
      Type.Object(
        {
          domain: Type.Integer({ minimum: 0, description: "The member's domid." }),
          share: Share,
          active: Type.Boolean({ description: 'True while master and member are both live.' }),
        },
        { additionalProperties: false },
      ),
      { description: 'In the order they joined.' },
    ),
    cpu_time_ns: Nanoseconds(
      'CPU time its domains used while in force in it (master, and members while they were members), cumulative: it never decreases while the daemon runs (it starts afresh at a restart, like all CPU time).',
    ),
    version: ItemVersion,
  },
  { $id: 'SchedulingDomain', additionalProperties: false },
);

export const SchedulingDomainList = Type.Array(ref(SchedulingDomain), { $id: 'SchedulingDomainList' });

export const SchedulingDomainPage = pageOf(ref(SchedulingDomain), 'SchedulingDomainPage', 'By master domid.', 'scheduling domains');

export const SchedulingDomainListQuery = Type.Object(
  {
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
    active: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'Only groups in force (true) or not (false).' })),
    include: Type.Optional(ListInclude),
  },
  { additionalProperties: false },
);

export const AddMemberRequest = Type.Object(
  { domain: ref(DomainRef), share: Type.Optional(Share) },
  { $id: 'AddMemberRequest', additionalProperties: false },
);

export const CreateSchedulingDomainRequest = Type.Object(
  {
    master: ref(DomainRef),
    master_share: Type.Optional(Share),
    members: Type.Optional(Type.Array(ref(AddMemberRequest), { maxItems: 1024 })),
  },
  { $id: 'CreateSchedulingDomainRequest', additionalProperties: false },
);

export const UpdateSchedulingDomainRequest = Type.Object(
  { master_share: Type.Optional(Share) },
  { $id: 'UpdateSchedulingDomainRequest', additionalProperties: false, minProperties: 1 },
);

export const SetMemberShareRequest = Type.Object(
  { share: Share },
  { $id: 'SetMemberShareRequest', additionalProperties: false },
);

export const MasterParams = Type.Object({ master: DomainRefParam('The master domain: domid or name.') });
export const MemberParams = Type.Object({
  master: DomainRefParam('The master domain: domid or name.'),
  domain: DomainRefParam('The member domain: domid or name.'),
});
