/**
 * The servers under test for bench/api.ts, in their own process so the load
 * generator does not share their event loop: a bare Fastify JSON route, and
 * nemesisd on its shipped defaults (info logging, real-time clock, 4 pCPUs)
 * with one running CPU-bound domain. Prints one JSON line with both URLs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { LogController } from 'fastify';
import { DEFAULTS } from '../src/config.ts';
import { createDaemon } from '../src/daemon.ts';

const dir = mkdtempSync(join(tmpdir(), 'nemesis-bench-'));
const daemon = await createDaemon({ db: join(dir, 'nemesis.db'), pcpus: Number(DEFAULTS.NEMESIS_PCPUS), logLevel: DEFAULTS.LOG_LEVEL });
const created = await daemon.app.inject({ method: 'POST', url: '/api/v1/domains', payload: { name: 'bench', start: true } });
const domain: unknown = created.json();
daemon.loop.start();
const nemesisUrl = await daemon.app.listen({ port: 0, host: '127.0.0.1' });

// The ceiling: the same JSON document from a route with no schema, no store, no simulation,
// and like nemesisd no per-request log lines (otherwise the baseline, not nemesisd, would pay for them).
const bare = Fastify({ logger: { level: DEFAULTS.LOG_LEVEL }, logController: new LogController({ disableRequestLogging: true }) });
bare.get('/bare', async () => domain);
const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

process.stdout.write(`${JSON.stringify({ bareUrl, nemesisUrl })}\n`);
process.once('SIGTERM', () => {
  void Promise.all([bare.close(), daemon.close()]).then(() => process.exit(0));
});
