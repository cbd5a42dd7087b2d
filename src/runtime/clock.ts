/**
 * Time as something the runtime is given: a monotonic clock and a timer, with
 * real implementations here and fakes in the tests. Wall-clock time (Date)
 * would jump with NTP; the monotonic one never goes backwards.
 */
export interface MonotonicClock {
  /** Milliseconds since an arbitrary origin, never decreasing. */
  now_ms(): number;
}

export interface Timers {
  setTimeout(callback: () => void, delay_ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const monotonicClock: MonotonicClock = { now_ms: () => performance.now() };

export const realTimers: Timers = {
  setTimeout: (callback, delay_ms) => setTimeout(callback, delay_ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
