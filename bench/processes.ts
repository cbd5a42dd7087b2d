/** For the benches: the daemon as a child process on a free loopback port, its memory, and the statistics of their figures. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface DaemonProcess {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * `node <args>` (node flags, then the program) with `env` over this process's
 * environment and PORT=0, HOST=127.0.0.1, LOG_LEVEL=info; resolves once it
 * listens. Its output is read for its whole life, so its logging never blocks.
 */
export async function spawnDaemon(args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<DaemonProcess> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.at(-1)} exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.removeAllListeners('exit');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `count` running CPU-bound 1-vCPU domains named hog-<i>, created through the API `concurrency` at a time (the daemon's rate limit off). */
export async function createCpuBoundDomains(url: string, count: number, concurrency = 32): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const reply = await fetch(`${url}/api/v1/domains`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `hog-${i}`, start: true, workload: { type: 'cpu' } }),
      });
      if (reply.status !== 201) throw new Error(`POST /api/v1/domains → ${reply.status} ${await reply.text()}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** A process's resident memory, MB (Linux). */
export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** A process's CPU time so far (user + system), seconds (Linux, /proc/<pid>/stat; clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The CPU time of a process's threads so far, seconds, from the scheduler's
 * own nanosecond counts (Linux, /proc/<pid>/task/<tid>/schedstat): finer than
 * `cpuSeconds`'s 10 ms ticks, for shares of a core near 0. A thread that has
 * exited is not counted: the daemon's threads live as long as it does.
 */
export function threadCpuSeconds(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
  return ns / 1e9;
}

/** The p quantile (0..1) of the samples, by nearest rank; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 0.5);
