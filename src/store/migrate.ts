/**
 * Schema migrations: `migrations/NNNN_name.sql`, applied in order, each in its
 * own transaction together with the bump of `user_version`, so a failed
 * migration leaves the database exactly as it was.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export interface MigrationReport {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly string[];
}

export function loadMigrations(dir: URL | string): Migration[] {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  const migrations = readdirSync(path)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = MIGRATION_FILE.exec(file);
      if (match === null) throw new Error(`migration file name must look like 0001_name.sql: ${file}`);
      return { version: Number(match[1]), name: file, sql: readFileSync(join(path, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migrations must be numbered 0001, 0002, … without gaps: ${migration.name}`);
    }
  });
  return migrations;
}

export function migrate(db: Database.Database, dir: URL | string): MigrationReport {
  const migrations = loadMigrations(dir);
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (from > latest) {
    throw new Error(`database schema version ${from} is newer than this build knows (${latest})`);
  }
  const applied: string[] = [];
  for (const migration of migrations.slice(from)) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
    applied.push(migration.name);
  }
  return { from, to: Math.max(from, latest), applied };
}
