/** The store: one SQLite file, its migrations and a repository per table group. */
import { openStore, type Db } from './database.ts';
import { domainRepository, type DomainRepository } from './domain-repository.ts';
import { groupRepository, type GroupRepository } from './group-repository.ts';
import { hostRepository, type HostRepository } from './host-repository.ts';
import type { MigrationReport } from './migrate.ts';

export type { DomainRecord, GroupRecord, HostRecord, MemberRecord, PowerState } from './records.ts';
export { POWER_STATES } from './records.ts';

export interface Store {
  readonly db: Db;
  readonly migrations: MigrationReport;
  readonly domains: DomainRepository;
  readonly groups: GroupRepository;
  readonly host: HostRepository;
  /** Run `work` in one transaction: all of it is on disk, or none of it. */
  transaction<T>(work: () => T): T;
  close(): void;
}

export function createStore(path: string): Store {
  const { db, migrations } = openStore(path);
  return {
    db,
    migrations,
    domains: domainRepository(db),
    groups: groupRepository(db),
    host: hostRepository(db),
    transaction: (work) => db.transaction(work)(),
    close: () => db.close(),
  };
}
