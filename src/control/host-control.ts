/**
 * The host as a whole: physical facts, the simulated clock, and the credit
 * scheduler's host-wide parameters (persisted like domain configuration).
 */
import { NS_PER_MS, profileOf, SCHED_PROFILES, type GlobalSchedParams, type PcpuInfo, type SchedProfile } from '../hypervisor/index.ts';
import type { ClockStatus } from '../runtime/tick-loop.ts';
import type { Static } from '@sinclair/typebox';
import type { HostInfo, Scheduler } from '../schemas/host.ts';
import type { ControlContext } from './context.ts';
import { fromDomctl } from './domctl-errors.ts';
import { invalidArgument } from '../vocabulary/errors.ts';
import { commit, plan } from './plan.ts';
import { SCHEDULER_KEY } from './versions.ts';

export type HostView = Static<typeof HostInfo>;
export type SchedulerView = Static<typeof Scheduler>;

export interface HostControl {
  info(): HostView;
  listPcpus(): PcpuInfo[];
  /** Persisted: a restart keeps it (unless started with another speed). */
  setSpeed(speed: number): ClockStatus;
  /** Exactly one of `ms` and `ns`. */
  advance(by: { readonly ms?: number | undefined; readonly ns?: number | undefined }): Promise<ClockStatus>;
  getScheduler(): SchedulerView;
  /** A profile sets all three parameters; any given beside it override it. */
  setScheduler(params: Partial<GlobalSchedParams> & { readonly profile?: SchedProfile }): SchedulerView;
}

export function createHostControl(ctx: ControlContext, version: string, seed: number): HostControl {
  const { host, clock, state } = ctx;

  const physinfo = () => {
    const result = host.domctl({ op: 'physinfo' });
    if (!result.ok) throw fromDomctl(result.error);
    return result.value;
  };
  const schedulerView = (params: GlobalSchedParams): SchedulerView => {
    const { scheduler, tick_ms } = physinfo();
    const { tslice_ms, ratelimit_us, accounting } = params;
    return { name: scheduler, profile: profileOf(params), tick_ms, tslice_ms, ratelimit_us, accounting };
  };

  return {
    info() {
      clock.sync();
      const { pcpus, scheduler, trace_hash } = physinfo();
      return { pcpus, scheduler, clock: clock.status(), version, seed, trace_hash };
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

    getScheduler() {
      return schedulerView(state.sched);
    },

    setScheduler({ profile, ...params }) {
      // The scheduler owns its ranges (ratelimit 0 or 100..500000 µs, never above the slice): a refusal is a 400.
      const next: GlobalSchedParams = { ...state.sched, ...(profile === undefined ? {} : SCHED_PROFILES[profile]), ...params };
      clock.sync();
      const steps = host.plan();
      plan(steps, { op: 'sched_global', cmd: 'putinfo', params: next });
      commit(ctx, steps, { sched: next });
      ctx.events.publish('scheduler.updated', host.now_ns, { ...next, version: state.versionOf('scheduler', SCHEDULER_KEY) });
      return schedulerView(next);
    },
  };
}
