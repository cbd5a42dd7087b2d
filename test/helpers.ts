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

export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'nemesis-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
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

/** A daemon with a frozen clock (speed 0): time moves only through `advance`. */
export async function startDaemon(options: Partial<DaemonOptions> & { dir?: TempDir } = {}): Promise<TestDaemon & { dir: TempDir }> {
  const dir = options.dir ?? tempDir();
  const dbPath = options.db ?? join(dir.path, 'nemesis.db');
  const daemon = await createDaemon({ pcpus: 1, speed: 0, logLevel: 'silent', ...options, db: dbPath });
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
 */
export async function build(t: TestContext, options: Partial<DaemonOptions> = {}): Promise<TestDaemon & { dir: TempDir }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the daemon was not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
  });
  const dir = tempDir();
  try {
    const daemon = await Promise.race([startDaemon({ ...options, dir }), timeout]);
    t.after(async () => {
      await daemon.close();
      dir.remove();
    });
    return daemon;
  } catch (error) {
    dir.remove();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Run `body` against a fresh frozen daemon with `pcpus` pCPUs, then close it and remove its files. */
export async function withDaemon(pcpus: number, body: (d: TestDaemon & { dir: TempDir }) => Promise<void>): Promise<void> {
  const d = await startDaemon({ pcpus });
  try {
    await body(d);
  } finally {
    await d.close();
    d.dir.remove();
  }
}
