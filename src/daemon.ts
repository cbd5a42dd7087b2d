/**
 * Composition: the store, the simulated host, the real-time loop, the control
 * layer and the HTTP app, wired together but not listening. `nemesisd.ts` adds
 * the environment, the port and signal handling; tests use this directly.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { app, serverOptions } from './app.ts';
import { listenLocal, type LocalListener } from './http/local-socket.ts';
import { createStreamHub, type StreamHub } from './http/sse.ts';
import { createControl, type Control } from './control/index.ts';
import { DEFAULT_SEED, Host, type credit2, type SchedName, type Topology } from './hypervisor/index.ts';
import type { MonotonicClock, Timers } from './runtime/clock.ts';
import type { EventLoopMonitor } from './runtime/event-loop-delay.ts';
import { createTickLoop, type TickLoop } from './runtime/tick-loop.ts';
import { createStore, type Store } from './store/index.ts';
import { createLabControl } from './lab/lab-control.ts';
import { createWhatIfWorker } from './lab/what-if-worker.ts';
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from './vocabulary/streams.ts';
import { PACKAGE_VERSION } from './vocabulary/version.ts';

/** A late tick, said so that a newcomer knows what it means and when to care. */
export const stallMessage = (late_ms: number, period_ms: number): string =>
  `real-time loop held up: a ${period_ms} ms tick ran ${Math.round(late_ms)} ms late, as the process did not get the CPU ` +
  '(a busy machine, a long request, a garbage collection); simulated time catches up, so this matters only if it repeats ' +
  'on a machine with CPU to spare (nemesis_tick_lateness_seconds in /metrics)';

export interface DaemonOptions {
  readonly db: string;
  readonly pcpus: number;
  /** sockets × cores × threads making `pcpus` (default one socket of single-thread cores). */
  readonly topology?: Topology;
  /** Pool-0's scheduler (default credit). */
  readonly sched?: SchedName;
  /** credit2's runqueue arrangement, for every credit2 pool (default socket). */
  readonly credit2_runqueue?: credit2.RunqueueArrangement;
  readonly token?: string | undefined;
  readonly logLevel?: string;
  /** Where log lines go (default stdout). */
  readonly logStream?: NodeJS.WritableStream;
  /** /metrics without the token (NEMESIS_METRICS_PUBLIC). */
  readonly metricsPublic?: boolean;
  /** The listen address (HOST) and NEMESIS_ALLOWED_HOSTS, for the Host header check. */
  readonly bindHost?: string;
  readonly allowedHosts?: readonly string[];
  readonly streamLimits?: Partial<StreamLimits>;
  /** Changes per minute per client address; 0 = no limit (default 0: the daemon's configuration sets one). */
  readonly rateLimitPerMinute?: number;
  /** 503 while the event loop lags more than this; 0 = never (the default here; the daemon's configuration sets one). */
  readonly maxEventLoopDelay_ms?: number;
  readonly maxHeapUsedBytes?: number;
  /** Clock speed at start (default: as last set through the API, 1 = real time on a new database); not stored. */
  readonly speed?: number;
  readonly seed?: number;
  readonly clock?: MonotonicClock;
  readonly timers?: Timers;
  /** The event-loop delay monitor (default: a real one; tests give a fake). */
  readonly eventLoop?: EventLoopMonitor;
}

export interface Daemon {
  readonly app: FastifyInstance;
  readonly loop: TickLoop;
  readonly store: Store;
  readonly control: Control;
  readonly streams: StreamHub;
  /** Serve on a Unix domain socket too (mode 0660, no token asked); throws LocalSocketError naming the problem. */
  listenLocal(path: string): Promise<void>;
  /** Stop the clock (an advance in flight ends where it got to), stop accepting, finish in-flight requests, close the database. */
  close(): Promise<void>;
}

export async function createDaemon(options: DaemonOptions): Promise<Daemon> {
  const store = createStore(options.db);
  try {
    const seed = options.seed ?? DEFAULT_SEED;
    const credit2_runqueue = options.credit2_runqueue ?? 'socket';
    const host = new Host({
      pcpus: options.pcpus,
      seed,
      ...(options.topology === undefined ? {} : { topology: options.topology }),
      ...(options.sched === undefined ? {} : { sched: options.sched }),
      ...(options.sched === 'credit2' ? { credit2_runqueue } : {}),
    });
    let log: FastifyBaseLogger | null = null;
    const loop = createTickLoop({
      host,
      speed: options.speed ?? store.host.clockSpeed(),
      onStall: (late_ms, period_ms) => log?.warn({ late_ms: Math.round(late_ms), period_ms }, stallMessage(late_ms, period_ms)),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.timers === undefined ? {} : { timers: options.timers }),
    });
    const whatIf = createWhatIfWorker();
    const control = createControl({
      host,
      clock: loop,
      store,
      lab: (source) => createLabControl(source, whatIf),
      pcpus: options.pcpus,
      credit2_runqueue,
      version: PACKAGE_VERSION,
      seed,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
    });
    const instance = Fastify(serverOptions(options.logLevel ?? 'info', options.logStream));
    log = instance.log;
    const streams = createStreamHub({ ...DEFAULT_STREAM_LIMITS, ...options.streamLimits });
    // Each request starts by running a tick that is due: a busy event loop would hold its timer back.
    instance.addHook('onRequest', (_request, _reply, done) => {
      loop.tickIfDue();
      done();
    });
    await instance.register(app, {
      control,
      version: PACKAGE_VERSION,
      token: options.token,
      streams,
      metricsPublic: options.metricsPublic,
      bindHost: options.bindHost,
      allowedHosts: options.allowedHosts,
      rateLimitPerMinute: options.rateLimitPerMinute,
      maxEventLoopDelay_ms: options.maxEventLoopDelay_ms,
      maxHeapUsedBytes: options.maxHeapUsedBytes,
      eventLoop: options.eventLoop,
    });
    await instance.ready();
    let closed = false;
    const locals: LocalListener[] = [];
    return {
      app: instance,
      loop,
      store,
      control,
      streams,
      async listenLocal(path) {
        locals.push(await listenLocal(instance, path));
      },
      async close() {
        if (closed) return;
        closed = true;
        loop.stop();
        // The local socket stops accepting with TCP; its open connections end once the app has finished (streams included).
        const localsClosed = locals.map((local) => local.close());
        await instance.close();
        await Promise.all(locals.map((local) => local.close(true)));
        await Promise.all(localsClosed);
        await whatIf.close();
        store.close();
      },
    };
  } catch (error) {
    store.close();
    throw error;
  }
}
