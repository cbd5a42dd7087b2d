/**
 * Database failures: a read-only database stops the daemon at start with one
 * line and exit 2; another process holding the lock makes changes answer 503
 * STORE_BUSY at once (health degraded, counted in the metrics) while
 * everything else keeps working, and all is well again when the lock is
 * released.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createStore } from '../../src/store/index.ts';
import { build, tempDir } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOBODY = 65534;
/** As root every file is writable: the daemon then runs as nobody, for whom permissions count. */
const asUnprivileged = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};

const digest = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

function runDaemon(db: string) {
  return spawnSync(process.execPath, ['dist/bin/nemesisd.js'], {
    cwd: ROOT,
    env: { ...process.env, NEMESIS_DB: db, PORT: '0', NEMESIS_PCPUS: '1' },
    encoding: 'utf8',
    timeout: 60_000,
    ...asUnprivileged,
  });
}

/** A valid database in a folder of its own, both owned by whoever runs the daemon. */
function storedDatabase(): { dir: { path: string; remove(): void }; db: string } {
  const dir = tempDir();
  const db = join(dir.path, 'nemesis.db');
  createStore(db).close();
  if ('uid' in asUnprivileged) {
    chownSync(dir.path, NOBODY, NOBODY);
    chownSync(db, NOBODY, NOBODY);
  }
  return { dir, db };
}

describe('database failures', () => {
  for (const [what, makeReadOnly] of [
    ['a read-only file', (_dir: string, db: string) => chmodSync(db, 0o444)],
    ['a file in a read-only folder', (dir: string) => chmodSync(dir, 0o555)],
  ] as const) {
    it(`refuse ${what} at start: one line naming the file, exit 2, the file unchanged`, () => {
      const { dir, db } = storedDatabase();
      try {
        makeReadOnly(dir.path, db);
        const before = digest(db);
        const run = runDaemon(db);
        assert.equal(run.status, 2, run.stderr);
        assert.match(run.stderr, new RegExp(`^nemesisd: database ${db} is read-only \\(attempt to write a readonly database\\): the file and its folder must be writable`));
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
        assert.equal(digest(db), before);
      } finally {
        chmodSync(dir.path, 0o755);
        dir.remove();
      }
    });
  }

  it('refuse a malformed file at start: one line, exit 2, no stack trace', () => {
    const { dir, db } = storedDatabase();
    try {
      // Every page after the first (the header and the schema) overwritten.
      const bytes = readFileSync(db);
      bytes.fill(0x5a, 4096, bytes.length);
      writeFileSync(db, bytes);
      const run = runDaemon(db);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^nemesisd: database ${db} is malformed \\(.+\\); restore it from a backup\\n$`));
    } finally {
      dir.remove();
    }
  });

  it('answer 503 STORE_BUSY with Retry-After at once while another process holds the lock; degraded health; metrics; the clock keeps going', async (t) => {
    const d = await build(t);
    const other = new Database(d.dbPath);
    try {
      assert.equal((await d.request('POST', '/api/v1/domains', { name: 'before' })).status, 201);
      other.exec('BEGIN EXCLUSIVE');

      const refused = await d.request('POST', '/api/v1/domains', { name: 'during', start: true });
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.headers['retry-after'], '1');
      assert.deepEqual(
        [refused.body.statusCode, refused.body.code, refused.body.error],
        [503, 'STORE_BUSY', 'Service Unavailable'],
      );
      assert.match(refused.body.message, /locked by another process; nothing was changed/);
      // Further writes fail at once rather than each blocking the event loop for the busy timeout.
      assert.equal(d.store.db.pragma('busy_timeout', { simple: true }), 0);
      assert.equal((await d.request('PUT', '/api/v1/domains/before/sched', { weight: 512 })).status, 503);

      assert.deepEqual((await d.request('GET', '/healthz')).body, { status: 'degraded', now_ns: 0, store: 'busy' });
      const metrics = (await d.request('GET', '/metrics')).body as string;
      assert.match(metrics, /^nemesis_store_busy 1$/m);
      assert.match(metrics, /^nemesis_store_busy_errors_total 2$/m);
      // Nothing changed, reads and the clock work.
      const names = (await d.request('GET', '/api/v1/domains')).body.map((x: { name: string }) => x.name);
      assert.deepEqual(names, ['Domain-0', 'before']);
      assert.equal((await d.request('GET', '/api/v1/domains/before')).body.sched.weight, 256);
      assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: 250 })).body.now_ns, 250e6);

      other.exec('ROLLBACK');
      assert.equal((await d.request('POST', '/api/v1/domains', { name: 'after' })).status, 201);
      assert.deepEqual((await d.request('GET', '/healthz')).body, { status: 'ok', now_ns: 250e6, store: 'ok' });
      assert.match((await d.request('GET', '/metrics')).body as string, /^nemesis_store_busy 0$/m);
      assert.equal(d.store.db.pragma('busy_timeout', { simple: true }), 50);
    } finally {
      other.close(); // before the daemon closes
    }
  });
});
