/**
 * One daemon per database. Two daemons on one file would each hold their own
 * copy of the host and overwrite each other's changes on disk, so the daemon
 * holds an exclusive lock on a file beside the database (`<db>.lock`) for as
 * long as it has the database open. It is a POSIX record lock (fcntl), taken
 * through SQLite's own locking (Node.js has no fcntl or flock): the kernel
 * drops it when the process ends in any way, `kill -9` included, so a lock is
 * never stale and the file never needs deleting. The database itself stays
 * open to other connections (a backup, `sqlite3` reading it).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import Database from 'better-sqlite3';

export interface DatabaseLock {
  release(): void;
}

/** The lock file beside a database. */
export const lockPathOf = (databasePath: string): string => `${databasePath}.lock`;

/** Thrown when another process (or another store in this one) holds the lock. */
export class LockHeldError extends Error {
  readonly lockPath: string;
  /** The holder's process id, as the kernel reports it (undefined when it cannot be found). */
  readonly pid: number | undefined;

  constructor(lockPath: string, pid: number | undefined) {
    super(`${lockPath} is locked by ${describeProcess(pid)}`);
    this.name = 'LockHeldError';
    this.lockPath = lockPath;
    this.pid = pid;
  }
}

/** "process 4242 (node dist/bin/nemesisd.js --port 8711)": its command line says which daemon it is. */
export function describeProcess(pid: number | undefined): string {
  if (pid === undefined) return 'another process';
  let command = '';
  try {
    const [program = '', ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
    // Node's own options (the V8 flags of a program's first line) come before the script: left out.
    const script = args.findIndex((arg) => !arg.startsWith('-'));
    command = [basename(program), ...(script < 0 ? [] : args.slice(script))].join(' ');
  } catch {
    // Gone meanwhile, or not Linux.
  }
  if (command.length > 120) command = `${command.slice(0, 119)}…`;
  return command === '' ? `process ${pid}` : `process ${pid} (${command})`;
}

const isBusy = (error: unknown): boolean => /^SQLITE_BUSY/.test(String((error as { code?: unknown } | null)?.code ?? ''));

/**
 * Take the lock, or throw LockHeldError at once (no waiting). The lock file is
 * an empty SQLite database: in EXCLUSIVE locking mode, a connection keeps the
 * write lock its first transaction takes until it is closed.
 */
export function lockDatabase(databasePath: string): DatabaseLock {
  const lockPath = lockPathOf(databasePath);
  const connection = new Database(lockPath, { timeout: 0 });
  try {
    connection.pragma('locking_mode = EXCLUSIVE');
    connection.pragma('journal_mode = MEMORY');
    connection.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    connection.close();
    if (isBusy(error)) throw new LockHeldError(lockPath, lockHolder(lockPath));
    throw error;
  }
  return { release: () => connection.close() };
}

/** The pid that holds a write lock on this file, from Linux's /proc/locks (matched by device and inode). */
function lockHolder(lockPath: string): number | undefined {
  try {
    const { dev, ino } = statSync(lockPath, { bigint: true });
    // glibc's major()/minor() of st_dev; /proc/locks prints them in hex, then the inode in decimal.
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
    const file = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino}`;
    for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
      // "1: POSIX  ADVISORY  WRITE 4242 fe:00:2147973 1073741824 1073742335"
      const fields = line.trim().split(/\s+/);
      if (fields[3] === 'WRITE' && fields[5] === file) {
        const pid = Number(fields[4]);
        // 0: the holder lives in a PID namespace this process cannot see.
        return pid > 0 ? pid : undefined;
      }
    }
  } catch {
    // Not Linux, or the file vanished: the message says "another process".
  }
  return undefined;
}
