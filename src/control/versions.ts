/**
 * Resource versions. Each committed change counts the host's revision up by
 * one, and every resource the change touches takes that revision as its
 * version. A version counts configuration: what a client sets (a domain's
 * name, shape, weight and cap, workload, affinity, power state and scheduling
 * domain; a group's shares and members; the scheduler's parameters). Runtime
 * figures the simulation moves on its own (CPU time, credit, runstates) never
 * change it. So a version says "nothing a client could have changed has
 * changed", which is what a conditional write needs.
 *
 * A new kind of resource gets versions by one entry in VERSIONED_KINDS, its
 * changes in `changedResources`, and its lookup in preconditions.ts.
 */
import { POOL0_ID } from '../hypervisor/index.ts';
import type { GroupRecord } from '../store/index.ts';

export const VERSIONED_KINDS = ['domain', 'scheduling-domain', 'scheduler', 'cpupool'] as const;
export type VersionedKind = (typeof VERSIONED_KINDS)[number];

/** The scheduler is one resource: its key is 0. */
export const SCHEDULER_KEY = 0;

export interface ResourceKey {
  readonly kind: VersionedKind;
  readonly key: number;
}

/** What `changedResources` reads of a change (config-state.ts's `Change`). */
export interface ResourceChange {
  readonly upsertDomains?: readonly { readonly domid: number; readonly cpupool?: number }[];
  readonly deleteDomain?: number;
  readonly saveGroups?: readonly GroupRecord[];
  readonly deleteGroups?: readonly number[];
  readonly sched?: unknown;
  /** Cpupools whose rows change (Pool-0's holds its credit2 parameters). */
  readonly savePools?: readonly { readonly id: number }[];
  readonly deletePool?: number;
}

/** What the configuration holds before the change. */
export interface Before {
  domain(domid: number): boolean;
  group(master: number): GroupRecord | undefined;
  /** The cpupool a domain is in (undefined: no such domain). */
  poolOf(domid: number): number | undefined;
}

/**
 * The resources `change` changes or deletes. A domain's scheduling domain is
 * part of it, so a domain joining or leaving a group (or a group made or
 * dissolved under its master) changes the domain too. A cpupool's version
 * counts its row (name, pCPUs, scheduler and parameters) and which domains
 * live in it; Pool-0's credit parameters live in the host row, so a change to
 * them changes Pool-0 too.
 */
export function changedResources(change: ResourceChange, before: Before): { changed: ResourceKey[]; deleted: ResourceKey[] } {
  const domains = new Set<number>((change.upsertDomains ?? []).map((d) => d.domid));
  const groups = new Set<number>();
  const deletedGroups = new Set<number>(change.deleteGroups ?? []);
  for (const group of change.saveGroups ?? []) {
    groups.add(group.master);
    const old = before.group(group.master);
    const oldMembers = new Set(old?.members.map((m) => m.domid));
    const newMembers = new Set(group.members.map((m) => m.domid));
    if (old === undefined) domains.add(group.master);
    for (const domid of oldMembers) if (!newMembers.has(domid)) domains.add(domid);
    for (const domid of newMembers) if (!oldMembers.has(domid)) domains.add(domid);
  }
  for (const master of deletedGroups) {
    domains.add(master);
    for (const member of before.group(master)?.members ?? []) domains.add(member.domid);
  }
  const deletedDomain = change.deleteDomain;
  if (deletedDomain !== undefined) domains.delete(deletedDomain);
  const changed: ResourceKey[] = [
    ...[...domains].filter((domid) => before.domain(domid) || (change.upsertDomains ?? []).some((d) => d.domid === domid)).map((key) => ({ kind: 'domain' as const, key })),
    ...[...groups].filter((master) => !deletedGroups.has(master)).map((key) => ({ kind: 'scheduling-domain' as const, key })),
    // Pool-0's parameters: credit's in the host row, credit2's in Pool-0's cpupool row.
    ...(change.sched === undefined && !(change.savePools ?? []).some((pool) => pool.id === POOL0_ID) ? [] : [{ kind: 'scheduler' as const, key: SCHEDULER_KEY }]),
    ...[...changedPools(change, before)].map((key) => ({ kind: 'cpupool' as const, key })),
  ];
  const deleted: ResourceKey[] = [
    ...(deletedDomain === undefined ? [] : [{ kind: 'domain' as const, key: deletedDomain }]),
    ...[...deletedGroups].map((key) => ({ kind: 'scheduling-domain' as const, key })),
    ...(change.deletePool === undefined ? [] : [{ kind: 'cpupool' as const, key: change.deletePool }]),
  ];
  return { changed, deleted };
}

/** The cpupools whose configuration or domains `change` changes (not the one it deletes). */
function changedPools(change: ResourceChange, before: Before): Set<number> {
  const pools = new Set<number>((change.savePools ?? []).map((pool) => pool.id));
  if (change.sched !== undefined) pools.add(POOL0_ID);
  for (const domain of change.upsertDomains ?? []) {
    const was = before.poolOf(domain.domid);
    const now = domain.cpupool ?? POOL0_ID;
    if (was === now) continue;
    pools.add(now);
    if (was !== undefined) pools.add(was);
  }
  if (change.deleteDomain !== undefined) {
    const was = before.poolOf(change.deleteDomain);
    if (was !== undefined) pools.add(was);
  }
  if (change.deletePool !== undefined) pools.delete(change.deletePool);
  return pools;
}
