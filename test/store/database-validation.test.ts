/**
 * A database is validated before anything is written to it: a malformed file,
 * a file from a newer schema or a file that is not SQLite is refused with one
 * line naming the file and the problem, and left byte for byte as it was
 * (never switched to WAL).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, openSync, readFileSync, writeFileSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS, openStore, StoreError } from '../../src/store/database.ts';
import { createStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers.ts';

const digest = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A rollback-journal database with a table spanning many pages. */
function writeDatabase(path: string, user_version: number): void {
  const db = new Database(path);
  db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT NOT NULL); CREATE INDEX filler_text ON filler (text);');
  const insert = db.prepare('INSERT INTO filler (text) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run(`row ${i} `.repeat(8));
  })();
  db.pragma(`user_version = ${user_version}`);
  db.close();
}

function assertRefusedUnchanged(path: string, message: RegExp): void {
  const before = digest(path);
  assert.throws(() => openStore(path), (error: unknown) => {
    assert.ok(error instanceof StoreError, String(error));
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return true;
  });
  assert.equal(digest(path), before, 'the file is unchanged');
  assert.equal(existsSync(`${path}-wal`), false, 'never switched to WAL');
  assert.equal(new Database(path, { readonly: true }).pragma('journal_mode', { simple: true }), 'delete');
}

describe('database validation at open', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('refuse a malformed file (pages overwritten) and leave it unchanged', () => {
    const path = join(dir.path, 'malformed.db');
    writeDatabase(path, 0);
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096 * 3, 0x5a), 0, 4096 * 3, 4096 * 2);
    closeSync(fd);
    assertRefusedUnchanged(path, new RegExp(`^database ${path} is malformed \\(.+\\); restore it from a backup$`));
  });

  it('refuse a file from a newer schema version and leave it unchanged', () => {
    const path = join(dir.path, 'newer.db');
    writeDatabase(path, 99);
    assertRefusedUnchanged(path, new RegExp(`^database ${path} has schema version 99, newer than this nemesisd knows \\(\\d+\\): run a newer nemesisd on it$`));
  });

  it('refuse a file that is not SQLite at all, unread and unchanged', () => {
    const path = join(dir.path, 'text.db');
    writeFileSync(path, 'name,weight\nweb,256\n'.repeat(20));
    const before = digest(path);
    assert.throws(() => openStore(path), new RegExp(`^StoreError: database ${path} is not a SQLite database`));
    assert.equal(digest(path), before);
    assert.equal(existsSync(`${path}-wal`), false);
  });

  it('wait at most a short busy timeout for another process\'s lock', () => {
    const store = createStore(join(dir.path, 'busy.db'));
    assert.equal(store.db.pragma('busy_timeout', { simple: true }), BUSY_TIMEOUT_MS);
    assert.ok(BUSY_TIMEOUT_MS <= 100, 'a write blocks the event loop at most this long');
    store.close();
  });
});
