/** Test helpers: a daemon on a temp database with a frozen clock, and JSON requests through inject. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { InjectOptions } from 'fastify';
import { createDaemon, type Daemon, type DaemonOptions } from '../src/daemon.ts';

/** The version in package.json, which both programs print for --version. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface TempDir {
  readonly path: string;
  remove(): void;
}

/** The daemons `build` opened on each directory: closed before the directory is removed. */
const daemonsIn = new WeakMap<TempDir, Daemon[]>();

/** A temp directory; given the test's context, removed when the test ends (after the daemons on it are closed). */
export function tempDir(t?: TestContext): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'nemesis-test-'));
  const dir = { path, remove: () => rmSync(path, { recursive: true, force: true }) };
  t?.after(async () => {
    for (const daemon of daemonsIn.get(dir) ?? []) await daemon.close();
    dir.remove();
  });
  return dir;
}

export interface TestDaemon extends Daemon {
  readonly dbPath: string;
  request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  /** Parsed JSON (undefined for an empty body). */
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever the route returned
}

/** The daemon's options (1 pCPU, speed 0 and no logs unless given) and the directory its database is in. */
export type BuildOptions = Partial<Omit<DaemonOptions, 'speed'>> & { readonly speed?: number | undefined; readonly dir?: TempDir };

/**
 * A daemon with a frozen clock (speed 0): time moves only through `advance`.
 * For a daemon that outlives one test (a suite's story, the fuzz campaign):
 * the caller closes it and removes its directory. A test uses `build`.
 */
export async function startDaemon(options: BuildOptions = {}): Promise<TestDaemon & { dir: TempDir }> {
  const { dir = tempDir(), speed, ...daemonOptions } = options;
  const dbPath = options.db ?? join(dir.path, 'nemesis.db');
  const startSpeed = 'speed' in options ? speed : 0;
  const daemon = await createDaemon({ pcpus: 1, logLevel: 'silent', ...daemonOptions, db: dbPath, ...(startSpeed === undefined ? {} : { speed: startSpeed }) });
  return {
    ...daemon,
    dir,
    dbPath,
    async request(method, url, body, headers = {}) {
      const options: InjectOptions = { method, url, headers };
      if (body !== undefined) options.payload = body as NonNullable<InjectOptions['payload']>;
      const response = await daemon.app.inject(options);
      return {
        status: response.statusCode,
        headers: response.headers,
        body: response.body === '' ? undefined : response.headers['content-type']?.toString().includes('json') ? response.json() : response.body,
      };
    },
  };
}

/** How long a daemon may take to become ready before the test fails (rather than the suite hanging). */
const READY_TIMEOUT_MS = 10_000;

/**
 * A daemon of the test's own (frozen clock, temp database), closed and removed
 * when the test ends, as fastify/demo's `build(t)` does: no test shares state.
 * Given `dir` (a directory an earlier daemon of the test used, or one from
 * `tempDir`), it runs on the database there: a restart. `speed: undefined`
 * takes the speed stored in the database, as the daemon does.
 */
export async function build(t: TestContext, options: BuildOptions = {}): Promise<TestDaemon & { dir: TempDir }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the daemon was not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
  });
  const dir = options.dir ?? tempDir(t);
  try {
    const daemon = await Promise.race([startDaemon({ ...options, dir }), timeout]);
    daemonsIn.set(dir, [...(daemonsIn.get(dir) ?? []), daemon]);
    t.after(() => daemon.close());
    return daemon;
  } finally {
    clearTimeout(timer);
  }
}
