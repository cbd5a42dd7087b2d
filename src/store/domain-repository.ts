/** Domain configuration rows, through prepared statements. */
import type { Affinity } from '../hypervisor/domctl.ts';
import { POOL0_ID } from '../hypervisor/limits.ts';
import type { Workload } from '../hypervisor/workload.ts';
import type { Db } from './database.ts';
import type { DomainRecord, PowerState } from './records.ts';
import { sharedFromJson } from './shared-values.ts';

interface DomainRow {
  domid: number;
  uuid: string;
  name: string;
  vcpus: number;
  max_vcpus: number;
  memory_mb: number;
  weight: number;
  cap: number;
  workload: string;
  affinity: string;
  state: PowerState;
  cpupool: number;
}

export interface DomainRepository {
  list(): DomainRecord[];
  insert(domain: DomainRecord): void;
  update(domain: DomainRecord): void;
  delete(domid: number): void;
}

const toRow = (domain: DomainRecord): DomainRow => ({
  ...domain,
  cpupool: domain.cpupool ?? POOL0_ID,
  workload: JSON.stringify(domain.workload),
  affinity: JSON.stringify(domain.affinity),
});

/** Every field named, so a record (a daemon holds one per domain) has them all in the object. */
function fromRow(row: DomainRow): DomainRecord {
  const { domid, uuid, name, vcpus, max_vcpus, memory_mb, weight, cap, state, cpupool } = row;
  const workload = sharedFromJson<Workload>(row.workload);
  const affinity = sharedFromJson<Affinity[]>(row.affinity);
  if (cpupool === POOL0_ID) return { domid, uuid, name, vcpus, max_vcpus, memory_mb, weight, cap, workload, affinity, state };
  return { domid, uuid, name, vcpus, max_vcpus, memory_mb, weight, cap, workload, affinity, state, cpupool };
}

export function domainRepository(db: Db): DomainRepository {
  const columns = 'domid, uuid, name, vcpus, max_vcpus, memory_mb, weight, cap, workload, affinity, state, cpupool';
  const selectAll = db.prepare<[], DomainRow>(`SELECT ${columns} FROM domains ORDER BY domid`);
  const insert = db.prepare<[DomainRow]>(
    `INSERT INTO domains (${columns}) VALUES
     (@domid, @uuid, @name, @vcpus, @max_vcpus, @memory_mb, @weight, @cap, @workload, @affinity, @state, @cpupool)`,
  );
  const update = db.prepare<[DomainRow]>(
    `UPDATE domains SET uuid = @uuid, name = @name, vcpus = @vcpus, max_vcpus = @max_vcpus,
     memory_mb = @memory_mb, weight = @weight, cap = @cap, workload = @workload,
     affinity = @affinity, state = @state, cpupool = @cpupool WHERE domid = @domid`,
  );
  const remove = db.prepare<[number]>('DELETE FROM domains WHERE domid = ?');
  return {
    list: () => selectAll.all().map(fromRow),
    insert: (domain) => void insert.run(toRow(domain)),
    update: (domain) => {
      if (update.run(toRow(domain)).changes !== 1) throw new Error(`no stored domain ${domain.domid}`);
    },
    delete: (domid) => void remove.run(domid),
  };
}
