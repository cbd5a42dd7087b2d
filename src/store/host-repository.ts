/** The single host row: the domid counter and the scheduler-wide parameters. */
import type { GlobalSchedParams } from '../hypervisor/sched/scheduler.ts';
import type { Db } from './database.ts';
import type { HostRecord } from './records.ts';

export interface HostRepository {
  get(): HostRecord;
  setNextDomid(next_domid: number): void;
  setSched(sched: GlobalSchedParams): void;
  /** The simulated clock's speed as last set through the API. */
  clockSpeed(): number;
  setClockSpeed(speed: number): void;
}

interface HostRow {
  next_domid: number;
  tslice_ms: number;
  ratelimit_us: number;
  accounting: GlobalSchedParams['accounting'];
}

export function hostRepository(db: Db): HostRepository {
  const select = db.prepare<[], HostRow>(
    'SELECT next_domid, tslice_ms, ratelimit_us, accounting FROM host WHERE id = 1',
  );
  const selectClockSpeed = db.prepare<[], { clock_speed: number }>('SELECT clock_speed FROM host WHERE id = 1');
  const updateClockSpeed = db.prepare<[number]>('UPDATE host SET clock_speed = ? WHERE id = 1');
  const updateCounter = db.prepare<[number]>('UPDATE host SET next_domid = ? WHERE id = 1');
  const updateSched = db.prepare<[GlobalSchedParams]>(
    'UPDATE host SET tslice_ms = @tslice_ms, ratelimit_us = @ratelimit_us, accounting = @accounting WHERE id = 1',
  );
  return {
    get() {
      const row = select.get();
      if (row === undefined) throw new Error('the host row is missing: was the database migrated?');
      const { next_domid, ...sched } = row;
      return { next_domid, sched };
    },
    setNextDomid: (next_domid) => void updateCounter.run(next_domid),
    clockSpeed: () => selectClockSpeed.get()?.clock_speed ?? 1,
    setClockSpeed: (speed) => void updateClockSpeed.run(speed),
    setSched: (sched) =>
      void updateSched.run({ tslice_ms: sched.tslice_ms, ratelimit_us: sched.ratelimit_us, accounting: sched.accounting }),
  };
}
