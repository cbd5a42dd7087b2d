/**
 * The servers under test for bench/api.ts, in their own process so the load
 * generator does not share their event loop: a bare Fastify JSON route, and
 * nemesisd on its shipped defaults (info logging, real-time clock, 4 pCPUs)
 * with one running CPU-bound domain; and for listing, a daemon with 1000
 * running domains on a frozen clock (so their simulation costs nothing while
 * it is loaded). Prints one JSON line with the three URLs.
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

/** Domains on the listing daemon (the Xen API's 2x target is for 1000 VMs). */
const LIST_DOMAINS = 1000;
const listDir = mkdtempSync(join(tmpdir(), 'nemesis-bench-list-'));
const lister = await createDaemon({ db: join(listDir, 'nemesis.db'), pcpus: Number(DEFAULTS.NEMESIS_PCPUS), logLevel: DEFAULTS.LOG_LEVEL, speed: 0 });
for (let i = 1; i < LIST_DOMAINS; i++) {
  const reply = await lister.app.inject({ method: 'POST', url: '/api/v1/domains', payload: { name: `vm-${i}`, start: true } });
  if (reply.statusCode !== 201) throw new Error(`creating vm-${i}: ${reply.body}`);
}
const listUrl = await lister.app.listen({ port: 0, host: '127.0.0.1' });

process.stdout.write(`${JSON.stringify({ bareUrl, nemesisUrl, listUrl })}\n`);
process.once('SIGTERM', () => {
  void Promise.all([bare.close(), daemon.close(), lister.close()]).then(() => process.exit(0));
});
