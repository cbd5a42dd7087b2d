/**
 * `npm run bench:soak -- --minutes N [--warm-up-minutes W] [--no-idle-load]
 * [--no-confine]` (fractions allowed): the built daemon on a random loopback
 * port, clock at speed 1, 4 pCPUs and 200 domains in 20 scheduling domains,
 * under a mixed load for N minutes: reads, writes, group changes and power
 * actions from bounded request loops (each waits for its answer), /healthz
 * (from a thread of its own, bench/soak-probe.ts) and /api/v1/host sampled on
 * the side, and two SSE clients, one of which never reads. The same load runs
 * W minutes first (default 2), unmeasured, so the JIT and the heap reach their
 * working size: under this load RSS rises for about two minutes, while V8 sets
 * its heap limits over its first full collections, then stays flat. Prints
 * errors (5xx, refusals, timeouts; warm-up included), the daemon's RSS after
 * the warm-up and at the end, the tick loop's lateness p99
 * (clock.loop.last_late_ms of GET /api/v1/host, sampled every 100 ms) and the
 * /healthz p99. Last line:
 *   soak errors=<n> rss_growth_mb=<n> tick_late_p99_ms=<n> healthz_p99_ms=<n>
 * Targets for 5 minutes: errors=0, rss_growth_mb ≤ 20, tick_late_p99_ms ≤ 2, healthz_p99_ms ≤ 20.
 *
 * The daemon runs as it ships: with the V8 flags of its program's first line
 * (src/bin/nemesisd.ts). Once it is up, this process (the load) confines
 * itself to CPU 0 with taskset and runs its threads, all but the probe's, at
 * SCHED_IDLE with chrt (Linux, 2 CPUs or more), so that the figures are the
 * daemon's own, as under clients on other machines. On a 2-core machine a busy
 * load generator otherwise takes turns on the daemon's core, and keeps the
 * other core taken: when a kernel thread holds the daemon's core (on a VM with
 * kdamond, DAMON's memory reclaim, 5 to 14 ms every 500 ms, not preemptible
 * under PREEMPT_NONE), the daemon has nowhere else to run. The kernel counts a
 * CPU that runs only SCHED_IDLE tasks as free: it wakes the daemon there, and
 * places kdamond there. `--no-idle-load` leaves the load at normal priority;
 * `--no-confine` does neither.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createRandom } from '../src/hypervisor/random.ts';
import { programNodeFlags } from '../scripts/program-node-flags.ts';
import { cpuSeconds, percentile, rssMb, spawnDaemon } from './processes.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    'warm-up-minutes': { type: 'string', default: '2' },
    workers: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    confine: { type: 'boolean', default: true },
    'idle-load': { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const DURATION_MS = Number(values.minutes) * 60_000;
const WARM_UP_MS = Number(values['warm-up-minutes']) * 60_000;
const WORKERS = Number(values.workers);
const GROUPS = 20;
const GROUP_SIZE = 10;
const REQUEST_TIMEOUT_MS = 10_000;

/** The simulation's own seeded generator, so a run's sequence of operations repeats with --seed. */
const generator = createRandom(Number(values.seed));
const random = (): number => generator.next();
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const DAEMON = new URL('../dist/bin/nemesisd.js', import.meta.url).pathname;
/** The daemon runs as it ships: with the node flags of its program's first line. */
const DAEMON_FLAGS = programNodeFlags(DAEMON);

/**
 * This process, and the threads it starts later, on CPU 0 only, and its
 * threads but the probe's (`probe_tid`) at SCHED_IDLE; a note on what was done.
 */
function confineLoad(probe_tid: number | undefined): string {
  if (!values.confine) return 'load generator unconfined (--no-confine)';
  if (process.platform !== 'linux' || availableParallelism() < 2) return 'load generator unconfined (needs Linux and 2 CPUs)';
  try {
    execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', '0', String(process.pid)], { stdio: 'ignore' });
  } catch {
    return 'load generator unconfined (taskset failed)';
  }
  const placement = 'load generator confined to CPU 0, the daemon on any';
  if (!values['idle-load']) return `${placement}; load at normal priority (--no-idle-load)`;
  try {
    // Per thread: the probe keeps the normal policy, and threads started later inherit their creator's.
    for (const tid of readdirSync('/proc/self/task').map(Number)) {
      if (tid !== probe_tid) execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore' });
    }
    return `${placement}; load at SCHED_IDLE, the /healthz probe not`;
  } catch {
    return `${placement}; load not (or not all) at SCHED_IDLE: chrt failed`;
  }
}

const errors = { count: 0, examples: [] as string[] };
let requests = 0;

function fail(what: string): void {
  errors.count += 1;
  if (errors.examples.length < 10) errors.examples.push(what);
}

/** One request; anything but a 2xx (or a timeout) is an error. */
async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  requests += 1;
  try {
    const init: RequestInit = { method, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
    if (body !== undefined) Object.assign(init, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const reply = await fetch(`${base}${path}`, init);
    const text = await reply.text();
    if (!reply.ok) fail(`${method} ${path} → ${reply.status} ${text.slice(0, 200)}`);
    return text === '' ? undefined : JSON.parse(text);
  } catch (error) {
    fail(`${method} ${path} → ${(error as Error).message}`);
    return undefined;
  }
}

type Power = 'running' | 'paused' | 'halted';
interface Domain {
  readonly name: string;
  readonly master: string | undefined;
  power: Power;
  member: boolean;
}

const WORKLOADS = [{ type: 'cpu' }, { type: 'idle' }, { type: 'duty', run_ms: 5, sleep_ms: 20 }, { type: 'duty', run_ms: 1, sleep_ms: 9 }] as const;

/** 20 groups of 10: a master and nine domains, the first four of them members from the start. */
async function setUp(api: string): Promise<Domain[]> {
  const domains: Domain[] = [];
  for (let g = 0; g < GROUPS; g++) {
    for (let i = 0; i < GROUP_SIZE; i++) {
      const name = `g${g}-d${i}`;
      domains.push({ name, master: i === 0 ? undefined : `g${g}-d0`, power: 'running', member: i > 0 && i <= 4 });
    }
  }
  for (let i = 0; i < domains.length; i += 10) {
    await Promise.all(domains.slice(i, i + 10).map((d, j) => call(api, 'POST', '/domains', { name: d.name, start: true, workload: WORKLOADS[(i + j) % WORKLOADS.length] })));
  }
  for (let g = 0; g < GROUPS; g++) {
    const members = domains.filter((d) => d.master === `g${g}-d0` && d.member).map((d) => ({ domain: d.name }));
    await call(api, 'POST', '/scheduling-domains', { master: `g${g}-d0`, members });
  }
  return domains;
}

/** One step of a worker over its own domains, chosen so that it should succeed. */
async function step(api: string, own: readonly Domain[]): Promise<void> {
  const roll = random();
  const domain = pick(own);
  if (roll < 0.4) {
    const reads = ['/domains', `/domains/${domain.name}`, `/domains/${domain.name}/vcpus`, '/host/pcpus', '/scheduling-domains', `/domains/${domain.name}/sched`];
    await call(api, 'GET', pick(reads));
  } else if (roll < 0.65) {
    if (random() < 0.5) await call(api, 'PUT', `/domains/${domain.name}/sched`, { weight: 1 + Math.floor(random() * 1024), cap: Math.floor(random() * 100) });
    else await call(api, 'PATCH', `/domains/${domain.name}`, { workload: pick(WORKLOADS) });
  } else if (roll < 0.8) {
    await groupChange(api, domain);
  } else {
    await powerAction(api, domain);
  }
}

async function groupChange(api: string, domain: Domain): Promise<void> {
  if (domain.master === undefined) {
    await call(api, 'PATCH', `/scheduling-domains/${domain.name}`, { master_share: 1 + Math.floor(random() * 1024) });
  } else if (!domain.member) {
    await call(api, 'POST', `/scheduling-domains/${domain.master}/members`, { domain: domain.name, share: 1 + Math.floor(random() * 1024) });
    domain.member = true;
  } else if (random() < 0.5) {
    await call(api, 'PUT', `/scheduling-domains/${domain.master}/members/${domain.name}`, { share: 1 + Math.floor(random() * 1024) });
  } else {
    await call(api, 'DELETE', `/scheduling-domains/${domain.master}/members/${domain.name}`);
    domain.member = false;
  }
}

/** Masters stay running; the others cycle through pause, unpause, shutdown and start. */
async function powerAction(api: string, domain: Domain): Promise<void> {
  if (domain.master === undefined) return call(api, 'GET', `/scheduling-domains/${domain.name}`).then(() => undefined);
  const next: Record<Power, readonly [string, Power][]> = {
    running: [['pause', 'paused'], ['shutdown', 'halted']],
    paused: [['unpause', 'running']],
    halted: [['start', 'running']],
  };
  const [action, state] = pick(next[domain.power]);
  await call(api, 'POST', `/domains/${domain.name}/${action}`);
  domain.power = state;
}

/** An SSE client that reads every event, and one that never reads (its socket's buffers fill, then the daemon's). */
function sseClients(url: string): { events(): number; close(): void } {
  let events = 0;
  const responses: IncomingMessage[] = [];
  const reader = get(`${url}/api/v1/events`, (res) => {
    responses.push(res);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (events += chunk.split('\nevent: ').length - 1));
  });
  const stalled = get(`${url}/api/v1/events`, (res) => {
    responses.push(res);
    res.pause();
  });
  for (const request of [reader, stalled]) request.on('error', () => undefined);
  return {
    events: () => events,
    close() {
      for (const res of responses) res.destroy();
      reader.destroy();
      stalled.destroy();
    },
  };
}

/** The daemon's own memory figures from /metrics (MB): what in RSS is the JS heap, what is outside it. */
async function memoryMb(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string): string => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? '?' : (Number(line.split(' ')[1]) / 2 ** 20).toFixed(1);
  };
  return `heap used ${value('nemesisd_nodejs_heap_size_used_bytes')} of ${value('nemesisd_nodejs_heap_size_total_bytes')} MB, external ${value('nemesisd_nodejs_external_memory_bytes')} MB`;
}

/**
 * /healthz every 50 ms from a thread of its own (bench/soak-probe.ts), started
 * now so that its thread id is known before the load's threads are demoted,
 * probing from `run(duration_ms)` on: the answer times (failures counted as errors).
 */
async function healthzProbe(url: string): Promise<{ tid: number | undefined; run(duration_ms: number): Promise<number[]> }> {
  const worker = new Worker(new URL('./soak-probe.ts', import.meta.url), { workerData: { url, every_ms: 50 } });
  const [{ tid }] = (await once(worker, 'message')) as [{ tid: number | undefined }];
  return {
    tid,
    async run(duration_ms) {
      worker.postMessage({ duration_ms });
      // once() rejects if the worker fails meanwhile.
      const [result] = (await once(worker, 'message')) as [{ latencies_ms: number[]; failures: string[] }];
      requests += result.latencies_ms.length;
      for (const failure of result.failures) fail(failure);
      return result.latencies_ms;
    },
  };
}

async function sampleUntil(deadline_ms: number, every_ms: number, sample: () => Promise<void>): Promise<void> {
  while (performance.now() < deadline_ms) {
    await sample();
    await sleep(every_ms);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nemesis-soak-'));
  // No rate limit: the load comes from one address, faster than the default allows a client.
  const daemon = await spawnDaemon([...DAEMON_FLAGS, DAEMON], { NEMESIS_DB: join(dir, 'nemesis.db'), NEMESIS_PCPUS: '4', NEMESIS_RATE_LIMIT: '0' });
  const api = `${daemon.url}/api/v1`;
  const probe = await healthzProbe(daemon.url);
  // After the daemon started, so that it keeps every CPU and its normal policy.
  const placement = confineLoad(probe.tid);
  try {
    const domains = await setUp(api);
    const setupErrors = errors.count;
    const sse = sseClients(daemon.url);
    const worker = async (w: number, until_ms: number): Promise<void> => {
      const own = domains.filter((_, i) => Math.floor(i / GROUP_SIZE) % WORKERS === w);
      while (performance.now() < until_ms) await step(api, own);
    };
    const rssAfterSetUp = rssMb(daemon.pid);
    // The same load first, unmeasured: the JIT and the heap settle to their working size, so what grows after is growth.
    const warmedUp = performance.now() + WARM_UP_MS;
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w, warmedUp)));
    const rssStart = rssMb(daemon.pid);
    const memoryStart = await memoryMb(daemon.url);
    const cpuStart = cpuSeconds(daemon.pid);
    console.log(`soak: ${domains.length} domains, ${WORKERS} workers, ${(DURATION_MS / 60_000).toFixed(2)} min, daemon flags ${DAEMON_FLAGS.join(' ') || 'none'}, ${placement}; RSS after set-up ${rssAfterSetUp.toFixed(1)} MB, after ${(WARM_UP_MS / 60_000).toFixed(2)} min of warm-up under the same load ${rssStart.toFixed(1)} MB${setupErrors > 0 ? `; ${setupErrors} errors in set-up` : ''}`);

    const deadline = performance.now() + DURATION_MS;
    const probed = probe.run(DURATION_MS);
    const lateness: number[] = [];
    let clock: { skipped_ns: number; loop: { ticks: number; late_ticks: number; last_late_ms: number; max_late_ms: number } } | undefined;
    await Promise.all([
      ...Array.from({ length: WORKERS }, (_, w) => worker(w, deadline)),
      sampleUntil(deadline, 100, async () => {
        const host = (await call(api, 'GET', '/host')) as { clock: NonNullable<typeof clock> } | undefined;
        if (host === undefined) return;
        clock = host.clock;
        lateness.push(host.clock.loop.last_late_ms);
      }),
    ]);
    const healthz = await probed;
    const rssEnd = rssMb(daemon.pid);
    const memoryEnd = await memoryMb(daemon.url);
    const cpuUsed = cpuSeconds(daemon.pid) - cpuStart;
    sse.close();

    const growth = rssEnd - rssStart;
    const lateP99 = percentile(lateness, 0.99);
    const healthzP99 = percentile(healthz, 0.99);
    console.log(`requests ${requests} (${(requests / (DURATION_MS / 1000)).toFixed(0)}/s), SSE events read by the reading client ${sse.events()}`);
    console.log(`daemon CPU ${((100 * cpuUsed) / (DURATION_MS / 1000)).toFixed(0)}% of one core; machine load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores here: above 2, every figure includes waiting for a core)`);
    console.log(`errors ${errors.count}${errors.examples.map((e) => `\n  ${e}`).join('')}`);
    console.log(`RSS start ${rssStart.toFixed(1)} MB, end ${rssEnd.toFixed(1)} MB, growth ${growth.toFixed(1)} MB (start: ${memoryStart}; end: ${memoryEnd})`);
    console.log(`tick lateness (${lateness.length} samples of clock.loop.last_late_ms): p50 ${percentile(lateness, 0.5).toFixed(2)} ms, p99 ${lateP99.toFixed(2)} ms; daemon loop max_late_ms ${clock?.loop.max_late_ms ?? '?'}, ticks ${clock?.loop.ticks ?? '?'}, late ${clock?.loop.late_ticks ?? '?'}, skipped ${clock?.skipped_ns ?? '?'} ns`);
    console.log(`/healthz (${healthz.length} samples): p50 ${percentile(healthz, 0.5).toFixed(2)} ms, p99 ${healthzP99.toFixed(2)} ms`);
    console.log(`soak errors=${errors.count} rss_growth_mb=${growth.toFixed(1)} tick_late_p99_ms=${lateP99.toFixed(2)} healthz_p99_ms=${healthzP99.toFixed(2)}`);
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
