import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { DEFAULT_MIGRATIONS_DIR, openStore } from '../../src/store/database.ts';
import { loadMigrations, migrate } from '../../src/store/migrate.ts';
import { tempDir } from '../helpers.ts';

describe('migrations', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('migrate an empty database to the latest version, with the durable pragmas', () => {
    const { db, migrations } = openStore(join(dir.path, 'fresh', 'n.db'));
    const latest = loadMigrations(DEFAULT_MIGRATIONS_DIR).length;
    assert.equal(migrations.from, 0);
    assert.equal(migrations.to, latest);
    assert.deepEqual(migrations.applied, loadMigrations(DEFAULT_MIGRATIONS_DIR).map((m) => m.name));
    assert.equal(db.pragma('user_version', { simple: true }), latest);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    // NORMAL: commits do not fsync on the event loop; the store syncs the WAL file itself before a change is acknowledged (wal-sync.ts).
    assert.equal(db.pragma('synchronous', { simple: true }), 1, 'synchronous=NORMAL');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    assert.deepEqual(tables.map((t) => t.name), ['cpupools', 'domains', 'host', 'idempotency_keys', 'sched_group_members', 'sched_groups', 'versions']);
    assert.deepEqual(db.prepare('SELECT next_domid, tslice_ms, ratelimit_us, accounting FROM host').get(), {
      next_domid: 1,
      tslice_ms: 30,
      ratelimit_us: 1000,
      accounting: 'exact',
    });
    db.close();
  });

  it('apply nothing the second time', () => {
    const path = join(dir.path, 'twice.db');
    openStore(path).db.close();
    const { db, migrations } = openStore(path);
    assert.deepEqual(migrations.applied, []);
    assert.equal(migrations.from, migrations.to);
    db.close();
  });

  it('apply each migration in one transaction: a failing one leaves the database as it was', () => {
    const migrationsDir = join(dir.path, 'bad-migrations');
    mkdirSync(migrationsDir);
    writeFileSync(join(migrationsDir, '0001_one.sql'), 'CREATE TABLE one (id INTEGER PRIMARY KEY);');
    writeFileSync(join(migrationsDir, '0002_two.sql'), 'CREATE TABLE two (id INTEGER PRIMARY KEY);\nINSERT INTO nowhere VALUES (1);');
    const db = new Database(join(dir.path, 'partial.db'));
    assert.throws(() => migrate(db, migrationsDir), /no such table: nowhere/);
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    assert.deepEqual(tables.map((t) => t.name), ['one'], 'the half-applied 0002 was rolled back');
    db.close();
  });

  it('refuse migration files with gaps or bad names, and databases newer than the code', () => {
    const gaps = join(dir.path, 'gaps');
    mkdirSync(gaps);
    writeFileSync(join(gaps, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(join(gaps, '0003_c.sql'), 'SELECT 1;');
    assert.throws(() => loadMigrations(gaps), /without gaps/);
    const badName = join(dir.path, 'bad-name');
    mkdirSync(badName);
    writeFileSync(join(badName, '1_a.sql'), 'SELECT 1;');
    assert.throws(() => loadMigrations(badName), /0001_name\.sql/);
    const db = new Database(join(dir.path, 'future.db'));
    db.pragma('user_version = 99');
    assert.throws(() => migrate(db, DEFAULT_MIGRATIONS_DIR), /newer than this build/);
    db.close();
  });
});
