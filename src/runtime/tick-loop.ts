/**
 * The real-time driver. The simulated clock runs at `speed` × the monotonic
 * clock (0 = frozen, 1 = real time, up to 1000); every tick the host is
 * advanced to "now". Ticks are scheduled against fixed deadlines from the
 * start, not from the last fire, so timer jitter never accumulates (plain
 * setInterval drifts ~2% here); and since the target time is computed from
 * the clock, a late tick just advances further. After a stall the catch-up of
 * one step is bounded, and the simulated time given up is counted as skipped.
 *
 * Each wake-up costs the process about as much as the simulation's work for a
 * small host, so the loop ticks no more often than it needs to: every read
 * advances the host to "now" first (`sync`), so a longer period leaves nothing
 * observable stale. It ticks once per 100 ms of simulated time, every 10 to
 * 100 ms of real time (`periodAt`), and not at all while the clock is frozen.
 */
import { monotonicClock, realTimers, type MonotonicClock, type Timers } from './clock.ts';
import { BucketCounts, type HistogramSnapshot } from './histogram.ts';
import { MAX_ADVANCE_MS, MAX_SPEED } from '../vocabulary/clock.ts';
import { NS_PER_MS } from '../vocabulary/units.ts';

/** A lateness as the API shows it: whole microseconds, not the timer's float noise. */
const toMicrosecond = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The shortest tick period, reached at speed 10 and above: a tick then advances 10 ms × speed. */
const MIN_PERIOD_MS = 10;
/** The longest, at speed 1 and below: slower clocks wake the process no less often, so stalls still show. */
const MAX_PERIOD_MS = 100;
/** Simulated time a tick advances between the two (speed 1 to 10). */
const SIM_MS_PER_TICK = 100;
/** A tick this late is a stall worth a warning (the event loop was blocked for at least this long). */
export const DEFAULT_STALL_WARN_MS = 100;
/** A step may always catch up this much simulated time … */
export const DEFAULT_MIN_CATCHUP_MS = 1000;
/** … or this many tick periods at the current speed, whichever is more. */
export const CATCHUP_PERIODS = 10;
/** An advance computes in chunks of about this much real time, starting from this much simulated time. */
const CHUNK_WALL_MS = 20;
const FIRST_CHUNK_MS = 100;

/** Tick lateness buckets, seconds: from timer jitter (about 1 ms) to stalls. */
const LATENESS_BOUNDS_S = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface AdvanceableHost {
  readonly now_ns: number;
  advanceTo(t_ns: number): void;
}

export interface ClockStatus {
  readonly now_ns: number;
  readonly speed: number;
  /** Simulated time given up after stalls, in total. */
  readonly skipped_ns: number;
  /** Simulated time moves by itself: the loop runs at a speed above 0. */
  readonly running: boolean;
  /** The real-time loop's own figures (not the scheduler's ticks). */
  readonly loop: LoopStatus;
}

export interface LoopStatus {
  /** Its timer is armed: it runs at a speed above 0 (a frozen clock has nothing to tick). */
  readonly running: boolean;
  /** How often it ticks at the current speed, ms of real time (0 while not armed). */
  readonly period_ms: number;
  readonly ticks: number;
  /** Deadlines passed before the loop got to run them (folded into later ticks). */
  readonly late_ticks: number;
  /** How late the last tick fired, and the worst so far (a long advance holds the loop up). */
  readonly last_late_ms: number;
  readonly max_late_ms: number;
}

export interface TickLoopOptions {
  readonly host: AdvanceableHost;
  readonly clock?: MonotonicClock;
  readonly timers?: Timers;
  /** A fixed period at every speed (default: `periodAt(speed)`). */
  readonly period_ms?: number;
  readonly min_catchup_ms?: number;
  readonly speed?: number;
  /** Called with how late a tick fired, when that is at least `stall_warn_ms` (default 100 ms), and the period it ticks at. */
  readonly onStall?: (late_ms: number, period_ms: number) => void;
  readonly stall_warn_ms?: number;
}

export interface TickLoop {
  start(): void;
  /** Stop ticking, and end any advance in progress where it has got to. */
  stop(): void;
  /** Advance the host to the current simulated time. */
  sync(): void;
  /**
   * Run the tick now if its deadline has passed. Node runs timers only
   * between batches of I/O, so on a busy event loop a due tick waits behind
   * every request already received; called at the start of each request, it
   * runs at the first point after its deadline instead (as a timer interrupt
   * would preempt, between two requests).
   */
  tickIfDue(): void;
  setSpeed(speed: number): void;
  /** Run the simulation `ms` of simulated time forward, now (after any advance already running). */
  advance(ms: number): Promise<void>;
  /** The same in whole nanoseconds, so any instant is reachable. */
  advanceNs(ns: number): Promise<void>;
  status(): ClockStatus;
  /** How late each tick fired, seconds. */
  lateness(): HistogramSnapshot;
}

export function checkSpeed(speed: number): void {
  if (!Number.isFinite(speed) || speed < 0 || speed > MAX_SPEED) {
    throw new RangeError(`speed must be in 0..${MAX_SPEED}, got ${speed}`);
  }
}

/** The tick period at `speed` (above 0): 100 ms of simulated time a tick, kept within 10..100 ms of real time. */
export function periodAt(speed: number): number {
  return Math.min(MAX_PERIOD_MS, Math.max(MIN_PERIOD_MS, Math.round(SIM_MS_PER_TICK / speed)));
}

export function createTickLoop(options: TickLoopOptions): TickLoop {
  const { host } = options;
  const clock = options.clock ?? monotonicClock;
  const timers = options.timers ?? realTimers;
  const periodFor = (at_speed: number): number => options.period_ms ?? periodAt(at_speed);
  const min_catchup_ns = (options.min_catchup_ms ?? DEFAULT_MIN_CATCHUP_MS) * NS_PER_MS;
  const stall_warn_ms = options.stall_warn_ms ?? DEFAULT_STALL_WARN_MS;
  let speed = options.speed ?? 1;
  checkSpeed(speed);

  // Simulated time is base_sim_ns + (now_ms − base_real_ms) × speed: rebased on every change.
  let base_real_ms = clock.now_ms();
  let base_sim_ns = host.now_ns;
  let skipped_ns = 0;
  let last_late_ms = 0;
  let max_late_ms = 0;
  let ticks = 0;
  let late_ticks = 0;
  const lateness = new BucketCounts(LATENESS_BOUNDS_S);
  let started = false;
  let timer: unknown = null;
  // The armed timer's grid: deadlines at start_ms + k × period_ms.
  let period_ms = 0;
  let start_ms = 0;
  let deadline_index = 0;

  let advancing: Promise<void> = Promise.resolve();
  let stopped = false;
  let chunk_ns = FIRST_CHUNK_MS * NS_PER_MS;

  /**
   * Run `ms` of simulated time in chunks of about CHUNK_WALL_MS of computing
   * each, giving the event loop a turn between them: a long advance on a big
   * host neither blocks other requests nor a shutdown (which ends it early).
   */
  const advanceInChunks = async (ns: number): Promise<void> => {
    sync();
    const to_ns = Math.floor(base_sim_ns + (clock.now_ms() - base_real_ms) * speed * NS_PER_MS) + ns;
    while (host.now_ns < to_ns && !stopped) {
      const started_ms = clock.now_ms();
      host.advanceTo(Math.min(to_ns, host.now_ns + chunk_ns));
      const took_ms = clock.now_ms() - started_ms;
      if (took_ms < CHUNK_WALL_MS / 2) chunk_ns = Math.min(chunk_ns * 2, MAX_ADVANCE_MS * NS_PER_MS);
      else if (took_ms > CHUNK_WALL_MS * 2) chunk_ns = Math.max(chunk_ns / 2, NS_PER_MS);
      // The real time spent computing was asked for, not a stall to catch up on.
      rebase(clock.now_ms(), host.now_ns);
      if (host.now_ns < to_ns) await nextTurn();
    }
  };

  const rebase = (real_ms: number, sim_ns: number): void => {
    base_real_ms = real_ms;
    base_sim_ns = sim_ns;
  };

  const sync = (): void => {
    const now_ms = clock.now_ms();
    let target_ns = base_sim_ns + (now_ms - base_real_ms) * speed * NS_PER_MS;
    const bound_ns = Math.max(min_catchup_ns, CATCHUP_PERIODS * periodFor(speed) * speed * NS_PER_MS);
    if (target_ns - host.now_ns > bound_ns) {
      skipped_ns += target_ns - host.now_ns - bound_ns;
      target_ns = host.now_ns + bound_ns;
      rebase(now_ms, target_ns);
    }
    const t_ns = Math.floor(target_ns);
    if (t_ns > host.now_ns) host.advanceTo(t_ns);
  };

  const tick = (): void => {
    const now_ms = clock.now_ms();
    const deadline_ms = start_ms + deadline_index * period_ms;
    last_late_ms = Math.max(0, now_ms - deadline_ms);
    max_late_ms = Math.max(max_late_ms, last_late_ms);
    lateness.observe(last_late_ms / 1000);
    ticks += 1;
    if (last_late_ms >= stall_warn_ms) options.onStall?.(last_late_ms, period_ms);
    sync();
    // Next deadline on the fixed grid from the start; any passed meanwhile are folded in. Strictly
    // after this one: timers fire up to a millisecond early by the monotonic clock (libuv counts whole
    // ms), and re-arming for the deadline just handled fired every tick twice.
    const next_index = Math.max(deadline_index + 1, Math.floor((clock.now_ms() - start_ms) / period_ms) + 1);
    late_ticks += next_index - deadline_index - 1;
    deadline_index = next_index;
    timer = timers.setTimeout(tick, Math.max(0, start_ms + next_index * period_ms - clock.now_ms()));
  };

  const disarm = (): void => {
    if (timer === null) return;
    timers.clearTimeout(timer);
    timer = null;
    period_ms = 0;
  };

  /** A new grid from now at the current speed's period; none while frozen. */
  const arm = (): void => {
    disarm();
    if (speed === 0) return;
    period_ms = periodFor(speed);
    start_ms = clock.now_ms();
    deadline_index = 1;
    timer = timers.setTimeout(tick, period_ms);
  };

  return {
    start() {
      stopped = false;
      if (started) return;
      started = true;
      rebase(clock.now_ms(), host.now_ns);
      arm();
    },
    stop() {
      stopped = true;
      started = false;
      disarm();
    },
    sync,
    tickIfDue() {
      if (timer === null || clock.now_ms() < start_ms + deadline_index * period_ms) return;
      timers.clearTimeout(timer);
      tick();
    },
    setSpeed(next) {
      checkSpeed(next);
      sync();
      const now_ms = clock.now_ms();
      rebase(now_ms, base_sim_ns + (now_ms - base_real_ms) * speed * NS_PER_MS);
      speed = next;
      if (started && (timer === null || next === 0 || periodFor(next) !== period_ms)) arm();
    },
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0 || ms > MAX_ADVANCE_MS) {
        throw new RangeError(`ms must be in 0..${MAX_ADVANCE_MS}, got ${ms}`);
      }
      return this.advanceNs(Math.round(ms * NS_PER_MS));
    },
    advanceNs(ns) {
      if (!Number.isInteger(ns) || ns < 0 || ns > MAX_ADVANCE_MS * NS_PER_MS) {
        throw new RangeError(`ns must be an integer in 0..${MAX_ADVANCE_MS * NS_PER_MS}, got ${ns}`);
      }
      // One advance after another, so two of them add up; each yields between its chunks.
      const run = advancing.then(() => advanceInChunks(ns));
      advancing = run.catch(() => undefined);
      return run;
    },
    lateness: () => lateness.snapshot(),
    status() {
      return {
        now_ns: host.now_ns,
        speed,
        skipped_ns: Math.round(skipped_ns),
        running: timer !== null,
        loop: { running: timer !== null, period_ms, ticks, late_ticks, last_late_ms: toMicrosecond(last_late_ms), max_late_ms: toMicrosecond(max_late_ms) },
      };
    },
  };
}
