/**
 * How long one Prometheus scrape (GET /metrics) holds the daemon on a large
 * host: a daemon (frozen clock, in-process, through inject) with P pCPUs and
 * N CPU-bound 1-vCPU domains, run 2 s, then scraped R times. Every per-domain
 * series is read at each scrape (CPU time, runstates, observed and expected
 * shares), so the cost grows with the number of domains.
 *
 *   npm run bench:metrics -- [64x10000] [--rounds R]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDaemon } from '../src/daemon.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '7' } } });
const [pcpus = 64, domains = 10_000] = (positionals[0] ?? '64x10000').split('x').map(Number);
const rounds = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), 'nemesis-bench-'));
const daemon = await createDaemon({ db: join(dir, 'nemesis.db'), pcpus, speed: 0, logLevel: 'silent' });
try {
  for (let i = 0; i < domains; i++) daemon.control.domains.create({ name: `d${i}`, start: true, workload: { type: 'cpu' } });
  await daemon.app.inject({ method: 'POST', url: '/api/v1/host/clock/advance', payload: { ms: 2_000 } });
  const times: number[] = [];
  let bytes = 0;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    const response = await daemon.app.inject({ method: 'GET', url: '/metrics' });
    times.push(performance.now() - start);
    if (response.statusCode !== 200) throw new Error(`GET /metrics: ${response.statusCode}`);
    bytes = response.body.length;
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`host ${pcpus} pCPUs x ${domains} domains, ${rounds} scrapes: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
  console.log(`metrics-scrape ${pcpus}x${domains} median_ms=${sorted[Math.floor(rounds / 2)]!.toFixed(0)} min_ms=${sorted[0]!.toFixed(0)} bytes=${bytes}`);
} finally {
  await daemon.close();
  rmSync(dir, { recursive: true, force: true });
}
