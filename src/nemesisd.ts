/**
 * nemesisd: read the configuration, open and migrate the store, restore the
 * simulated host, start the real-time loop and listen. On SIGTERM/SIGINT:
 * stop the clock, stop accepting, finish in-flight requests, close the
 * database, exit 0.
 */
import closeWithGrace from 'close-with-grace';
import { applyFlags, ConfigError, loadConfig, USAGE, type Config } from './config.ts';
import { createDaemon } from './daemon.ts';

/** How long in-flight requests get to finish before the process is ended anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function configOrExit(): Config {
  try {
    const { env, help } = applyFlags(process.argv.slice(2), process.env);
    if (help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`nemesisd: ${error.message}\n`);
    process.exit(2);
  }
}

const config = configOrExit();
const daemon = await createDaemon({
  db: config.db,
  pcpus: config.pcpus,
  token: config.token,
  logLevel: config.logLevel,
  bindHost: config.host,
  allowedHosts: config.allowedHosts,
  metricsPublic: config.metricsPublic,
  rateLimitPerMinute: config.rateLimitPerMinute,
  streamLimits: { total: config.maxStreams, perClient: config.maxStreamsPerClient },
  maxEventLoopDelay_ms: config.maxEventLoopDelay_ms,
});
const log = daemon.app.log;
for (const failure of daemon.control.restore.failed) {
  log.warn({ domid: failure.domid, reason: failure.reason }, 'could not restore a domain; it is halted now');
}
closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: { error: (message: unknown) => log.error(message) } }, async ({ signal, err }) => {
  if (err !== undefined) log.error({ err }, 'closing after an error');
  else log.info({ signal }, 'shutting down');
  await daemon.close();
});
daemon.loop.start();
await daemon.app.listen({ port: config.port, host: config.host });
log.info(
  { db: config.db, pcpus: config.pcpus, auth: config.token === undefined ? 'off' : 'bearer', restored: daemon.control.restore.restored.length },
  'nemesisd ready',
);
