import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WalSync } from '../../src/store/wal-sync.ts';

/** A sync whose calls are counted and finished by hand. */
function manualSync(): { sync(): Promise<void>; calls(): number; finish(error?: Error): void } {
  const pending: { resolve(): void; reject(error: Error): void }[] = [];
  let calls = 0;
  return {
    sync: () => {
      calls++;
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
    calls: () => calls,
    finish(error) {
      const next = pending.shift();
      assert.ok(next !== undefined, 'no sync is running');
      if (error === undefined) next.resolve();
      else next.reject(error);
    },
  };
}

const settled = async (promise: Promise<void>): Promise<string> => {
  const state = await Promise.race([promise.then(() => 'resolved', (e: Error) => `rejected: ${e.message}`), new Promise<string>((r) => setImmediate(() => r('pending')))]);
  return state;
};

describe('WAL group commit', () => {
  it('resolves at once when nothing was committed since the last sync', async () => {
    const disk = manualSync();
    const wal = new WalSync(disk.sync);
    assert.equal(await settled(wal.synced()), 'resolved');
    assert.equal(disk.calls(), 0);
  });

  it('acknowledges a commit only after a sync that began after it', async () => {
    const disk = manualSync();
    const wal = new WalSync(disk.sync);
    wal.committed();
    const first = wal.synced();
    assert.equal(disk.calls(), 1);
    // Committed while the first sync runs: that sync may not cover it.
    wal.committed();
    const second = wal.synced();
    disk.finish();
    assert.equal(await settled(first), 'resolved');
    assert.equal(await settled(second), 'pending');
    assert.equal(disk.calls(), 2);
    disk.finish();
    assert.equal(await settled(second), 'resolved');
    assert.equal(await settled(wal.synced()), 'resolved');
    assert.equal(disk.calls(), 2);
  });

  it('covers every commit made while a sync ran with one more sync', async () => {
    const disk = manualSync();
    const wal = new WalSync(disk.sync);
    wal.committed();
    const first = wal.synced();
    const waiting: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      wal.committed();
      waiting.push(wal.synced());
    }
    disk.finish();
    await first;
    disk.finish();
    for (const promise of waiting) assert.equal(await settled(promise), 'resolved');
    assert.equal(disk.calls(), 2);
  });

  it('fails every waiter when a sync fails, and every later call: a sync after a failed one proves nothing', async () => {
    const disk = manualSync();
    const wal = new WalSync(disk.sync);
    wal.committed();
    const first = wal.synced();
    wal.committed();
    const second = wal.synced();
    disk.finish(new Error('EIO'));
    assert.equal(await settled(first), 'rejected: EIO');
    assert.equal(await settled(second), 'rejected: EIO');
    assert.equal(await settled(wal.synced()), 'rejected: EIO');
    assert.equal(disk.calls(), 1);
  });
});
