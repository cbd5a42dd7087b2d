/**
 * `npm run bench:api`: throughput and latency of the control plane over
 * loopback, side by side with a bare Fastify JSON route, in one run.
 *   bare    GET /bare                        (the ceiling)
 *   get     GET /api/v1/domains/{ref}        (target: ≥ 0.8 × bare)
 *   put     PUT /api/v1/domains/{ref}/sched  (persisted, synchronous=FULL; target ≥ 1000 req/s, p99 ≤ 20 ms)
 * The last line is machine-readable:
 *   api-bench get_ratio=<r> put_rps=<n> put_p99_ms=<n>
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon, { type Result } from 'autocannon';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 8);
const WARMUP_S = 2;
const CONNECTIONS = 10;

interface Urls {
  readonly bareUrl: string;
  readonly nemesisUrl: string;
}

function startServers(): Promise<{ urls: Urls; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./api-server.ts', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench servers exited with ${code}`)));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('{"bareUrl"')) return;
      resolve({
        urls: JSON.parse(line) as Urls,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

async function load(options: autocannon.Options): Promise<Result> {
  await autocannon({ ...options, duration: WARMUP_S });
  const result = await autocannon({ ...options, duration: DURATION_S });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${options.title}: ${failed} failed requests`);
  return result;
}

const row = (name: string, result: Result): string =>
  `${name.padEnd(44)} ${result.requests.average.toFixed(0).padStart(8)} req/s   p50 ${String(result.latency.p50).padStart(3)} ms   p99 ${String(result.latency.p99).padStart(3)} ms`;

const { urls, stop } = await startServers();
try {
  const common = { connections: CONNECTIONS, pipelining: 1 };
  const bare = await load({ ...common, title: 'bare', url: `${urls.bareUrl}/bare` });
  const get = await load({ ...common, title: 'get', url: `${urls.nemesisUrl}/api/v1/domains/bench` });
  let weight = 0;
  const put = await load({
    ...common,
    title: 'put',
    url: `${urls.nemesisUrl}/api/v1/domains/bench/sched`,
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    // A different weight every request, so every one is a real, persisted change.
    requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ weight: (weight++ % 65535) + 1 }) }) }],
  });
  const ratio = get.requests.average / bare.requests.average;
  console.log(`loopback, ${CONNECTIONS} connections, ${DURATION_S} s each after ${WARMUP_S} s warm-up`);
  console.log(row('bare Fastify JSON route', bare));
  console.log(row('GET /api/v1/domains/{ref}', get));
  console.log(row('PUT /api/v1/domains/{ref}/sched (persisted)', put));
  console.log(`GET / bare ratio ${ratio.toFixed(3)} (target ≥ 0.8); PUT target ≥ 1000 req/s with p99 ≤ 20 ms`);
  console.log(`api-bench get_ratio=${ratio.toFixed(3)} put_rps=${put.requests.average.toFixed(0)} put_p99_ms=${put.latency.p99}`);
} finally {
  await stop();
}
