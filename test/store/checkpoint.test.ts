/**
 * Checkpoints stay rare (they made the soak's ticks late): better-sqlite3
 * runs them inside a commit, on the event loop, fsyncs included.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore, WAL_AUTOCHECKPOINT_PAGES } from '../../src/store/database.ts';
import { tempDir } from '../helpers.ts';

describe('WAL checkpoints', () => {
  it(`leave the WAL alone for ${WAL_AUTOCHECKPOINT_PAGES} frames, then checkpoint within one commit`, () => {
    const dir = tempDir();
    const { db } = openStore(join(dir.path, 'nemesis.db'));
    try {
      // Each commit writes one frame (page 1, the header holding user_version).
      const commit = (n: number): void => {
        db.transaction(() => db.pragma(`user_version = ${n}`))();
      };
      /** Frames in the WAL now (a PASSIVE checkpoint reports them; nothing else writes meanwhile). */
      const frames = (): number => (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
      // After a PASSIVE checkpoint has copied every frame, the next commit restarts the WAL from its first frame.
      frames();
      for (let i = 0; i < 1500; i++) commit(i);
      assert.equal(frames(), 1500, 'the default (1000 frames) would have checkpointed and restarted the WAL by now');
      for (let i = 0; i < WAL_AUTOCHECKPOINT_PAGES + 10; i++) commit(i);
      const left = frames();
      assert.ok(left > 0 && left <= 10, `checkpointed at frame ${WAL_AUTOCHECKPOINT_PAGES}, then restarted: ${left} frames now`);
    } finally {
      db.close();
      dir.remove();
    }
  });
});
