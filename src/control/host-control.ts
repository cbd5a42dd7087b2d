/**
 * The host as a whole: physical facts, the simulated clock, and the credit
 * scheduler's host-wide parameters (persisted like domain configuration).
 */
import { NS_PER_MS, POOL0_ID, type PcpuInfo } from '../hypervisor/index.ts';
import { getPoolScheduler, setPoolScheduler, type PoolSchedulerSpec } from './cpupools.ts';
import type { ClockStatus } from '../runtime/tick-loop.ts';
import type { Static } from '@sinclair/typebox';
import type { HostInfo, Scheduler } from '../schemas/host.ts';
import type { ControlContext } from './context.ts';
import { fromDomctl } from './domctl-errors.ts';
import { invalidArgument } from '../vocabulary/errors.ts';

export type HostView = Static<typeof HostInfo>;
export type SchedulerView = Static<typeof Scheduler>;

export interface HostControl {
  info(): HostView;
  listPcpus(): PcpuInfo[];
  /** Persisted: a restart keeps it (unless started with another speed). */
  setSpeed(speed: number): ClockStatus;
  /** Exactly one of `ms` and `ns`. */
  advance(by: { readonly ms?: number | undefined; readonly ns?: number | undefined }): Promise<ClockStatus>;
  /** Pool-0's. */
  getScheduler(): SchedulerView;
  /** Pool-0's: a profile of its policy sets all its parameters; any given beside it override it. */
  setScheduler(spec: PoolSchedulerSpec): SchedulerView;
}

export function createHostControl(ctx: ControlContext, version: string, seed: number): HostControl {
  const { host, clock, state } = ctx;

  const physinfo = () => {
    const result = host.domctl({ op: 'physinfo' });
    if (!result.ok) throw fromDomctl(result.error);
    return result.value;
  };

  return {
    info() {
      clock.sync();
      const { pcpus, scheduler, trace_hash } = physinfo();
      const shape = host.domctl({ op: 'topologyinfo' });
      if (!shape.ok) throw fromDomctl(shape.error);
      const { sockets, cores, threads, free_pcpus } = shape.value;
      return {
        pcpus,
        scheduler,
        topology: { sockets, cores, threads },
        credit2_runqueue: ctx.credit2_runqueue,
        free_pcpus: [...free_pcpus],
        clock: clock.status(),
        version,
        seed,
        trace_hash,
      };
    },

    listPcpus() {
      clock.sync();
      const result = host.domctl({ op: 'getcpuinfo' });
      if (!result.ok) throw fromDomctl(result.error);
      return result.value;
    },

    setSpeed(speed) {
      clock.sync();
      state.commit({ clock_speed: speed });
      clock.setSpeed(speed);
      ctx.events.publish('clock.updated', host.now_ns, { speed });
      return clock.status();
    },

    async advance({ ms, ns }) {
      if ((ms === undefined) === (ns === undefined)) throw invalidArgument(ms === undefined ? 'ms' : 'ns', 'give exactly one of ms and ns');
      await clock.advanceNs(ns ?? ms! * NS_PER_MS);
      ctx.events.publish('clock.updated', host.now_ns, ns === undefined ? { advanced_ms: ms! } : { advanced_ns: ns });
      return clock.status();
    },

    getScheduler: () => getPoolScheduler(ctx, POOL0_ID),
    setScheduler: (spec) => setPoolScheduler(ctx, POOL0_ID, spec),
  };
}
