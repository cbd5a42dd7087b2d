/**
 * Bringing a domain's configuration into the hypervisor and taking it out
 * again, as steps of a plan (plan.ts). The hypervisor only knows live domains,
 * so a scheduling-domain membership is applied there only while master and
 * member are both live; otherwise it waits in the configuration. Every
 * liveness question is asked of the plan, so later steps see earlier ones.
 */
import { groupVcpus, maxCapFor, WEIGHT_UNCHANGED, type DomctlPlan } from '../hypervisor/index.ts';
import type { DomainRecord, GroupRecord } from '../store/index.ts';
import type { ControlContext } from './context.ts';
import { plan } from './plan.ts';

export const isLive = (domain: DomainRecord): boolean => domain.state !== 'halted';

/** Start `domain` in the hypervisor with its configuration and its live memberships. */
export function bringUp(
  ctx: ControlContext,
  steps: DomctlPlan,
  domain: DomainRecord,
  paused: boolean,
  options: { readonly joinGroups: boolean } = { joinGroups: true },
): void {
  plan(steps, {
    op: 'createdomain',
    domid: domain.domid,
    max_vcpus: domain.max_vcpus,
    vcpus: domain.vcpus,
    weight: domain.weight,
    // A master's cap may exceed its own vCPUs; the rest is applied once its members are in.
    cap: Math.min(domain.cap, maxCapFor(domain.max_vcpus)),
    workload: domain.workload,
    affinity: domain.affinity,
    paused,
    ...(domain.cpupool === undefined ? {} : { pool: domain.cpupool }),
  });
  if (!options.joinGroups) return;
  const master = ctx.state.masterOfMember(domain.domid);
  if (master !== undefined) joinLiveGroup(ctx, steps, master, domain.domid);
  const group = ctx.state.group(domain.domid);
  if (group !== undefined) applyGroup(ctx, steps, group);
}

/**
 * Take `domain` out of the hypervisor; the hypervisor drops its memberships
 * with it. Answers what to bank once the plan is applied: the CPU time of the
 * group it led there, which ends with it.
 */
export function takeDown(ctx: ControlContext, steps: DomctlPlan, domain: DomainRecord): () => void {
  const group = ctx.host.domctl({ op: 'schedgroup', cmd: 'get', master: domain.domid });
  plan(steps, { op: 'destroydomain', domid: domain.domid });
  if (!group.ok) return () => undefined;
  const used_ns = group.value.cpu_time_ns;
  return () => ctx.endedGroupCpuNs.set(domain.domid, (ctx.endedGroupCpuNs.get(domain.domid) ?? 0) + used_ns);
}

/** Create `group` in the hypervisor with its live members (its master must be live). */
export function applyGroup(ctx: ControlContext, steps: DomctlPlan, group: GroupRecord): void {
  const master = group.master;
  plan(steps, { op: 'schedgroup', cmd: 'create', master });
  plan(steps, { op: 'schedgroup', cmd: 'set_share', master, domid: master, share: group.master_share });
  for (const member of group.members) {
    if (steps.has(member.domid)) plan(steps, { op: 'schedgroup', cmd: 'add_member', master, member: member.domid, share: member.share });
  }
  syncMasterCap(ctx, steps, master);
}

/** Add `member` to its master's group in the hypervisor, when both are live there. */
export function joinLiveGroup(ctx: ControlContext, steps: DomctlPlan, master: number, member: number): void {
  if (!steps.has(master) || !steps.has(member)) return;
  const group = ctx.state.group(master);
  if (steps.domain(master)?.members === null && group !== undefined) {
    applyGroup(ctx, steps, group);
    return;
  }
  const share = group?.members.find((m) => m.domid === member)?.share;
  plan(steps, { op: 'schedgroup', cmd: 'add_member', master, member, ...(share === undefined ? {} : { share }) });
  syncMasterCap(ctx, steps, master);
}

/**
 * The hypervisor accepts a master's cap only up to 100 per vCPU of the group
 * as it is there (after the plan so far); the configured cap may count
 * members that are halted. Apply as much of it as is allowed.
 */
export function syncMasterCap(ctx: ControlContext, steps: DomctlPlan, master: number, cap = ctx.state.get(master).cap): void {
  const live = steps.domain(master);
  if (live === undefined) return;
  const target = Math.min(cap, maxCapFor(groupVcpus(steps, live)));
  if (live.sched.cap === target) return;
  plan(steps, { op: 'scheduler_op', domid: master, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: target });
}

/**
 * Set weight and cap of a live domain, a master's cap as far as its live group
 * allows: the hypervisor may hold a cap from a larger group, which it would
 * refuse to keep in a new putinfo.
 */
export function putSched(steps: DomctlPlan, domid: number, weight: number, cap: number): void {
  const live = steps.domain(domid);
  if (live === undefined) return;
  plan(steps, { op: 'scheduler_op', domid, cmd: 'putinfo', weight, cap: Math.min(cap, maxCapFor(groupVcpus(steps, live))) });
}
