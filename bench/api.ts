/**
 * `npm run bench:api`: throughput and latency of the control plane over
 * loopback, side by side with a bare Fastify JSON route, in one run.
 *   bare    GET /bare                        (the ceiling)
 *   get     GET /api/v1/domains/{ref}        (target: ≥ 0.8 × bare)
 *   put     PUT /api/v1/domains/{ref}/sched  (persisted, synchronous=FULL; target ≥ 1000 req/s, p99 ≤ 20 ms)
 *   list    GET /api/v1/domains and the Xen API's VM.get_all_records over JSON-RPC,
 *           1000 domains (Domain-0 and 999 running), alternating (target: JSON-RPC within 2x)
 * The last line is machine-readable:
 *   api-bench get_ratio=<r> put_rps=<n> put_p99_ms=<n> rpc_list_ratio=<r>
 * (rpc_list_ratio: time per VM.get_all_records over time per GET /api/v1/domains.)
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon, { type Result } from 'autocannon';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 8);
const WARMUP_S = 2;
const CONNECTIONS = 10;
/** bare and GET alternate in rounds, so drift in the machine's load hits both alike. */
const ROUNDS = 4;

interface Urls {
  readonly bareUrl: string;
  readonly nemesisUrl: string;
  readonly listUrl: string;
}

function startServers(): Promise<{ urls: Urls; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [new URL('./api-server.ts', import.meta.url).pathname], {
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

async function load(options: autocannon.Options, duration_s: number): Promise<Result> {
  const result = await autocannon({ ...options, duration: duration_s });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${options.title}: ${failed} failed requests`);
  return result;
}

/** Requests per second over all rounds, and the worst round's p99. */
interface Totals {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

async function alternate(a: autocannon.Options, b: autocannon.Options): Promise<[Totals, Totals]> {
  await load(a, WARMUP_S);
  await load(b, WARMUP_S);
  const runs: [Result[], Result[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    runs[0].push(await load(a, DURATION_S / ROUNDS));
    runs[1].push(await load(b, DURATION_S / ROUNDS));
  }
  return [totals(runs[0]), totals(runs[1])];
}

function totals(results: readonly Result[]): Totals {
  const requests = results.reduce((n, r) => n + r.requests.total, 0);
  const seconds = results.reduce((n, r) => n + r.duration, 0);
  return {
    rps: requests / seconds,
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
  };
}

const row = (name: string, t: Totals): string =>
  `${name.padEnd(44)} ${t.rps.toFixed(0).padStart(8)} req/s   p50 ${String(t.p50).padStart(3)} ms   p99 ${String(t.p99).padStart(3)} ms`;

/** VM.get_all_records over JSON-RPC, in a session opened first (as any XenAPI client does). */
async function rpcListOptions(common: { connections: number; pipelining: number }): Promise<autocannon.Options> {
  const url = `${urls.listUrl}/jsonrpc`;
  const rpc = (method: string, params: unknown[]): string => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const headers = { 'content-type': 'application/json' };
  const login = (await (await fetch(url, { method: 'POST', headers, body: rpc('session.login_with_password', ['bench', '']) })).json()) as { result: string };
  return { ...common, title: 'rpc-list', url, method: 'POST', headers, body: rpc('VM.get_all_records', [login.result]) };
}

const { urls, stop } = await startServers();
try {
  const common = { connections: CONNECTIONS, pipelining: 1 };
  const [bare, get] = await alternate(
    { ...common, title: 'bare', url: `${urls.bareUrl}/bare` },
    { ...common, title: 'get', url: `${urls.nemesisUrl}/api/v1/domains/bench` },
  );
  let weight = 0;
  const putOptions: autocannon.Options = {
    ...common,
    title: 'put',
    url: `${urls.nemesisUrl}/api/v1/domains/bench/sched`,
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    // A different weight every request, so every one is a real, persisted change.
    requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ weight: (weight++ % 65535) + 1 }) }) }],
  };
  await load(putOptions, WARMUP_S);
  const put = totals([await load(putOptions, DURATION_S)]);
  const [restList, rpcList] = await alternate(
    { ...common, title: 'rest-list', url: `${urls.listUrl}/api/v1/domains` },
    await rpcListOptions(common),
  );
  const ratio = get.rps / bare.rps;
  const listRatio = restList.rps / rpcList.rps;
  console.log(`loopback, ${CONNECTIONS} connections, ${DURATION_S} s each after ${WARMUP_S} s warm-up (bare and GET alternating in ${ROUNDS} rounds)`);
  console.log(row('bare Fastify JSON route', bare));
  console.log(row('GET /api/v1/domains/{ref}', get));
  console.log(row('PUT /api/v1/domains/{ref}/sched (persisted)', put));
  console.log(row('GET /api/v1/domains (1000 domains)', restList));
  console.log(row('JSON-RPC VM.get_all_records (1000 VMs)', rpcList));
  console.log(`GET / bare ratio ${ratio.toFixed(3)} (target ≥ 0.8); PUT target ≥ 1000 req/s with p99 ≤ 20 ms; VM.get_all_records / GET /domains time ${listRatio.toFixed(3)} (target ≤ 2)`);
  console.log(`api-bench get_ratio=${ratio.toFixed(3)} put_rps=${put.rps.toFixed(0)} put_p99_ms=${put.p99} rpc_list_ratio=${listRatio.toFixed(3)}`);
} finally {
  await stop();
}
