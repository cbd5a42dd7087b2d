/**
 * The control layer's internal events: lifecycle, parameter and membership
 * changes, published after the change is on disk. `/events` streams them.
 */
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
  /** Counts up from 1 in this daemon's life (the SSE `id`). */
  readonly seq: number;
  readonly type: EventType;
  /** Simulated time of the change. */
  readonly at_ns: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export type EventListener = (event: ControlEvent) => void;

/** Recent events kept for clients that reconnect (SSE's Last-Event-ID). */
export const EVENT_HISTORY = 1024;

export interface EventBus {
  publish(type: EventType, at_ns: number, data: Readonly<Record<string, unknown>>): void;
  /** The kept events after `seq`, oldest first. */
  since(seq: number): readonly ControlEvent[];
  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  readonly listenerCount: number;
}

export function createEventBus(): EventBus {
  const listeners = new Set<EventListener>();
  const history: ControlEvent[] = [];
  let seq = 0;
  return {
    publish(type, at_ns, data) {
      seq += 1;
      const event: ControlEvent = { seq, type, at_ns, data };
      history.push(event);
      if (history.length > EVENT_HISTORY) history.shift();
      for (const listener of listeners) listener(event);
    },
    since(after) {
      return history.filter((event) => event.seq > after);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    get listenerCount() {
      return listeners.size;
    },
  };
}
