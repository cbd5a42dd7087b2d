import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createStore, StoreError } from '../../src/store/index.ts';
import { tempDir } from '../helpers.ts';

describe('the database lock', () => {
  it('refuse a second store on one file, naming the process that holds it, until the first is closed; readers are not kept out', () => {
    const dir = tempDir();
    const path = join(dir.path, 'nemesis.db');
    try {
      const first = createStore(path);
      assert.ok(existsSync(`${path}.lock`));
      const program = basename(process.argv0);
      assert.throws(() => createStore(path), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.match(error.message, new RegExp(`^database ${path} is in use by process ${process.pid} \\(${program} .+\\): one daemon per database; stop that one first, or give this one another NEMESIS_DB$`));
        return true;
      });
      const reader = new Database(path, { readonly: true });
      assert.equal(reader.pragma('user_version', { simple: true }), first.migrations.to);
      reader.close();
      first.close();

      const again = createStore(path);
      again.close();
    } finally {
      dir.remove();
    }
  });

  it('take no lock for a database in memory', () => {
    const a = createStore(':memory:');
    const b = createStore(':memory:');
    a.close();
    b.close();
  });
});
