import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = ['--import', 'tsx', 'src/main.ts'];

/** Resolve with the URL the daemon logs once it listens. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code} before listening:\n${output}`)));
  });
}

describe('the daemon process', () => {
  it('serve HTTP on a free port, then exit 0 on SIGTERM with the change on disk', async () => {
    const dir = tempDir();
    const db = join(dir.path, 'data', 'nemesis.db');
    const child = spawn(process.execPath, MAIN, {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NEMESIS_DB: db, NEMESIS_PCPUS: '2', NEMESIS_TOKEN: 'tok', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await listeningUrl(child);
      const auth = { authorization: 'Bearer tok', 'content-type': 'application/json' };
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/api/v1/host`)).status, 401);
      const created = await fetch(`${url}/api/v1/domains`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'live', start: true }) });
      assert.equal(created.status, 201);
      const host = (await (await fetch(`${url}/api/v1/host`, { headers: auth })).json()) as { pcpus: number; clock: { speed: number; running: boolean } };
      assert.deepEqual([host.pcpus, host.clock.speed, host.clock.running], [2, 1, true]);

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const store = createStore(db);
      assert.deepEqual(store.domains.list().map((d) => `${d.name}:${d.state}`), ['Domain-0:running', 'live:running']);
      store.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      dir.remove();
    }
  });

  it('refuse a non-loopback HOST without a token, and bad values, with a clear message', () => {
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, MAIN, { cwd: ROOT, env: { ...process.env, NEMESIS_DB: ':memory:', ...env }, encoding: 'utf8' });
    const open = run({ HOST: '0.0.0.0', PORT: '0' });
    assert.equal(open.status, 2);
    assert.match(open.stderr, /HOST 0\.0\.0\.0 is not a loopback address: set NEMESIS_TOKEN/);
    const bad = run({ PORT: 'eighty', NEMESIS_PCPUS: '0' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /PORT must be an integer in 0\.\.65535, got "eighty"/);
    assert.match(bad.stderr, /NEMESIS_PCPUS must be an integer in 1\.\.4096, got "0"/);
  });
});
