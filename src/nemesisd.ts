/**
 * nemesisd: read the configuration, open and migrate the store, restore the
 * simulated host, start the real-time loop and listen. On SIGTERM/SIGINT:
 * stop the clock, stop accepting, finish in-flight requests, close the
 * database, exit 0. A database or port it cannot use stops it at start with
 * one line naming the problem, exit 2.
 */
import closeWithGrace from 'close-with-grace';
import { applyFlags, ConfigError, loadConfig, loadHostShape, loadRunConfig, USAGE, type Config, type HostShape, type RunConfig } from './config.ts';
import { createDaemon } from './daemon.ts';
import { PACKAGE_VERSION } from './vocabulary/version.ts';
import { StoreError } from './store/index.ts';

/** How long in-flight requests get to finish before the process is ended anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

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

/** A start-up failure is one line for people (the database errors name their file), and exit 2 like a bad configuration. */
function exitAtStart(what: string, error: unknown): never {
  const message = error instanceof StoreError ? error.message : `${what}: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`nemesisd: ${message.replaceAll('\n', ' ')}\n`);
  process.exit(2);
}

const config = configOrExit();
const daemon = await createDaemon({
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
closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: { error: (message: unknown) => log.error(message) } }, async ({ signal, err }) => {
  if (err !== undefined) log.error({ err }, 'closing after an error');
  else log.info({ signal }, 'shutting down');
  await daemon.close();
});
daemon.loop.start();
await daemon.app.listen({ port: config.port, host: config.host }).catch(async (error: unknown) => {
  await daemon.close();
  exitAtStart(`cannot listen on ${config.host} port ${config.port}`, error);
});
log.info(
  { db: config.db, pcpus: config.pcpus, sched: config.shape.sched, seed: config.seed, speed: daemon.loop.status().speed, auth: config.token === undefined ? 'off' : 'bearer', restored: daemon.control.restore.restored.length },
  'nemesisd ready',
);
