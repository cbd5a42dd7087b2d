/**
 * Opens the SQLite store the way the daemon needs it: WAL so readers never
 * wait for a writer, synchronous=NORMAL so a commit does not fsync on the event
 * loop (the store syncs the WAL in the thread pool before a change is
 * acknowledged: wal-sync.ts), foreign keys enforced, schema migrated to the latest.
 *
 * A file is validated before anything is written to it (its header, its
 * schema version, its integrity), so a file that is refused is left exactly
 * as it was; then a write proves that file and folder are writable, so a
 * read-only database stops the daemon at start instead of failing every write.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describeProcess, LockHeldError, lockDatabase, lockPathOf, type DatabaseLock } from './database-lock.ts';
import { loadMigrations, migrate, type MigrationReport } from './migrate.ts';

export type Db = Database.Database;

export interface OpenedStore {
  readonly db: Db;
  readonly migrations: MigrationReport;
}

export const DEFAULT_MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);

/**
 * How long a write waits for another process's lock. better-sqlite3 waits
 * synchronously, blocking the event loop (and the tick loop): it must stay
 * short. Past it the write fails as busy (503 STORE_BUSY, see `index.ts`).
 */
export const BUSY_TIMEOUT_MS = 50;

const SQLITE_HEADER = 'SQLite format 3\0';

/** A database the daemon cannot use, named with its path: one line, for people. */
export class StoreError extends Error {
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`database ${path} ${problem}`, options);
    this.name = 'StoreError';
  }
}

const sqliteCode = (error: unknown): string => String((error as { code?: unknown } | null)?.code ?? '');

/** Another connection holds the lock (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED …). */
export const isBusyError = (error: unknown): boolean => /^SQLITE_(BUSY|LOCKED)/.test(sqliteCode(error));

/** Why the store refused a write: another process's lock, a full disk, or the disk or file failing. */
export type StoreFault = 'busy' | 'full' | 'io';

/** The fault behind a failed write, or undefined for an error that is not the store's (a bug). */
export function storeFault(error: unknown): StoreFault | undefined {
  const code = sqliteCode(error);
  if (isBusyError(error)) return 'busy';
  if (code === 'SQLITE_FULL') return 'full';
  if (/^SQLITE_(IOERR|READONLY|CORRUPT|CANTOPEN|NOTADB|PROTOCOL)/.test(code)) return 'io';
  return undefined;
}

function describeFailure(error: unknown): string {
  const code = sqliteCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code.startsWith('SQLITE_READONLY')) {
    return `is read-only (${message}): the file and its folder must be writable (WAL keeps -wal and -shm files beside it)`;
  }
  if (isBusyError(error)) return `is locked by another process (${message})`;
  if (code === 'SQLITE_NOTADB') return 'is not a SQLite database';
  if (code.startsWith('SQLITE_CORRUPT')) return `is malformed (${message}); restore it from a backup`;
  if (code.startsWith('SQLITE_CANTOPEN')) return `cannot be opened (${message}): check that its folder exists and is writable`;
  return `cannot be used: ${message}`;
}

/** A non-empty file must start with SQLite's header: anything else is refused unread and unchanged. */
function checkHeader(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // Not there yet: SQLite creates it.
  }
  if (size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1') !== SQLITE_HEADER) throw new StoreError(path, 'is not a SQLite database (its header is not SQLite\'s)');
}

/** Reads only: schema version not newer than this build's, and the file intact. */
function validate(db: Db, path: string, latest: number): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > latest) {
    throw new StoreError(path, `has schema version ${version}, newer than this nemesisd knows (${latest}): run a newer nemesisd on it`);
  }
  // integrity_check reads every page and index: a configuration database is small, so this costs milliseconds.
  const problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check);
  if (problems.length !== 1 || problems[0] !== 'ok') {
    throw new StoreError(path, `is malformed (integrity check: ${problems.slice(0, 3).join('; ')}); restore it from a backup`);
  }
}

/** The WAL file now exists: sync its folder, so the file itself (not only what is in it) survives a power loss. */
function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * WAL frames after which a commit checkpoints (SQLite's default is 1000).
 * better-sqlite3 checkpoints inside the commit, on the event loop, and with
 * synchronous=NORMAL a checkpoint fsyncs the WAL and the database: 1 to 3 ms,
 * tens when the disk is busy. Under bench:soak's 1 400 changes a second that
 * was once a second, holding up every tick that fell due meanwhile. The
 * pages copied are the distinct pages changed (a few dozen here), not the
 * frames, so checkpointing ten times less often costs a checkpoint no more;
 * the WAL file grows to at most this many 4 KiB pages (40 MB) and stays that size.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** A database in a file (not SQLite's in-memory ones). */
export const isFileDatabase = (path: string): boolean => path !== ':memory:' && path !== '';

/** The database's folder, made if it is not there. */
export function makeFolder(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new StoreError(path, `cannot be created: its folder cannot be made (${(error as Error).message})`, { cause: error });
  }
}

/**
 * The database's lock (see database-lock.ts), or a StoreError naming the
 * process that holds it: one line, so that a second daemon stops at once.
 */
export function lockStore(path: string): DatabaseLock {
  makeFolder(path);
  try {
    return lockDatabase(path);
  } catch (error) {
    if (error instanceof LockHeldError) {
      throw new StoreError(path, `is in use by ${describeProcess(error.pid)}: one daemon per database; stop that one first, or give this one another NEMESIS_DB`, { cause: error });
    }
    throw new StoreError(path, `cannot be locked: ${lockPathOf(path)} ${describeFailure(error)}`, { cause: error });
  }
}

export function openStore(path: string, migrationsDir: URL | string = DEFAULT_MIGRATIONS_DIR): OpenedStore {
  const latest = loadMigrations(migrationsDir).length;
  const inFile = isFileDatabase(path);
  if (inFile) {
    makeFolder(path);
    checkHeader(path);
  }
  let db: Db;
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new StoreError(path, describeFailure(error), { cause: error });
  }
  try {
    validate(db, path, latest);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma('foreign_keys = ON');
    const migrations = migrate(db, migrationsDir);
    // A write that changes nothing: a read-only file or folder fails here, not on the first request.
    db.transaction(() => db.pragma(`user_version = ${migrations.to}`))();
    if (inFile) syncFolder(dirname(path));
    return { db, migrations };
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError(path, describeFailure(error), { cause: error });
  }
}
