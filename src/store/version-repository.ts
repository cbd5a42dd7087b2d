/** Resource versions: the host's revision counter and the version each resource took from it. */
import type { Db } from './database.ts';

export interface VersionRow {
  readonly kind: string;
  readonly key: number;
  readonly version: number;
}

export interface VersionRepository {
  /** The last revision given out. */
  revision(): number;
  setRevision(revision: number): void;
  list(): VersionRow[];
  set(row: VersionRow): void;
  delete(kind: string, key: number): void;
}

export function versionRepository(db: Db): VersionRepository {
  const selectRevision = db.prepare<[], { revision: number }>('SELECT revision FROM host WHERE id = 1');
  const updateRevision = db.prepare<[number]>('UPDATE host SET revision = ? WHERE id = 1');
  const selectAll = db.prepare<[], VersionRow>('SELECT kind, key, version FROM versions ORDER BY kind, key');
  const upsert = db.prepare<[VersionRow]>(
    'INSERT INTO versions (kind, key, version) VALUES (@kind, @key, @version) ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version',
  );
  const remove = db.prepare<[string, number]>('DELETE FROM versions WHERE kind = ? AND key = ?');
  return {
    revision: () => selectRevision.get()?.revision ?? 1,
    setRevision: (revision) => void updateRevision.run(revision),
    list: () => selectAll.all(),
    set: (row) => void upsert.run({ kind: row.kind, key: row.key, version: row.version }),
    delete: (kind, key) => void remove.run(kind, key),
  };
}
