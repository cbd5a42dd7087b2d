/**
 * Storage faults while the daemon runs: a full disk (SQLite's own SQLITE_FULL,
 * from a page limit on the daemon's connection) answers 507 STORE_FULL and an
 * unwritable database 500 STORE_IO_ERROR; health and metrics say degraded;
 * nothing acknowledged is lost, nothing refused is half-stored, and writes
 * resume on their own once the fault is gone. As root, the same on a real
 * full disk: a small tmpfs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startDaemon, tempDir } from '../helpers.ts';

const names = async (d: Awaited<ReturnType<typeof startDaemon>>): Promise<string[]> =>
  ((await d.request('GET', '/api/v1/domains')).body as Array<{ name: string }>).map((x) => x.name);

describe('storage faults', () => {
  it('a full disk: 507 STORE_FULL, degraded health and metrics, nothing acknowledged lost, writes resume once there is room', async () => {
    const d = await startDaemon();
    let restarted: Awaited<ReturnType<typeof startDaemon>> | undefined;
    try {
      assert.equal((await d.request('POST', '/api/v1/domains', { name: 'before' })).status, 201);
      // No page beyond those the database has now: the first change that needs one fails as a full disk does.
      const pages = d.store.db.pragma('page_count', { simple: true }) as number;
      d.store.db.pragma(`max_page_count = ${pages}`);
      const acknowledged = ['before'];
      let refused: Awaited<ReturnType<typeof d.request>> | undefined;
      for (let i = 0; refused === undefined && i < 1000; i += 1) {
        const reply = await d.request('POST', '/api/v1/domains', { name: `d${i}`, vcpus: 2 });
        if (reply.status === 201) acknowledged.push(`d${i}`);
        else refused = reply;
      }
      assert.ok(refused !== undefined, 'the page limit was reached');
      assert.equal(refused.status, 507, JSON.stringify(refused.body));
      assert.deepEqual([refused.body.code, refused.body.error], ['STORE_FULL', 'Insufficient Storage']);
      assert.match(refused.body.message, /disk holding the database is full; nothing was changed\. Free space on it/);
      const lost = `d${acknowledged.length - 1}`;
      // Every further change that needs room fails the same way, at once.
      assert.equal((await d.request('POST', '/api/v1/domains', { name: lost, vcpus: 2 })).status, 507);

      assert.deepEqual((await d.request('GET', '/healthz')).body, { status: 'degraded', now_ns: 0, store: 'full' });
      const metrics = (await d.request('GET', '/metrics')).body as string;
      assert.match(metrics, /^nemesis_store_degraded 1$/m);
      assert.match(metrics, /^nemesis_store_write_errors_total\{reason="full"\} 2$/m);
      assert.deepEqual(await names(d), ['Domain-0', ...acknowledged]);

      // Room again: the same change is stored, without a restart.
      d.store.db.pragma('max_page_count = 1073741823');
      assert.equal((await d.request('POST', '/api/v1/domains', { name: lost, vcpus: 2 })).status, 201);
      assert.deepEqual((await d.request('GET', '/healthz')).body, { status: 'ok', now_ns: 0, store: 'ok' });
      assert.match((await d.request('GET', '/metrics')).body as string, /^nemesis_store_degraded 0$/m);

      // And after a restart, everything acknowledged is there.
      await d.close();
      restarted = await startDaemon({ dir: d.dir });
      assert.deepEqual(await names(restarted), ['Domain-0', ...acknowledged, lost]);
    } finally {
      await restarted?.close();
      await d.close();
      d.dir.remove();
    }
  });

  it('an unwritable database: 500 STORE_IO_ERROR naming the cause, degraded health, nothing changed, writes resume', async () => {
    const d = await startDaemon();
    try {
      assert.equal((await d.request('POST', '/api/v1/domains', { name: 'before' })).status, 201);
      d.store.db.pragma('query_only = 1');
      const refused = await d.request('PUT', '/api/v1/domains/before/sched', { weight: 512 });
      assert.equal(refused.status, 500, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'STORE_IO_ERROR');
      assert.match(refused.body.message, /^the database could not be written \(attempt to write a readonly database\); nothing was changed/);
      assert.deepEqual((await d.request('GET', '/healthz')).body, { status: 'degraded', now_ns: 0, store: 'io_error' });
      assert.match((await d.request('GET', '/metrics')).body as string, /^nemesis_store_write_errors_total\{reason="io"\} 1$/m);
      assert.equal((await d.request('GET', '/api/v1/domains/before')).body.sched.weight, 256);

      d.store.db.pragma('query_only = 0');
      assert.equal((await d.request('PUT', '/api/v1/domains/before/sched', { weight: 512 })).status, 200);
      assert.equal((await d.request('GET', '/api/v1/domains/before')).body.sched.weight, 512);
      assert.deepEqual((await d.request('GET', '/healthz')).body, { status: 'ok', now_ns: 0, store: 'ok' });
    } finally {
      await d.close();
      d.dir.remove();
    }
  });
});

/** A tmpfs of `size` mounted for the test (root only), or undefined where mounting is not allowed. */
function smallTmpfs(size: string): { path: string; remove(): void } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = tempDir();
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir.path]).status !== 0) {
    dir.remove();
    return undefined;
  }
  return {
    path: dir.path,
    remove() {
      spawnSync('umount', [dir.path]);
      dir.remove();
    },
  };
}

/** Fill the file system holding `path` to the last byte. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    // The last partial block.
    try {
      for (;;) writeSync(fd, block, 0, 1);
    } catch {
      // Full.
    }
  } finally {
    closeSync(fd);
  }
}

describe('a database on a full tmpfs', () => {
  it('answers 507 once the disk is full, loses nothing acknowledged, and stores changes again once space is freed', async (t) => {
    const fs = smallTmpfs('2m');
    if (fs === undefined) return t.skip('needs root and a tmpfs');
    const dir = { path: fs.path, remove: () => undefined };
    const d = await startDaemon({ dir });
    let restarted: Awaited<ReturnType<typeof startDaemon>> | undefined;
    try {
      fill(join(fs.path, 'filler'));
      const acknowledged: string[] = [];
      let refused: Awaited<ReturnType<typeof d.request>> | undefined;
      for (let i = 0; refused === undefined && i < 5000; i += 1) {
        const reply = await d.request('POST', '/api/v1/domains', { name: `d${i}` });
        if (reply.status === 201) acknowledged.push(`d${i}`);
        else refused = reply;
      }
      assert.ok(refused !== undefined, 'the disk filled up');
      assert.deepEqual([refused.status, refused.body.code], [507, 'STORE_FULL'], JSON.stringify(refused.body));
      assert.equal((await d.request('GET', '/healthz')).body.store, 'full');
      assert.deepEqual(await names(d), ['Domain-0', ...acknowledged]);
      rmSync(join(fs.path, 'filler'));
      const next = `d${acknowledged.length}`;
      assert.equal((await d.request('POST', '/api/v1/domains', { name: next })).status, 201);
      assert.equal((await d.request('GET', '/healthz')).body.store, 'ok');
      await d.close();
      restarted = await startDaemon({ dir });
      assert.deepEqual(await names(restarted), ['Domain-0', ...acknowledged, next]);
    } finally {
      await restarted?.close();
      await d.close();
      fs.remove();
    }
  });
});
