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

export interface EventBus {
  publish(type: EventType, at_ns: number, data: Readonly<Record<string, unknown>>): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  readonly listenerCount: number;
}

export function createEventBus(): EventBus {
  const listeners = new Set<EventListener>();
  let seq = 0;
  return {
    publish(type, at_ns, data) {
      seq += 1;
      const event: ControlEvent = { seq, type, at_ns, data };
      for (const listener of listeners) listener(event);
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
