/**
 * The daemon's configuration in memory: the same facts as the store, indexed
 * for lookups. It changes only through `commit`, after the store has the
 * change on disk, so memory and disk never disagree.
 */
import { POOL0_ID, type GlobalSchedParams } from '../hypervisor/index.ts';
import { storeFault, type DomainRecord, type GroupRecord, type PoolRecord, type Store } from '../store/index.ts';
import { changedResources, type VersionedKind } from './versions.ts';
import { apiError, type ApiError } from '../vocabulary/errors.ts';
import { didYouMean } from './nearest-name.ts';

export interface Change {
  readonly upsertDomains?: readonly DomainRecord[];
  readonly deleteDomain?: number;
  readonly saveGroups?: readonly GroupRecord[];
  readonly deleteGroups?: readonly number[];
  readonly next_domid?: number;
  readonly sched?: GlobalSchedParams;
  readonly clock_speed?: number;
  readonly savePools?: readonly PoolRecord[];
  readonly deletePool?: number;
}

const DOMID_PATTERN = /^[0-9]+$/;

const poolOfDomain = (domain: DomainRecord | undefined): number | undefined => (domain === undefined ? undefined : (domain.cpupool ?? POOL0_ID));

/** A failed write in the catalogue's terms: nothing was changed, and the message says what to do. */
function storeError(cause: unknown): ApiError {
  switch (storeFault(cause)) {
    case 'busy':
      return apiError('STORE_BUSY', 'the database is locked by another process; nothing was changed, retry shortly');
    case 'full':
      return apiError('STORE_FULL', 'the disk holding the database is full; nothing was changed. Free space on it: changes are stored again as soon as there is room');
    case 'io':
      return apiError('STORE_IO_ERROR', `the database could not be written (${(cause as Error).message}); nothing was changed. Check the disk and the database file; each change tries again`);
    case undefined:
      return apiError('INTERNAL', 'the change could not be stored; nothing was changed');
  }
}

export class ConfigState {
  readonly domains = new Map<number, DomainRecord>();
  private readonly names = new Map<string, number>();
  private readonly groups = new Map<number, GroupRecord>();
  private readonly masterOf = new Map<number, number>();
  /** Stored cpupools by id (Pool-0's only once changed). */
  readonly pools = new Map<number, PoolRecord>();
  next_domid: number;
  sched: GlobalSchedParams;
  /** The last revision given out: every commit that changes a versioned resource takes the next one. */
  private revision: number;
  /** kind → key → the version; a resource without an entry is at version 1. */
  private readonly versions = new Map<string, Map<number, number>>();

  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
    const host = store.host.get();
    this.next_domid = host.next_domid;
    this.sched = host.sched;
    this.revision = store.versions.revision();
    for (const row of store.versions.list()) this.versionsOf(row.kind).set(row.key, row.version);
    for (const domain of store.domains.list()) this.setDomain(domain);
    for (const group of store.groups.list()) this.groups.set(group.master, group);
    for (const pool of store.pools.list()) this.pools.set(pool.id, pool);
    this.indexMembers();
  }

  /** A domain by domid (all digits) or by name. */
  find(ref: string): DomainRecord | undefined {
    const domid = DOMID_PATTERN.test(ref) ? Number(ref) : this.names.get(ref);
    return domid === undefined ? undefined : this.domains.get(domid);
  }

  resolve(ref: string, field = 'ref'): DomainRecord {
    const domain = this.find(ref);
    if (domain === undefined) {
      // A name with a typo gets the nearest name; a domid that is not there, none.
      const hint = DOMID_PATTERN.test(ref) ? '' : didYouMean(ref, this.names.keys());
      throw apiError('NO_SUCH_DOMAIN', `no domain has domid or name "${ref}"${hint}`, { field });
    }
    return domain;
  }

  get(domid: number): DomainRecord {
    const domain = this.domains.get(domid);
    if (domain === undefined) throw new Error(`domain ${domid} vanished from the configuration`);
    return domain;
  }

  nameOwner(name: string): number | undefined {
    return this.names.get(name);
  }

  group(master: number): GroupRecord | undefined {
    return this.groups.get(master);
  }

  allGroups(): GroupRecord[] {
    return [...this.groups.values()].sort((a, b) => a.master - b.master);
  }

  /** The master whose scheduling domain `domid` is a member of. */
  masterOfMember(domid: number): number | undefined {
    return this.masterOf.get(domid);
  }

  /** The version of a resource that exists (see versions.ts for what changes it). */
  versionOf(kind: VersionedKind, key: number): number {
    return this.versions.get(kind)?.get(key) ?? 1;
  }

  private versionsOf(kind: string): Map<number, number> {
    let byKey = this.versions.get(kind);
    if (byKey === undefined) this.versions.set(kind, (byKey = new Map()));
    return byKey;
  }

  /**
   * Persist `change` in one transaction, then apply it here. If the store
   * fails, nothing has changed (the hypervisor is changed only after this).
   * Every resource the change touches takes the next revision as its version.
   */
  commit(change: Change): void {
    const resources = changedResources(change, { domain: (domid) => this.domains.has(domid), group: (master) => this.groups.get(master), poolOf: (domid) => poolOfDomain(this.domains.get(domid)) });
    const revision = resources.changed.length + resources.deleted.length === 0 ? this.revision : this.revision + 1;
    try {
      this.store.transaction(() => {
        this.write(change);
        if (revision === this.revision) return;
        this.store.versions.setRevision(revision);
        for (const { kind, key } of resources.changed) this.store.versions.set({ kind, key, version: revision });
        for (const { kind, key } of resources.deleted) this.store.versions.delete(kind, key);
      });
    } catch (cause) {
      const error = storeError(cause);
      error.cause = cause;
      throw error;
    }
    this.apply(change);
    this.revision = revision;
    for (const { kind, key } of resources.changed) this.versionsOf(kind).set(key, revision);
    for (const { kind, key } of resources.deleted) this.versions.get(kind)?.delete(key);
  }

  private write(change: Change): void {
    for (const domain of change.upsertDomains ?? []) {
      if (this.domains.has(domain.domid)) this.store.domains.update(domain);
      else this.store.domains.insert(domain);
    }
    for (const group of change.saveGroups ?? []) this.store.groups.save(group);
    for (const master of change.deleteGroups ?? []) this.store.groups.delete(master);
    if (change.deleteDomain !== undefined) this.store.domains.delete(change.deleteDomain);
    if (change.next_domid !== undefined) this.store.host.setNextDomid(change.next_domid);
    if (change.sched !== undefined) this.store.host.setSched(change.sched);
    if (change.clock_speed !== undefined) this.store.host.setClockSpeed(change.clock_speed);
    for (const pool of change.savePools ?? []) this.store.pools.save(pool);
    if (change.deletePool !== undefined) this.store.pools.delete(change.deletePool);
  }

  private apply(change: Change): void {
    for (const domain of change.upsertDomains ?? []) this.setDomain(domain);
    for (const group of change.saveGroups ?? []) this.groups.set(group.master, group);
    for (const master of change.deleteGroups ?? []) this.groups.delete(master);
    if (change.deleteDomain !== undefined) this.removeDomain(change.deleteDomain);
    if (change.next_domid !== undefined) this.next_domid = change.next_domid;
    if (change.sched !== undefined) this.sched = change.sched;
    for (const pool of change.savePools ?? []) this.pools.set(pool.id, pool);
    if (change.deletePool !== undefined) this.pools.delete(change.deletePool);
    if (change.saveGroups !== undefined || change.deleteGroups !== undefined || change.deleteDomain !== undefined) {
      this.indexMembers();
    }
  }

  private setDomain(domain: DomainRecord): void {
    const previous = this.domains.get(domain.domid);
    if (previous !== undefined) this.names.delete(previous.name);
    this.domains.set(domain.domid, domain);
    this.names.set(domain.name, domain.domid);
  }

  private removeDomain(domid: number): void {
    const domain = this.domains.get(domid);
    if (domain === undefined) return;
    this.domains.delete(domid);
    this.names.delete(domain.name);
  }

  private indexMembers(): void {
    this.masterOf.clear();
    for (const group of this.groups.values()) {
      for (const member of group.members) this.masterOf.set(member.domid, group.master);
    }
  }
}
