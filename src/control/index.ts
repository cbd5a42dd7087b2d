/**
 * The control layer (xend): one object the HTTP routes call, built from the
 * host, the runtime clock and the store, with the host restored from the store.
 */
import type { Static } from '@sinclair/typebox';
import { realTimers, type Timers } from '../runtime/clock.ts';
import type { Health } from '../schemas/host.ts';
import { DEFAULT_SEED, type credit2 } from '../hypervisor/index.ts';

type RunqueueArrangement = credit2.RunqueueArrangement;
import type { Store } from '../store/index.ts';
import { ConfigState } from './config-state.ts';
import type { ControlContext } from './context.ts';
import { createCpupoolManager, type CpupoolManager } from './cpupools.ts';
import { createDomainManager, type DomainManager } from './domain-manager.ts';
import { createEventBus, type EventBus } from './events.ts';
import { createHostControl, type HostControl } from './host-control.ts';
import { apiError } from '../vocabulary/errors.ts';
import type { LabControl, LabSource, SimulatedHost, SimulationClock } from './ports.ts';
import { createIdempotency, type Idempotency } from './idempotency.ts';
import { createVersions, type Versions } from './preconditions.ts';
import { restoreHost, type RestoreReport } from './restore.ts';
import { createSchedulingDomainManager, type SchedulingDomainManager } from './scheduling-domains.ts';
import { createTraceControl, type TraceControl } from './trace.ts';
import { createUsageControl, type UsageControl } from './usage.ts';

export interface ControlOptions {
  readonly host: SimulatedHost;
  readonly clock: SimulationClock;
  readonly store: Store;
  readonly pcpus: number;
  /** The runqueue arrangement of credit2 pools created without one (default: the host's, as it was made). */
  readonly credit2_runqueue?: RunqueueArrangement;
  readonly version: string;
  /** Wall-time timers for the usage stream (fakes in tests). */
  readonly timers?: Timers;
  /** The seed the host was made with (reported in GET /host; default the host's). */
  readonly seed?: number;
  /** The lab's part of the API (src/lab), made over what it reads of this control layer; without it, the lab's requests answer NOT_SUPPORTED. */
  readonly lab?: (source: LabSource) => LabControl;
  /**
   * A host already holding the store's configuration (a what-if copy): attach to
   * it as it is, with the runtime figures given, instead of restoring it from the store.
   */
  readonly attach?: { readonly endedGroupCpuNs: Iterable<readonly [number, number]> };
}

export interface Control {
  readonly domains: DomainManager;
  readonly cpupools: CpupoolManager;
  readonly schedulingDomains: SchedulingDomainManager;
  readonly host: HostControl;
  readonly events: EventBus;
  readonly usage: UsageControl;
  readonly lab: LabControl;
  readonly traces: TraceControl;
  readonly state: ConfigState;
  /** Resource versions, for conditional requests (ETag, If-Match, If-None-Match). */
  readonly versions: Versions;
  /** Kept answers to POSTs with an Idempotency-Key, so a retry does nothing twice. */
  readonly idempotency: Idempotency;
  readonly restore: RestoreReport;
  /** For /healthz: degraded while changes cannot be stored (the database locked by another process, a full disk, an I/O error). */
  health(): HealthView;
  readonly store: Pick<Store, 'health' | 'synced'>;
}

export type HealthView = Static<typeof Health>;

/** The health check's word for each store fault. */
const STORE_STATES = { busy: 'busy', full: 'full', io: 'io_error' } as const;

const noLab = (): never => {
  throw apiError('NOT_SUPPORTED', 'this daemon runs no lab');
};
const NO_LAB: LabControl = { replayLog: noLab, whatIf: noLab };

/** The arrangement the host gives credit2 pools created without one (a what-if copy's is the live host's). */
function hostRunqueue(host: SimulatedHost): RunqueueArrangement {
  const shape = host.domctl({ op: 'topologyinfo' });
  return shape.ok ? shape.value.credit2_runqueue : 'socket';
}

export function createControl(options: ControlOptions): Control {
  const ctx: ControlContext = {
    host: options.host,
    clock: options.clock,
    state: new ConfigState(options.store),
    events: createEventBus(),
    pcpus: options.pcpus,
    credit2_runqueue: options.credit2_runqueue ?? hostRunqueue(options.host),
    endedGroupCpuNs: new Map(options.attach?.endedGroupCpuNs ?? []),
  };
  const restore = options.attach === undefined ? restoreHost(ctx) : { restored: [], failed: [], repaired: [] };
  const seed = options.seed ?? DEFAULT_SEED;
  const host = createHostControl(ctx, options.version, seed);
  const traces = createTraceControl(ctx);
  const { store } = options;
  return {
    domains: createDomainManager(ctx),
    cpupools: createCpupoolManager(ctx),
    schedulingDomains: createSchedulingDomainManager(ctx),
    host,
    events: ctx.events,
    usage: createUsageControl(ctx, options.timers ?? realTimers),
    lab: options.lab?.({
      host: ctx.host,
      clock: ctx.clock,
      domains: () => ctx.state.domains.values(),
      database: () => store.db.serialize(),
      endedGroupCpuNs: ctx.endedGroupCpuNs,
      pcpus: ctx.pcpus,
      seed,
      version: options.version,
      keepTrace: (trace, names) => traces.keep(trace, names),
    }) ?? NO_LAB,
    traces,
    state: ctx.state,
    versions: createVersions(ctx.state),
    idempotency: createIdempotency(store),
    restore,
    health() {
      const { fault } = store.health();
      return { status: fault === undefined ? 'ok' : 'degraded', now_ns: host.info().clock.now_ns, store: fault === undefined ? 'ok' : STORE_STATES[fault] };
    },
    store,
  };
}

export type { CpupoolManager, CpupoolView, CreateCpupoolSpec, PoolSchedulerSpec, PoolSchedulerView } from './cpupools.ts';
export type { DomainManager, DomainQuery, CreateDomainSpec, UpdateDomainSpec, PowerAction, SchedSpec } from './domain-manager.ts';
export { POWER_ACTIONS, NAME_PATTERN } from './domain-manager.ts';
export type { SchedulingDomainManager, CreateGroupSpec, MemberSpec } from './scheduling-domains.ts';
export type { HostControl, HostView, SchedulerView } from './host-control.ts';
export { domidsOf, type ControlEvent, type EventBus, type EventPayloads, type EventType } from './events.ts';
export { EVENT_TYPES } from './events.ts';
export type { DomainView, VcpuView, GroupView } from './views.ts';
export type { TraceControl, TraceStatusView } from './trace.ts';
export { IDEMPOTENCY_KEEP_MS, IDEMPOTENCY_MAX_KEYS, type Idempotency, type KeptAnswer } from './idempotency.ts';
export type { Page } from './pages.ts';
export type { CurrentVersion, ExpectedVersions, Versions } from './preconditions.ts';
export { VERSIONED_KINDS, type VersionedKind } from './versions.ts';
export { checkUsageInterval, type UsageControl, type UsageSample } from './usage.ts';
export type { LabControl, LabSource, ReplayLogView, SimulatedHost, SimulationClock, WhatIfChangeRequest, WhatIfComparisonView, WhatIfJob, WhatIfOutcome, WhatIfRunner, WhatIfSpec, WhatIfView } from './ports.ts';
export { checkTraceSize } from './trace.ts';
/** The replay log's bound (the lab refuses past it), for the API's documentation. */
export { REPLAY_LOG_MAX_ENTRIES } from '../hypervisor/index.ts';
/** The power states a domain's configuration can be in (for reports such as metrics). */
export { POWER_STATES, type PowerState } from '../store/index.ts';
