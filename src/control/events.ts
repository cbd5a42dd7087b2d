/**
 * The control layer's internal events: lifecycle, parameter and membership
 * changes, published after the change is on disk. `/events` streams them.
 */
import { randomBytes } from 'node:crypto';
import type { Affinity, GlobalSchedParams, SchedName, SchedParams } from '../hypervisor/index.ts';
import type { PowerState } from '../store/index.ts';
import { keysetPage, type Page } from './pages.ts';

export const EVENT_TYPES = [
  'domain.created',
  'domain.updated',
  'domain.deleted',
  'domain.started',
  'domain.paused',
  'domain.unpaused',
  'domain.shutdown',
  'domain.destroyed',
  'domain.sched',
  'domain.vcpus',
  'domain.affinity',
  'scheduling-domain.created',
  'scheduling-domain.deleted',
  'scheduling-domain.member-added',
  'scheduling-domain.member-removed',
  'scheduling-domain.share-changed',
  'domain.cpupool',
  'scheduler.updated',
  'cpupool.created',
  'cpupool.destroyed',
  'cpupool.pcpu-added',
  'cpupool.pcpu-removed',
  'cpupool.scheduler',
  'clock.updated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The domain a `domain.*` event is about. */
interface AboutDomain {
  readonly domain: number;
  readonly name: string;
  /** The domain's version after the change (the ETag of its GET); none once deleted. */
  readonly version?: number;
}

/** A scheduling domain's version after the change (the ETag of its GET). */
interface GroupVersion {
  readonly version: number;
}

/** The pool a `cpupool.*` event is about, with its pCPUs after the change. */
interface AboutPool {
  readonly cpupool: number;
  readonly name: string;
  readonly pcpus: readonly number[];
  /** The pool's version after the change (the ETag of its GET); none once destroyed. */
  readonly version?: number;
}

/** Each event type's details (its JSON is the `data` of the event stream, with `at_ns`). */
export interface EventPayloads {
  'domain.created': AboutDomain;
  /** `changed`: the fields a client changed; `repaired`: what the daemon changed at start to fit the host. */
  'domain.updated': AboutDomain & ({ readonly changed: readonly string[] } | { readonly repaired: string });
  'domain.deleted': AboutDomain;
  /** No `state` when a domain is started as it is created. */
  'domain.started': AboutDomain & { readonly state?: PowerState };
  'domain.paused': AboutDomain & { readonly state: PowerState };
  'domain.unpaused': AboutDomain & { readonly state: PowerState };
  'domain.shutdown': AboutDomain & { readonly state: PowerState };
  'domain.destroyed': AboutDomain & { readonly state: PowerState };
  'domain.sched': AboutDomain & { readonly weight: number; readonly cap: number };
  'domain.vcpus': AboutDomain & { readonly online: number };
  'domain.affinity': AboutDomain & { readonly vcpu: number; readonly pcpus: Affinity };
  'scheduling-domain.created': GroupVersion & { readonly master: number; readonly members: readonly number[] };
  'scheduling-domain.deleted': { readonly master: number };
  'scheduling-domain.member-added': GroupVersion & { readonly master: number; readonly member: number; readonly share: number };
  'scheduling-domain.member-removed': GroupVersion & { readonly master: number; readonly member: number };
  /** `domain`: the master or member whose share changed. */
  'scheduling-domain.share-changed': GroupVersion & { readonly master: number; readonly domain: number; readonly share: number };
  /** `cpupool`: the name of the pool it moved to. */
  'domain.cpupool': AboutDomain & { readonly cpupool: string };
  /** `version`: the scheduler's, after the change. */
  'scheduler.updated': GlobalSchedParams & { readonly version: number };
  'cpupool.created': AboutPool;
  'cpupool.destroyed': AboutPool;
  /** `pcpu`: the one added or removed; `pcpus`: the pool's after the change. */
  'cpupool.pcpu-added': AboutPool & { readonly pcpu: number };
  'cpupool.pcpu-removed': AboutPool & { readonly pcpu: number };
  'cpupool.scheduler': { readonly cpupool: number; readonly name: string; readonly sched: SchedName; readonly version: number } & SchedParams;
  'clock.updated': { readonly speed: number } | { readonly advanced_ms: number } | { readonly advanced_ns: number };
}

export type DomainEventType = Extract<EventType, `domain.${string}`>;
/** A `domain.*` event's details besides the domain's id and name (each alternative of a union kept apart). */
export type DomainEventDetails<T extends DomainEventType> = EventPayloads[T] extends infer P ? (P extends AboutDomain ? Omit<P, keyof AboutDomain> : never) : never;

/** One event: its `data` typed by its `type`. */
export type ControlEvent = {
  readonly [T in EventType]: {
    /** Counts up from 1 in this daemon's life. */
    readonly seq: number;
    /** `<boot>-<seq>`: unique across restarts (the SSE `id`). */
    readonly id: string;
    readonly type: T;
    /** Simulated time of the change. */
    readonly at_ns: number;
    readonly data: EventPayloads[T];
  };
}[EventType];

export type EventListener = (event: ControlEvent) => void;

/** Recent events kept for clients that reconnect (SSE's Last-Event-ID). */
export const EVENT_HISTORY = 1024;

/** What a Last-Event-ID looks like: `<boot>-<seq>` (a bare number is from a daemon before boot ids, so from another boot). */
export const EVENT_ID_PATTERN = '^(?:[0-9a-f]{1,16}-)?[0-9]{1,15}$';

/** Why a reconnecting client cannot be given exactly what it missed (XenAPI's EVENTS_LOST). */
export type LostReason = 'other-boot' | 'too-old';

/** The kept events after a client's last id, or why they cannot be known. */
export type Since = { readonly lost: false; readonly events: readonly ControlEvent[] } | { readonly lost: true; readonly reason: LostReason };

/** One page of the kept events (keyed by `seq`), or why the events after its cursor cannot be known. */
export type HistoryPage = { readonly lost: false; readonly page: Page<ControlEvent> } | { readonly lost: true; readonly reason: LostReason };

export interface EventBus {
  /** This daemon life's id, the prefix of every event id. */
  readonly boot: string;
  publish<T extends EventType>(type: T, at_ns: number, data: EventPayloads[T]): void;
  /** The kept events after `lastId` (an id this bus or an earlier daemon gave), oldest first. */
  since(lastId: string): Since;
  /**
   * The first `limit` kept events that `filter` keeps, after the event `afterId`
   * (from the oldest kept when undefined), oldest first. Lost, as `since`, when
   * some events after `afterId` are no longer kept: a walk never skips one silently.
   */
  page(afterId: string | undefined, filter: EventFilter, limit?: number): HistoryPage;
  /** The id of the latest event (`<boot>-0` before any). */
  readonly lastId: string;
  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Open subscriptions: the clients' event streams (what /metrics reports). */
  readonly listenerCount: number;
  /**
   * Every event, for another front door's own event log (the Xen API's):
   * part of the daemon, not a client's stream, so not in listenerCount.
   * Returns the function that stops it.
   */
  follow(listener: EventListener): () => void;
}

/** A new boot id: random, so two lives of the daemon (even in one millisecond) never share ids. */
const newBoot = (): string => randomBytes(4).toString('hex');

export function createEventBus(boot: string = newBoot()): EventBus {
  const listeners = new Set<EventListener>();
  const followers = new Set<EventListener>();
  const history: ControlEvent[] = [];
  let seq = 0;
  return {
    boot,
    publish(type, at_ns, data) {
      seq += 1;
      // TypeScript cannot tie `data` to `type` through the generic: the signature does.
      const event = { seq, id: `${boot}-${seq}`, type, at_ns, data } as ControlEvent;
      history.push(event);
      if (history.length > EVENT_HISTORY) history.shift();
      for (const follower of followers) follower(event);
      for (const listener of listeners) listener(event);
    },
    since(lastId) {
      const dash = lastId.lastIndexOf('-');
      const after = Number(lastId.slice(dash + 1));
      // A bare number, another boot's prefix or an id this boot never gave.
      if (dash === -1 || lastId.slice(0, dash) !== boot || after > seq) return { lost: true, reason: 'other-boot' };
      const oldest = history[0]?.seq ?? seq + 1;
      if (after < oldest - 1) return { lost: true, reason: 'too-old' };
      return { lost: false, events: history.filter((event) => event.seq > after) };
    },
    page(afterId, filter, limit) {
      const after = afterId === undefined ? { lost: false as const, events: history } : this.since(afterId);
      if (after.lost) return after;
      return { lost: false, page: keysetPage(after.events, (event) => event.seq, (event) => matchesFilter(event, filter), -1, limit) };
    },
    get lastId() {
      return `${boot}-${seq}`;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    get listenerCount() {
      return listeners.size;
    },
    follow(listener) {
      followers.add(listener);
      return () => void followers.delete(listener);
    },
  };
}

/** The domids an event is about (none for host-wide events). */
export function domidsOf(event: ControlEvent): number[] {
  switch (event.type) {
    case 'scheduler.updated':
    case 'clock.updated':
    case 'cpupool.created':
    case 'cpupool.destroyed':
    case 'cpupool.pcpu-added':
    case 'cpupool.pcpu-removed':
    case 'cpupool.scheduler':
      return [];
    case 'scheduling-domain.created':
      return [event.data.master, ...event.data.members];
    case 'scheduling-domain.deleted':
      return [event.data.master];
    case 'scheduling-domain.member-added':
    case 'scheduling-domain.member-removed':
      return [event.data.master, event.data.member];
    case 'scheduling-domain.share-changed':
      return [event.data.domain, event.data.master];
    default:
      return [event.data.domain];
  }
}

/**
 * `?types=domain.*,scheduler.updated`: each pattern is an event type or a
 * prefix followed by `*`. Returns the accepted types, or the first pattern
 * that names none.
 */
export function parseTypePatterns(list: string): { types: ReadonlySet<EventType> } | { bad: string } {
  const types = new Set<EventType>();
  for (const pattern of list.split(',').map((p) => p.trim())) {
    const matching = EVENT_TYPES.filter((type) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
    if (matching.length === 0) return { bad: pattern };
    for (const type of matching) types.add(type);
  }
  return { types };
}

export interface EventFilter {
  /** Only these types (all when absent). */
  readonly types?: ReadonlySet<EventType>;
  /** Only events about this domain: as the domain, a group's master or a member. */
  readonly domid?: number;
}

export function matchesFilter(event: ControlEvent, filter: EventFilter): boolean {
  if (filter.types !== undefined && !filter.types.has(event.type)) return false;
  return filter.domid === undefined || domidsOf(event).includes(filter.domid);
}
