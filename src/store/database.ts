/**
 * Opens the SQLite store the way the daemon needs it: WAL so readers never
 * wait for a writer, synchronous=FULL so an acknowledged change survives a
 * crash or power loss, foreign keys enforced, schema migrated to the latest.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate, type MigrationReport } from './migrate.ts';

export type Db = Database.Database;

export interface OpenedStore {
  readonly db: Db;
  readonly migrations: MigrationReport;
}

export const DEFAULT_MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);

export function openStore(path: string, migrationsDir: URL | string = DEFAULT_MIGRATIONS_DIR): OpenedStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return { db, migrations: migrate(db, migrationsDir) };
  } catch (error) {
    db.close();
    throw error;
  }
}
