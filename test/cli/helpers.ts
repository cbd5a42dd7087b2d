/** The real `nemesis` tool (with the node flags of its first line) run as a child process against a daemon listening on a free port (frozen clock). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { programNodeFlags } from '../../scripts/program-node-flags.ts';
import { build, startDaemon, type BuildOptions, type TestDaemon, type TempDir } from '../helpers.ts';

export const NEMESIS = fileURLToPath(new URL('../../src/bin/nemesis.ts', import.meta.url));
const NEMESIS_FLAGS = programNodeFlags(NEMESIS);

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the tool with no NEMESIS_* or NO_COLOR from the caller's environment unless given. */
export function nemesis(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('NEMESIS_') && key !== 'NO_COLOR'));
  return new Promise((resolve) => {
    execFile(process.execPath, [...NEMESIS_FLAGS, NEMESIS, ...args], { env: { ...base, ...env } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CliDaemon extends TestDaemon {
  readonly url: string;
  readonly dir: TempDir;
  /** The tool with --url pointing at this daemon. */
  run(...args: string[]): Promise<Run>;
  /** The tool with --json; exits 0, prints nothing on stderr; the parsed stdout. */
  json(...args: string[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- whatever the API object is
}

/** The tool pointed at `daemon`, which starts listening on a loopback port. */
async function listeningCli(daemon: TestDaemon & { dir: TempDir }, token: string | undefined): Promise<CliDaemon> {
  await daemon.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(daemon.app.server.address() as AddressInfo).port}`;
  const run = (...args: string[]) => nemesis(['--url', url, ...args], token === undefined ? {} : { NEMESIS_TOKEN: token });
  return {
    ...daemon,
    url,
    run,
    async json(...args: string[]) {
      const result = await run('--json', ...args);
      if (result.code !== 0 || result.stderr !== '') throw new Error(`nemesis --json ${args.join(' ')}: exit ${result.code}: ${result.stderr}`);
      return JSON.parse(result.stdout);
    },
  };
}

/** A daemon of the test's own for the tool, closed and removed when the test ends (see `build`). */
export async function buildCli(t: TestContext, options: BuildOptions = {}): Promise<CliDaemon> {
  return listeningCli(await build(t, options), options.token);
}

/** A daemon for the tool shared by a suite's tests (set up in `before`, closed with `close()` in `after`). */
export async function startCliDaemon(options: BuildOptions = {}): Promise<CliDaemon> {
  const daemon = await startDaemon(options);
  const cli = await listeningCli(daemon, options.token);
  return {
    ...cli,
    async close() {
      await daemon.close();
      daemon.dir.remove();
    },
  };
}

/** The whitespace-separated cells of each line of a table (header included). */
export const cells = (table: string): string[][] => table.trimEnd().split('\n').map((line) => line.trim().split(/\s+/));

/** Runs the tool against `d` and checks it succeeded with nothing on stderr; its table's cells. */
export async function succeeded(d: CliDaemon, ...args: string[]): Promise<string[][]> {
  const result = await d.run(...args);
  assert.equal(result.stderr, '', args.join(' '));
  assert.equal(result.code, 0, args.join(' '));
  return cells(result.stdout);
}
