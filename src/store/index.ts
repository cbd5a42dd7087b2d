/** The store: one SQLite file, its migrations and a repository per table group. */
import { closeSync, fsync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS, isFileDatabase, lockStore, openStore, storeFault, type Db, type OpenedStore, type StoreFault } from './database.ts';
import { domainRepository, type DomainRepository } from './domain-repository.ts';
import { groupRepository, type GroupRepository } from './group-repository.ts';
import { hostRepository, type HostRepository } from './host-repository.ts';
import { poolRepository, type PoolRepository } from './pool-repository.ts';
import { idempotencyRepository, type IdempotencyRepository } from './idempotency-repository.ts';
import type { MigrationReport } from './migrate.ts';
import { versionRepository, type VersionRepository } from './version-repository.ts';
import { WalSync } from './wal-sync.ts';

export type { DomainRecord, GroupRecord, HostRecord, MemberRecord, PoolRecord, PowerState } from './records.ts';
export { POWER_STATES } from './records.ts';
export { shared } from './shared-values.ts';
export { isBusyError, StoreError, storeFault, type StoreFault } from './database.ts';
export type { VersionRow } from './version-repository.ts';
export type { KeptAnswerRecord } from './idempotency-repository.ts';

export interface StoreHealth {
  /** The last write found the database locked by another process (and none has succeeded since). */
  readonly busy: boolean;
  /** Writes refused because the database was locked, since start. */
  readonly busy_errors_total: number;
  /** What made the last write fail (undefined once a write succeeds): changes cannot be stored while it lasts. */
  readonly fault: StoreFault | undefined;
  /** Writes refused since start, by fault. */
  readonly errors_total: Readonly<Record<StoreFault, number>>;
}

export interface Store {
  readonly db: Db;
  readonly migrations: MigrationReport;
  readonly domains: DomainRepository;
  readonly groups: GroupRepository;
  readonly host: HostRepository;
  readonly pools: PoolRepository;
  readonly versions: VersionRepository;
  readonly idempotency: IdempotencyRepository;
  /** Run `work` in one transaction: all of it is written, or none of it (durable once `synced()` resolves). */
  transaction<T>(work: () => T): T;
  /** Resolves once every transaction committed so far is on disk (survives a power loss); rejects when the disk failed. */
  synced(): Promise<void>;
  health(): StoreHealth;
  close(): void;
}

/** fsync of the database's WAL file (in the thread pool), opened on first use: a commit has created it by then. */
function walFile(path: string): { sync(): Promise<void>; close(): void } {
  let fd: number | undefined;
  return {
    sync: () =>
      new Promise((resolve, reject) => {
        fd ??= openSync(`${path}-wal`, 'r');
        fsync(fd, (error) => (error === null ? resolve() : reject(error)));
      }),
    close() {
      if (fd !== undefined) closeSync(fd);
    },
  };
}

/** The daemon's store: the database in `path`, locked against a second daemon until `close()`. */
export function createStore(path: string): Store {
  const lock = isFileDatabase(path) ? lockStore(path) : undefined;
  try {
    return storeOver(openStore(path), () => lock?.release());
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/**
 * A store in memory holding a copy of another's contents (a what-if copy's
 * configuration): `database` is what better-sqlite3's `serialize` gave.
 */
export function copyStore(database: Uint8Array): Store {
  const image = Buffer.from(database);
  // A WAL database's header says so (file format versions 2 at bytes 18, 19); an in-memory copy has no WAL to open: legacy journal (1).
  image[18] = 1;
  image[19] = 1;
  const db = new Database(image);
  db.pragma('foreign_keys = ON');
  const version = db.pragma('user_version', { simple: true }) as number;
  return storeOver({ db, migrations: { from: version, to: version, applied: [] } });
}

function storeOver({ db, migrations }: OpenedStore, unlock: () => void = () => undefined): Store {
  const file = db.memory ? { sync: () => Promise.resolve(), close: () => undefined } : walFile(db.name);
  const wal = new WalSync(() => file.sync());
  let busy = false;
  let fault: StoreFault | undefined;
  const errors_total: Record<StoreFault, number> = { busy: 0, full: 0, io: 0 };
  // While another process holds the lock, writes fail at once instead of each blocking the event loop.
  const setBusy = (next: boolean): void => {
    if (next === busy) return;
    busy = next;
    db.pragma(`busy_timeout = ${busy ? 0 : BUSY_TIMEOUT_MS}`);
  };
  return {
    db,
    migrations,
    domains: domainRepository(db),
    groups: groupRepository(db),
    host: hostRepository(db),
    pools: poolRepository(db),
    versions: versionRepository(db),
    idempotency: idempotencyRepository(db),
    transaction(work) {
      try {
        const result = db.transaction(work)();
        wal.committed();
        setBusy(false);
        fault = undefined;
        return result;
      } catch (error) {
        // The transaction was rolled back: nothing of it is stored, and the next one tries again (a freed disk takes it).
        const why = storeFault(error);
        if (why !== undefined) {
          fault = why;
          errors_total[why]++;
        }
        setBusy(why === 'busy');
        throw error;
      }
    },
    synced: () => wal.synced(),
    health: () => ({ busy, busy_errors_total: errors_total.busy, fault, errors_total: { ...errors_total } }),
    close() {
      file.close();
      db.close();
      unlock();
    },
  };
}
