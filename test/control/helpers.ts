/** Control-layer set-up: a host, a frozen clock and a store whose next write can be made to fail. */
import assert from 'node:assert/strict';
import { createControl, type Control } from '../../src/control/index.ts';
import { Host } from '../../src/hypervisor/index.ts';
import { createTickLoop } from '../../src/runtime/tick-loop.ts';
import { createStore, type Store } from '../../src/store/index.ts';

export type FlakyStore = Store & { failNext: boolean };

/** A store whose next transaction can be made to fail, as a full disk would. */
export function flakyStore(store: Store): FlakyStore {
  const flaky = {
    ...store,
    failNext: false,
    transaction<T>(work: () => T): T {
      if (flaky.failNext) {
        flaky.failNext = false;
        throw new Error('SQLITE_FULL: database or disk is full');
      }
      return store.transaction(work);
    },
  };
  return flaky;
}

export interface ControlSetup {
  readonly host: Host;
  readonly store: FlakyStore;
  readonly control: Control;
}

/** A control layer over a fresh host; the same `pcpus` and `seed` give the same simulation. */
export function setupControl(path: string, pcpus = 1, seed = 1): ControlSetup {
  const host = new Host({ pcpus, seed });
  const store = flakyStore(createStore(path));
  const control = createControl({ host, clock: createTickLoop({ host, speed: 0 }), store, pcpus, version: 'test' });
  return { host, store, control };
}

/** The store refused the change: a 500 INTERNAL. */
export const failsAtStore = (work: () => unknown): void =>
  assert.throws(work, (error: Error & { code?: string; statusCode?: number }) => error.code === 'INTERNAL' && error.statusCode === 500);

/** Everything a client or the simulation can observe, but the random uuids. */
export function observable(setup: ControlSetup): string {
  const { host, control } = setup;
  const domains = control.domains.list().map(({ uuid: _uuid, ...rest }) => rest);
  const live = host.domctl({ op: 'getdomaininfolist' });
  assert.ok(live.ok);
  return JSON.stringify({
    domains,
    vcpus: domains.map((d) => control.domains.listVcpus(String(d.id))),
    groups: control.schedulingDomains.list(),
    scheduler: control.host.getScheduler(),
    hypervisor: { domains: live.value, inspection: host.inspect() },
    trace_hash: host.trace_hash,
  });
}
