/**
 * `npm run bench:api`: throughput and latency of the control plane over
 * loopback, side by side with a bare Fastify JSON route, in one run.
 *   bare    GET /bare                        (the ceiling)
 *   get     GET /api/v1/domains/{ref}        (target: ≥ 0.8 × bare)
 *   put     PUT /api/v1/domains/{ref}/sched  (persisted, synchronous=FULL; target ≥ 1000 req/s, p99 ≤ 20 ms)
 *   list    GET /api/v1/domains and the Xen API's VM.get_all_records over JSON-RPC,
 *           1000 domains (Domain-0 and 999 running), alternating (target: JSON-RPC within 2x)
 * `--baseline DIR` also serves GET from DIR's bench/api-server.ts (another
 * checkout, its own code) and alternates it with the two above.
 * The last line is machine-readable:
 *   api-bench get_ratio=<r> put_rps=<n> put_p99_ms=<n> rpc_list_ratio=<r> get_cpu_ratio=<r>
 *   [baseline_get_ratio=<r> baseline_get_cpu_ratio=<r>]
 * (rpc_list_ratio: time per VM.get_all_records over time per GET /api/v1/domains;
 * get_cpu_ratio: the server process's CPU time per bare request over its CPU
 * time per GET, which the load generator, sharing the machine, moves less.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { cpuSeconds } from './processes.ts';

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

const { values } = parseArgs({ options: { baseline: { type: 'string' } } });

interface Servers {
  readonly urls: Urls;
  readonly pid: number;
  stop(): Promise<void>;
}

/** The servers of bench/api-server.ts in `root` (this checkout's by default). */
function startServers(root = new URL('..', import.meta.url).pathname): Promise<Servers> {
  const child = spawn(process.execPath, [join(root, 'bench/api-server.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench servers exited with ${code}`)));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('{"bareUrl"')) return;
      resolve({
        urls: JSON.parse(line) as Urls,
        pid: child.pid!,
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

/** A load to run, and the process that answers it (whose CPU time is counted while it runs). */
interface Load {
  readonly options: autocannon.Options;
  readonly pid: number;
}

interface Run {
  readonly result: Result;
  /** The serving process's CPU seconds over the run. */
  readonly cpu_s: number;
}

async function load({ options, pid }: Load, duration_s: number): Promise<Run> {
  const cpuStart = cpuSeconds(pid);
  const result = await autocannon({ ...options, duration: duration_s });
  const cpu_s = cpuSeconds(pid) - cpuStart;
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${options.title}: ${failed} failed requests`);
  return { result, cpu_s };
}

/** Requests per second over all rounds, the worst round's p50 and p99, and the server's CPU µs per request. */
interface Totals {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpu_us: number;
}

/** The loads one after another in rounds (after a warm-up each), so drift in the machine's load hits all alike. */
async function alternate(loads: readonly Load[]): Promise<Totals[]> {
  for (const one of loads) await load(one, WARMUP_S);
  const runs: Run[][] = loads.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...loads.keys()];
    // Every other round in the reverse order, so none always follows the same other.
    for (const i of round % 2 === 0 ? order : order.reverse()) runs[i]!.push(await load(loads[i]!, DURATION_S / ROUNDS));
  }
  return runs.map(totals);
}

function totals(runs: readonly Run[]): Totals {
  const requests = runs.reduce((n, r) => n + r.result.requests.total, 0);
  const seconds = runs.reduce((n, r) => n + r.result.duration, 0);
  return {
    rps: requests / seconds,
    p50: Math.max(...runs.map((r) => r.result.latency.p50)),
    p99: Math.max(...runs.map((r) => r.result.latency.p99)),
    cpu_us: (runs.reduce((n, r) => n + r.cpu_s, 0) / requests) * 1e6,
  };
}

const row = (name: string, t: Totals): string =>
  `${name.padEnd(44)} ${t.rps.toFixed(0).padStart(8)} req/s   p50 ${String(t.p50).padStart(3)} ms   p99 ${String(t.p99).padStart(3)} ms   server CPU ${t.cpu_us.toFixed(1).padStart(6)} µs/request`;

/** VM.get_all_records over JSON-RPC, in a session opened first (as any XenAPI client does). */
async function rpcListOptions(common: { connections: number; pipelining: number }): Promise<autocannon.Options> {
  const url = `${urls.listUrl}/jsonrpc`;
  const rpc = (method: string, params: unknown[]): string => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const headers = { 'content-type': 'application/json' };
  const login = (await (await fetch(url, { method: 'POST', headers, body: rpc('session.login_with_password', ['bench', '']) })).json()) as { result: string };
  return { ...common, title: 'rpc-list', url, method: 'POST', headers, body: rpc('VM.get_all_records', [login.result]) };
}

const servers = await startServers();
const baseline = values.baseline === undefined ? undefined : await startServers(values.baseline);
const { urls, pid } = servers;
try {
  const common = { connections: CONNECTIONS, pipelining: 1 };
  const getOf = (other: Servers): Load => ({ options: { ...common, title: 'get', url: `${other.urls.nemesisUrl}/api/v1/domains/bench` }, pid: other.pid });
  const [bare, get, baselineGet] = await alternate([
    { options: { ...common, title: 'bare', url: `${urls.bareUrl}/bare` }, pid },
    getOf(servers),
    ...(baseline === undefined ? [] : [getOf(baseline)]),
  ]);
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
  await load({ options: putOptions, pid }, WARMUP_S);
  const put = totals([await load({ options: putOptions, pid }, DURATION_S)]);
  const [restList, rpcList] = await alternate([
    { options: { ...common, title: 'rest-list', url: `${urls.listUrl}/api/v1/domains` }, pid },
    { options: await rpcListOptions(common), pid },
  ]) as [Totals, Totals];
  const ratio = get!.rps / bare!.rps;
  const listRatio = restList.rps / rpcList.rps;
  const cpuRatio = (of: Totals): number => bare!.cpu_us / of.cpu_us;
  console.log(`loopback, ${CONNECTIONS} connections, ${DURATION_S} s each after ${WARMUP_S} s warm-up (bare and GET alternating in ${ROUNDS} rounds)`);
  console.log(row('bare Fastify JSON route', bare!));
  console.log(row('GET /api/v1/domains/{ref}', get!));
  if (baselineGet !== undefined) console.log(row('GET /api/v1/domains/{ref} (baseline)', baselineGet));
  console.log(row('PUT /api/v1/domains/{ref}/sched (persisted)', put));
  console.log(row('GET /api/v1/domains (1000 domains)', restList));
  console.log(row('JSON-RPC VM.get_all_records (1000 VMs)', rpcList));
  console.log(`GET / bare ratio ${ratio.toFixed(3)} by requests a second, ${cpuRatio(get!).toFixed(3)} by server CPU (target ≥ 0.8); PUT target ≥ 1000 req/s with p99 ≤ 20 ms; VM.get_all_records / GET /domains time ${listRatio.toFixed(3)} (target ≤ 2)`);
  const baselineFields = baselineGet === undefined ? '' : ` baseline_get_ratio=${(baselineGet.rps / bare!.rps).toFixed(3)} baseline_get_cpu_ratio=${cpuRatio(baselineGet).toFixed(3)}`;
  console.log(`api-bench get_ratio=${ratio.toFixed(3)} put_rps=${put.rps.toFixed(0)} put_p99_ms=${put.p99} rpc_list_ratio=${listRatio.toFixed(3)} get_cpu_ratio=${cpuRatio(get!).toFixed(3)}${baselineFields}`);
} finally {
  await Promise.all([servers.stop(), baseline?.stop()]);
}
