/**
 * Bringing a domain's configuration into the hypervisor and taking it out
 * again. The hypervisor only knows live domains, so a scheduling-domain
 * membership is applied there only while master and member are both live;
 * otherwise it waits in the configuration.
 */
import { CAP_UNCHANGED, WEIGHT_UNCHANGED, type SchedGroupInfo } from '../hypervisor/index.ts';
import type { DomainRecord, GroupRecord } from '../store/index.ts';
import type { ControlContext } from './context.ts';
import { HypervisorTx } from './hypervisor-tx.ts';

/** Cap applies per vCPU: a domain can never use more than 100 per vCPU. */
export const CAP_PER_VCPU = 100;

export const isLive = (domain: DomainRecord): boolean => domain.state !== 'halted';

export function liveInHypervisor(ctx: ControlContext, domid: number): boolean {
  return ctx.host.domctl({ op: 'getdomaininfo', domid }).ok;
}

function groupInHypervisor(ctx: ControlContext, master: number): SchedGroupInfo | null {
  const result = ctx.host.domctl({ op: 'schedgroup', cmd: 'get', master });
  return result.ok ? result.value : null;
}

/** Start `domain` in the hypervisor with its configuration and its live memberships. */
export function bringUp(
  ctx: ControlContext,
  tx: HypervisorTx,
  domain: DomainRecord,
  paused: boolean,
  options: { readonly joinGroups: boolean } = { joinGroups: true },
): void {
  tx.run(
    {
      op: 'createdomain',
      domid: domain.domid,
      max_vcpus: domain.max_vcpus,
      vcpus: domain.vcpus,
      weight: domain.weight,
      // A master's cap may exceed its own vCPUs; the rest is applied once its members are in.
      cap: Math.min(domain.cap, CAP_PER_VCPU * domain.max_vcpus),
      workload: domain.workload,
      affinity: domain.affinity,
      paused,
    },
    { op: 'destroydomain', domid: domain.domid },
  );
  if (!options.joinGroups) return;
  const master = ctx.state.masterOfMember(domain.domid);
  if (master !== undefined) joinLiveGroup(ctx, tx, master, domain.domid);
  const group = ctx.state.group(domain.domid);
  if (group !== undefined) applyGroup(ctx, tx, group);
}

/** Take `domain` out of the hypervisor; the hypervisor drops its memberships with it. */
export function takeDown(ctx: ControlContext, tx: HypervisorTx, domain: DomainRecord): void {
  tx.run({ op: 'destroydomain', domid: domain.domid }, () => {
    // Only reached when persisting failed: put the domain back as it was configured.
    try {
      bringUp(ctx, new HypervisorTx(ctx.host), domain, domain.state === 'paused');
    } catch {
      // The domain stays down; the configuration still says it is live, and a restart restores it.
    }
  });
}

/** Create `group` in the hypervisor with its live members (its master must be live). */
export function applyGroup(ctx: ControlContext, tx: HypervisorTx, group: GroupRecord): void {
  const master = group.master;
  tx.run({ op: 'schedgroup', cmd: 'create', master }, { op: 'schedgroup', cmd: 'dissolve', master });
  tx.run({ op: 'schedgroup', cmd: 'set_share', master, domid: master, share: group.master_share });
  for (const member of group.members) {
    if (liveInHypervisor(ctx, member.domid)) {
      tx.run({ op: 'schedgroup', cmd: 'add_member', master, member: member.domid, share: member.share });
    }
  }
  syncMasterCap(ctx, tx, master);
}

/** Add `member` to its master's group in the hypervisor, when both are live there. */
export function joinLiveGroup(ctx: ControlContext, tx: HypervisorTx, master: number, member: number): void {
  if (!liveInHypervisor(ctx, master) || !liveInHypervisor(ctx, member)) return;
  const group = ctx.state.group(master);
  const share = group?.members.find((m) => m.domid === member)?.share;
  if (groupInHypervisor(ctx, master) === null && group !== undefined) {
    applyGroup(ctx, tx, group);
    return;
  }
  tx.run(
    { op: 'schedgroup', cmd: 'add_member', master, member, ...(share === undefined ? {} : { share }) },
    { op: 'schedgroup', cmd: 'remove_member', master, member },
  );
  syncMasterCap(ctx, tx, master);
}

/** vCPUs the master's scheduling domain spans in the hypervisor right now. */
function liveGroupVcpus(ctx: ControlContext, master: number): number {
  const maxVcpus = (domid: number): number => {
    const info = ctx.host.domctl({ op: 'getdomaininfo', domid });
    return info.ok ? info.value.max_vcpus : 0;
  };
  const group = groupInHypervisor(ctx, master);
  return maxVcpus(master) + (group?.members ?? []).reduce((sum, m) => sum + maxVcpus(m.domid), 0);
}

/**
 * The hypervisor accepts a master's cap only up to 100 per vCPU of the group
 * as it is there now; the configured cap may count members that are halted.
 * Apply as much of it as is allowed.
 */
export function syncMasterCap(ctx: ControlContext, tx: HypervisorTx, master: number, cap = ctx.state.get(master).cap): void {
  const target = Math.min(cap, CAP_PER_VCPU * liveGroupVcpus(ctx, master));
  const current = tx.read({ op: 'scheduler_op', domid: master, cmd: 'getinfo' });
  if (current.cap === target) return;
  tx.run(
    { op: 'scheduler_op', domid: master, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: target },
    { op: 'scheduler_op', domid: master, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: current.cap },
  );
}

/** Set weight and cap of a live domain (a master's cap as far as its live group allows). */
export function putSched(ctx: ControlContext, tx: HypervisorTx, domid: number, weight: number, cap: number): void {
  const current = tx.read({ op: 'scheduler_op', domid, cmd: 'getinfo' });
  tx.run(
    { op: 'scheduler_op', domid, cmd: 'putinfo', weight, cap: CAP_UNCHANGED },
    { op: 'scheduler_op', domid, cmd: 'putinfo', weight: current.weight, cap: CAP_UNCHANGED },
  );
  syncMasterCap(ctx, tx, domid, cap);
}
