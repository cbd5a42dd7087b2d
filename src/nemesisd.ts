/**
 * nemesisd: read the configuration, open and migrate the store, restore the
 * simulated host, start the real-time loop and listen. On SIGTERM/SIGINT:
 * stop the clock, stop accepting, finish in-flight requests, close the
 * database, exit 0 (a second signal more than 3 s later exits at once, 1).
 * A database or port it cannot use (another daemon holds the database)
 * stops it at start with one line naming the problem, exit 2.
 */
import closeWithGrace from 'close-with-grace';
import { applyFlags, ConfigError, loadConfig, loadHostShape, loadRunConfig, USAGE, type Config, type HostShape, type RunConfig } from './config.ts';
import { createDaemon } from './daemon.ts';
import { PACKAGE_VERSION } from './vocabulary/version.ts';
import { LocalSocketError } from './http/local-socket.ts';
import { StoreError } from './store/index.ts';

/** How long in-flight requests get to finish before the process is ended anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

/** The signals that stop the daemon gracefully (close-with-grace handles the rest). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * A second stop signal this soon after the first is the same request: Ctrl-C
 * of `npm start` signals the terminal's whole process group, npm included,
 * and npm passes its own on to the daemon, so the daemon gets SIGINT twice.
 * One sent later means "now": the daemon exits without finishing the shutdown.
 */
const REPEATED_SIGNAL_MS = 3_000;

/** Every problem of every part of the configuration, in one message. */
function configOrExit(): Config & RunConfig & { readonly shape: HostShape } {
  try {
    const { env, help, version } = applyFlags(process.argv.slice(2), process.env);
    if (help || version) {
      process.stdout.write(help ? `${USAGE}\n` : `nemesisd ${PACKAGE_VERSION}\n`);
      process.exit(0);
    }
    const problems: string[] = [];
    const collect = <T>(load: () => T): T | undefined => {
      try {
        return load();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.problems);
        return undefined;
      }
    };
    const config = collect(() => loadConfig(env));
    const run = collect(() => loadRunConfig(env));
    const shape = collect(() => loadHostShape(env));
    if (config === undefined || run === undefined || shape === undefined) throw new ConfigError(problems);
    return { ...config, ...run, pcpus: shape.pcpus, shape };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`nemesisd: ${error.message}\n`);
    process.exit(2);
  }
}

/** A start-up failure is one line for people (the database and socket errors name their file), and exit 2 like a bad configuration. */
function exitAtStart(what: string, error: unknown): never {
  const message = error instanceof StoreError || error instanceof LocalSocketError ? error.message : `${what}: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`nemesisd: ${message.replaceAll('\n', ' ')}\n`);
  process.exit(2);
}

/**
 * Where log lines go: on a terminal, lines people read (pino-pretty, loaded
 * only then); JSON lines otherwise (a pipe, a file, journald) and in the image
 * (NODE_ENV=production), for log collectors.
 */
async function logStream(): Promise<NodeJS.WritableStream | undefined> {
  if (process.stdout.isTTY !== true || process.env['NODE_ENV'] === 'production') return undefined;
  const { default: pretty } = await import('pino-pretty');
  // sync: a line logged just before the process exits is still written.
  return pretty({ sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}

const config = configOrExit();
const logTo = await logStream();
const daemon = await createDaemon({
  ...(logTo === undefined ? {} : { logStream: logTo }),
  db: config.db,
  pcpus: config.pcpus,
  topology: config.shape.topology,
  sched: config.shape.sched,
  credit2_runqueue: config.shape.credit2_runqueue,
  token: config.token,
  logLevel: config.logLevel,
  bindHost: config.host,
  allowedHosts: config.allowedHosts,
  metricsPublic: config.metricsPublic,
  rateLimitPerMinute: config.rateLimitPerMinute,
  streamLimits: { total: config.maxStreams, perClient: config.maxStreamsPerClient },
  maxEventLoopDelay_ms: config.maxEventLoopDelay_ms,
  seed: config.seed,
  ...(config.clockSpeed === undefined ? {} : { speed: config.clockSpeed }),
}).catch((error: unknown) => exitAtStart(`cannot start on database ${config.db}`, error));
const log = daemon.app.log;
for (const { domid, name, changes } of daemon.control.restore.repaired) {
  log.warn({ domid, name, changes }, `repaired stored domain ${name}, which could not be created today: ${changes}`);
}
for (const failure of daemon.control.restore.failed) {
  log.warn({ domid: failure.domid, reason: failure.reason }, 'could not restore a domain; it is halted now');
}
const shutdown = closeWithGrace(
  { delay: SHUTDOWN_GRACE_MS, skip: [...STOP_SIGNALS], logger: { error: (message: unknown) => log.error(message) } },
  async ({ err }) => {
    if (err !== undefined) log.error({ err }, 'closing after an error');
    await daemon.close();
  },
);
let firstStopSignal_ms: number | undefined;
for (const name of STOP_SIGNALS) {
  process.on(name, (signal: NodeJS.Signals) => {
    const now_ms = performance.now();
    if (firstStopSignal_ms === undefined) {
      firstStopSignal_ms = now_ms;
      log.info({ signal }, 'shutting down');
      void shutdown.close();
    } else if (now_ms - firstStopSignal_ms < REPEATED_SIGNAL_MS) {
      log.info({ signal }, `already shutting down: a ${signal} within ${REPEATED_SIGNAL_MS / 1000} s of the first is taken as the same one`);
    } else {
      log.warn({ signal }, `second ${signal}: exiting at once, without waiting for the shutdown to finish`);
      process.exit(1);
    }
  });
}
daemon.loop.start();
await daemon.app.listen({ port: config.port, host: config.host }).catch(async (error: unknown) => {
  await daemon.close();
  exitAtStart(`cannot listen on ${config.host} port ${config.port}`, error);
});
if (config.socket !== undefined) {
  const socket = config.socket;
  await daemon.listenLocal(socket).catch(async (error: unknown) => {
    await daemon.close();
    exitAtStart(`cannot listen on socket ${socket}`, error);
  });
}
log.info(
  { db: config.db, socket: config.socket, pcpus: config.pcpus, sched: config.shape.sched, seed: config.seed, speed: daemon.loop.status().speed, auth: config.token === undefined ? 'off' : 'bearer', restored: daemon.control.restore.restored.length },
  'nemesisd ready',
);
