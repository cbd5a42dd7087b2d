/** Cpupool rows: one per pool (Pool-0's only once changed). */
import type { SchedName, SchedParams } from '../hypervisor/sched/scheduler.ts';
import type { Db } from './database.ts';
import type { PoolRecord } from './records.ts';

export interface PoolRepository {
  list(): PoolRecord[];
  /** Insert or replace the row of `pool.id`. */
  save(pool: PoolRecord): void;
  delete(id: number): void;
}

interface PoolRow {
  id: number;
  name: string;
  sched: SchedName;
  pcpus: string;
  params: string | null;
}

export function poolRepository(db: Db): PoolRepository {
  const selectAll = db.prepare<[], PoolRow>('SELECT id, name, sched, pcpus, params FROM cpupools ORDER BY id');
  const upsert = db.prepare<[PoolRow]>(
    `INSERT INTO cpupools (id, name, sched, pcpus, params) VALUES (@id, @name, @sched, @pcpus, @params)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, sched = excluded.sched, pcpus = excluded.pcpus, params = excluded.params`,
  );
  const remove = db.prepare<[number]>('DELETE FROM cpupools WHERE id = ?');
  return {
    list: () =>
      selectAll.all().map((row) => ({
        ...row,
        pcpus: JSON.parse(row.pcpus) as number[],
        params: row.params === null ? null : (JSON.parse(row.params) as SchedParams),
      })),
    save: (pool) => void upsert.run({ ...pool, pcpus: JSON.stringify(pool.pcpus), params: pool.params === null ? null : JSON.stringify(pool.params) }),
    delete: (id) => void remove.run(id),
  };
}
