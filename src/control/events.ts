/**
 * The control layer's internal events: lifecycle, parameter and membership
 * changes, published after the change is on disk. `/events` streams them.
 */
import { randomBytes } from 'node:crypto';

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
  'scheduler.updated',
  'clock.updated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface ControlEvent {
  /** Counts up from 1 in this daemon's life. */
  readonly seq: number;
  /** `<boot>-<seq>`: unique across restarts (the SSE `id`). */
  readonly id: string;
  readonly type: EventType;
  /** Simulated time of the change. */
  readonly at_ns: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export type EventListener = (event: ControlEvent) => void;

/** Recent events kept for clients that reconnect (SSE's Last-Event-ID). */
export const EVENT_HISTORY = 1024;

/** What a Last-Event-ID looks like: `<boot>-<seq>` (a bare number is from a daemon before boot ids, so from another boot). */
export const EVENT_ID_PATTERN = '^(?:[0-9a-f]{1,16}-)?[0-9]{1,15}$';

/** Why a reconnecting client cannot be given exactly what it missed (XenAPI's EVENTS_LOST). */
export type LostReason = 'other-boot' | 'too-old';

/** The kept events after a client's last id, or why they cannot be known. */
export type Since = { readonly lost: false; readonly events: readonly ControlEvent[] } | { readonly lost: true; readonly reason: LostReason };

export interface EventBus {
  /** This daemon life's id, the prefix of every event id. */
  readonly boot: string;
  publish(type: EventType, at_ns: number, data: Readonly<Record<string, unknown>>): void;
  /** The kept events after `lastId` (an id this bus or an earlier daemon gave), oldest first. */
  since(lastId: string): Since;
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
      const event: ControlEvent = { seq, id: `${boot}-${seq}`, type, at_ns, data };
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
function domidsOf(event: ControlEvent): number[] {
  const { domain, master, member, members } = event.data;
  const ids = [domain, master, member, ...(Array.isArray(members) ? members : [])];
  return ids.filter((id): id is number => typeof id === 'number');
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
