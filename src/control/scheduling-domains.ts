/**
 * Scheduling domains ("nemesis"): a master and the members charged to it.
 * The grouping is configuration and survives power cycles and restarts; it is
 * in force in the hypervisor only while master and member are both live.
 */
import {
  POOL0_ID,
  checkShare as hypervisorCheckShare,
  DEFAULT_SHARE,
  masterProblem,
  memberProblem,
  type DomctlError,
  type DomctlPlan,
  type Membership,
} from '../hypervisor/index.ts';
import type { DomainRecord, GroupRecord, MemberRecord } from '../store/index.ts';
import type { ControlContext } from './context.ts';
import { poolName } from './cpupool-facts.ts';
import type { EventPayloads, EventType } from './events.ts';
import { fromDomctl } from './domctl-errors.ts';
import { apiError } from '../vocabulary/errors.ts';
import { applyGroup, syncMasterCap } from './lifecycle.ts';
import { commit, plan } from './plan.ts';
import { groupView, type GroupView } from './views.ts';
import { keysetPage, type Page } from './pages.ts';
import type {
  AddMemberRequest,
  CreateSchedulingDomainRequest,
  SetMemberShareRequest,
  UpdateSchedulingDomainRequest,
} from '../schemas/scheduling-domain.ts';
import type { Static } from '@sinclair/typebox';

export type MemberSpec = Static<typeof AddMemberRequest>;
export type CreateGroupSpec = Static<typeof CreateSchedulingDomainRequest>;
export type UpdateGroupSpec = Static<typeof UpdateSchedulingDomainRequest>;
export type MemberShareSpec = Static<typeof SetMemberShareRequest>;

export interface SchedulingDomainManager {
  list(): GroupView[];
  /** Filtered by whether the group is in force, and paged by master domid when `limit` is given. */
  page(query: { readonly active?: boolean | undefined; readonly after?: number | undefined; readonly limit?: number | undefined; readonly total?: boolean | undefined }): Page<GroupView>;
  get(masterRef: string): GroupView;
  create(spec: CreateGroupSpec): GroupView;
  /** Change the master's share. */
  update(masterRef: string, spec: UpdateGroupSpec): GroupView;
  remove(masterRef: string): void;
  /** Creates the group when the master has none yet; answers the group and the member's domid. */
  addMember(masterRef: string, spec: MemberSpec): { group: GroupView; member: number };
  removeMember(masterRef: string, memberRef: string): GroupView;
  setMemberShare(masterRef: string, memberRef: string, spec: MemberShareSpec): GroupView;
}

export function createSchedulingDomainManager(ctx: ControlContext): SchedulingDomainManager {
  const { state, host, clock } = ctx;

  const view = (group: GroupRecord): GroupView => {
    const live = host.domctl({ op: 'schedgroup', cmd: 'get', master: group.master });
    return groupView(group, live.ok ? live.value : undefined, ctx.endedGroupCpuNs.get(group.master) ?? 0);
  };
  const publish = <T extends EventType>(type: T, data: EventPayloads[T]): void => ctx.events.publish(type, host.now_ns, data);
  const versionOf = (master: number): number => state.versionOf('scheduling-domain', master);

  /** Domains by name, the domid in brackets: "domain stub (6)". */
  const label = (domid: number): string => `domain ${state.get(domid).name} (${domid})`;

  const requireGroup = (master: DomainRecord): GroupRecord => {
    const group = state.group(master.domid);
    if (group === undefined) {
      throw apiError('NO_SUCH_SCHEDULING_DOMAIN', `${label(master.domid)} is not the master of a scheduling domain`, { field: 'master' });
    }
    return group;
  };

  /** A hypervisor rule's verdict on the configuration, under the API's field name. */
  const refuse = (problem: DomctlError | null, field: string): void => {
    if (problem !== null) throw fromDomctl({ ...problem, field });
  };
  const checkShare = (field: string, share: number): void => refuse(hypervisorCheckShare(field, share), field);

  /** A domain's memberships as configured (halted domains keep theirs). */
  const membership = (domid: number): Membership => ({
    domid,
    master: state.masterOfMember(domid) ?? null,
    members: state.group(domid)?.members.map((m) => m.domid) ?? null,
  });

  const checkMaster = (master: DomainRecord): void => refuse(masterProblem(membership(master.domid), label), 'master');

  /** The member to add, checked against the group as it will be (`taken` = already in it). */
  const checkMember = (master: DomainRecord, spec: MemberSpec, taken: readonly MemberRecord[], field: string): MemberRecord => {
    const member = state.resolve(spec.domain, field);
    const asMember = membership(member.domid);
    const joined = taken.some((m) => m.domid === member.domid) ? { ...asMember, master: master.domid } : asMember;
    refuse(memberProblem(membership(master.domid), joined, label), field);
    // Xen's rule for the group's whole life, halted domains included: one pool (the hypervisor checks the live ones).
    if ((member.cpupool ?? POOL0_ID) !== (master.cpupool ?? POOL0_ID)) {
      throw apiError('MEMBER_CPUPOOL', `domain ${member.name} (${member.domid}) lives in cpupool ${poolName(state, member.cpupool)}, its master ${master.name} (${master.domid}) in ${poolName(state, master.cpupool)}: a member joins only a master in its own cpupool`, { field });
    }
    const share = spec.share ?? DEFAULT_SHARE;
    checkShare(`${field}.share`, share);
    return { domid: member.domid, share };
  };

  /** Add one member in the hypervisor when master and member are both live there. */
  const applyMember = (steps: DomctlPlan, master: number, member: MemberRecord): void => {
    if (!steps.has(master) || !steps.has(member.domid)) return;
    plan(steps, { op: 'schedgroup', cmd: 'add_member', master, member: member.domid, share: member.share });
    syncMasterCap(ctx, steps, master);
  };

  /**
   * Set `domid`'s share (the master's or a member's) in the hypervisor when it
   * is in the group there; otherwise the configuration applies it on start.
   */
  const applyShare = (steps: DomctlPlan, master: number, domid: number, share: number): void => {
    const members = steps.domain(master)?.members;
    if (members === undefined || members === null) return;
    if (domid === master || members.includes(domid)) plan(steps, { op: 'schedgroup', cmd: 'set_share', master, domid, share });
  };

  return {
    list() {
      clock.sync();
      return state.allGroups().map(view);
    },

    page({ active, after, limit, total }) {
      clock.sync();
      const views = state.allGroups().map(view);
      return keysetPage(views, (g) => g.master, (g) => active === undefined || g.active === active, after, limit, total === true);
    },

    get(masterRef) {
      clock.sync();
      return view(requireGroup(state.resolve(masterRef, 'master')));
    },

    create(spec) {
      const master = state.resolve(spec.master, 'master');
      if (state.group(master.domid) !== undefined) {
        throw apiError('GROUP_EXISTS', `${label(master.domid)} is already the master of a scheduling domain`, { field: 'master' });
      }
      checkMaster(master);
      const master_share = spec.master_share ?? DEFAULT_SHARE;
      checkShare('master_share', master_share);
      const members: MemberRecord[] = [];
      (spec.members ?? []).forEach((m, i) => members.push(checkMember(master, m, members, `members.${i}.domain`)));
      const group: GroupRecord = { master: master.domid, master_share, members };
      clock.sync();
      const steps = host.plan();
      if (steps.has(master.domid)) applyGroup(ctx, steps, group);
      commit(ctx, steps, { saveGroups: [group] });
      publish('scheduling-domain.created', { master: group.master, members: members.map((m) => m.domid), version: versionOf(group.master) });
      return view(group);
    },

    update(masterRef, spec) {
      const master = state.resolve(masterRef, 'master');
      const group = requireGroup(master);
      const master_share = spec.master_share ?? group.master_share;
      checkShare('master_share', master_share);
      clock.sync();
      const steps = host.plan();
      applyShare(steps, master.domid, master.domid, master_share);
      const next: GroupRecord = { ...group, master_share };
      commit(ctx, steps, { saveGroups: [next] });
      publish('scheduling-domain.share-changed', { master: master.domid, domain: master.domid, share: master_share, version: versionOf(master.domid) });
      return view(next);
    },

    remove(masterRef) {
      const master = state.resolve(masterRef, 'master');
      requireGroup(master);
      clock.sync();
      const steps = host.plan();
      const live = steps.domain(master.domid);
      if (live !== undefined && live.members !== null) plan(steps, { op: 'schedgroup', cmd: 'dissolve', master: master.domid });
      commit(ctx, steps, { deleteGroups: [master.domid] });
      ctx.endedGroupCpuNs.delete(master.domid);
      publish('scheduling-domain.deleted', { master: master.domid });
    },

    addMember(masterRef, spec) {
      const master = state.resolve(masterRef, 'master');
      const existing = state.group(master.domid);
      if (existing === undefined) checkMaster(master);
      const member = checkMember(master, spec, [], 'domain');
      const group: GroupRecord = existing === undefined
        ? { master: master.domid, master_share: DEFAULT_SHARE, members: [member] }
        : { ...existing, members: [...existing.members, member] };
      clock.sync();
      const steps = host.plan();
      if (existing === undefined) {
        if (steps.has(master.domid)) applyGroup(ctx, steps, group);
      } else {
        applyMember(steps, master.domid, member);
      }
      commit(ctx, steps, { saveGroups: [group] });
      if (existing === undefined) publish('scheduling-domain.created', { master: master.domid, members: [], version: versionOf(master.domid) });
      publish('scheduling-domain.member-added', { master: master.domid, member: member.domid, share: member.share, version: versionOf(master.domid) });
      return { group: view(group), member: member.domid };
    },

    removeMember(masterRef, memberRef) {
      const master = state.resolve(masterRef, 'master');
      const group = requireGroup(master);
      const member = state.resolve(memberRef, 'domain');
      const record = group.members.find((m) => m.domid === member.domid);
      if (record === undefined) {
        throw apiError('NOT_A_MEMBER', `${label(member.domid)} is not a member of ${label(master.domid)}'s scheduling domain`, { field: 'domain' });
      }
      clock.sync();
      const steps = host.plan();
      if (steps.domain(member.domid)?.master === master.domid) {
        plan(steps, { op: 'schedgroup', cmd: 'remove_member', master: master.domid, member: member.domid });
      }
      const next: GroupRecord = { ...group, members: group.members.filter((m) => m.domid !== member.domid) };
      commit(ctx, steps, { saveGroups: [next] });
      publish('scheduling-domain.member-removed', { master: master.domid, member: member.domid, version: versionOf(master.domid) });
      return view(next);
    },

    setMemberShare(masterRef, memberRef, spec) {
      const master = state.resolve(masterRef, 'master');
      const group = requireGroup(master);
      const member = state.resolve(memberRef, 'domain');
      if (!group.members.some((m) => m.domid === member.domid)) {
        throw apiError('NOT_A_MEMBER', `${label(member.domid)} is not a member of ${label(master.domid)}'s scheduling domain`, { field: 'domain' });
      }
      checkShare('share', spec.share);
      clock.sync();
      const steps = host.plan();
      applyShare(steps, master.domid, member.domid, spec.share);
      const next: GroupRecord = {
        ...group,
        members: group.members.map((m) => (m.domid === member.domid ? { ...m, share: spec.share } : m)),
      };
      commit(ctx, steps, { saveGroups: [next] });
      publish('scheduling-domain.share-changed', { master: master.domid, domain: member.domid, share: spec.share, version: versionOf(master.domid) });
      return view(next);
    },
  };
}
