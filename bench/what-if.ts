/**
 * How long a what-if takes to answer: a daemon (frozen clock, in-process,
 * through inject) with 64 pCPUs and 1024 CPU-bound 1-vCPU domains, run 10 s,
 * then POST /host/what-if for 10 s of simulated time with one change. The
 * first what-if starts the worker (thread start and module load); the next
 * ones reuse it (the second still warms the JIT up).
 *
 *   npm run bench:what-if
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDaemon } from '../src/daemon.ts';

const PCPUS = 64;
const DOMAINS = 1024;
const RUNS = 3;

const dir = mkdtempSync(join(tmpdir(), 'nemesis-bench-'));
const daemon = await createDaemon({ db: join(dir, 'nemesis.db'), pcpus: PCPUS, speed: 0, logLevel: 'silent' });
const request = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
  const response = await daemon.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
  return response.json();
};
try {
  for (let i = 0; i < DOMAINS; i++) await request('POST', '/api/v1/domains', { name: `d${i}`, start: true });
  await request('POST', '/api/v1/host/clock/advance', { ms: 10_000 });
  const body = { ms: 10_000, changes: [{ method: 'PUT', path: '/domains/d0/sched', body: { cap: 10 } }] };
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await request('POST', '/api/v1/host/what-if', body);
    times.push(performance.now() - start);
  }
  console.log(`host ${PCPUS} pCPUs x ${DOMAINS} domains, what-if of 10 s simulated (two copies: changed and baseline)`);
  console.log(`first (starts the worker)  ${times[0]!.toFixed(0)} ms`);
  console.log(`warm                       ${times.slice(1).map((t) => t.toFixed(0)).join(' ms, ')} ms`);
  console.log(`what-if-64x1024-10s warm=${Math.min(...times.slice(1)).toFixed(0)}ms first=${times[0]!.toFixed(0)}ms`);
} finally {
  await daemon.close();
  rmSync(dir, { recursive: true, force: true });
}
