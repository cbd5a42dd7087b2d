/**
 * The local socket: `--socket PATH` / NEMESIS_SOCKET serves the same API on a
 * Unix domain socket, mode 0660 and owned by the daemon's user, where the
 * socket file's permissions are the check (no token); TCP keeps asking for
 * it. A stale socket file from a crash is replaced, a live one or a file that
 * is not a socket is left alone. The `nemesis` tool reaches it with
 * `--url unix:PATH` or NEMESIS_URL.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LocalSocketError } from '../../src/http/local-socket.ts';
import { nemesis } from '../cli/helpers.ts';
import { startDaemon, tempDir } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'a-token-of-sixteen-chars';

/** One request over the socket at `path`: status and parsed JSON body. */
function overSocket(path: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- whatever the route returned
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = request({ socketPath: path, method, path: url, headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (answer) => {
      let text = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk: string) => (text += chunk));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** A Unix socket file with no process behind it, as a crash leaves one: its listener is SIGKILLed. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.ok(lstatSync(path).isSocket());
}

describe('the local socket', () => {
  it('serves the API mode 0660 without a token while TCP asks for it; the tool reaches it with --url unix: and NEMESIS_URL', async () => {
    const d = await startDaemon({ token: TOKEN });
    const path = join(d.dir.path, 'nemesisd.sock');
    try {
      await d.listenLocal(path);
      const stats = lstatSync(path);
      assert.ok(stats.isSocket());
      assert.equal(stats.mode & 0o777, 0o660);
      assert.deepEqual([stats.uid, stats.gid], [process.getuid!(), process.getgid!()]);

      assert.equal((await d.request('GET', '/api/v1/domains')).status, 401);
      assert.equal((await overSocket(path, 'POST', '/api/v1/domains', { name: 'guest', start: true })).status, 201);
      // Any Host header (clients put the socket's path there), and the Xen API's login without a password.
      assert.equal((await overSocket(path, 'GET', '/api/v1/domains/guest', undefined, { host: '%2Ftmp%2Fnemesisd.sock' })).body.state, 'running');
      const login = await overSocket(path, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'session.login_with_password', params: ['root', ''] });
      assert.match(login.body.result, /^OpaqueRef:/);

      const listed = await nemesis(['--url', `unix:${path}`, '--json', 'list']);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual((JSON.parse(listed.stdout) as Array<{ name: string }>).map((x) => x.name), ['Domain-0', 'guest']);
      const paused = await nemesis(['pause', 'guest'], { NEMESIS_URL: `unix://${path}` });
      assert.equal(paused.code, 0, paused.stderr);
      assert.equal((await d.request('GET', '/api/v1/domains/guest', undefined, { authorization: `Bearer ${TOKEN}` })).body.state, 'paused');
      // The daemon's own message still reaches the tool.
      const refused = await nemesis(['--url', `unix:${path}`, 'pause', 'nobody']);
      assert.deepEqual([refused.code, refused.stderr.trim()], [1, 'nemesis: no domain has domid or name "nobody"']);
    } finally {
      await d.close();
      d.dir.remove();
    }
    assert.equal(existsSync(path), false, 'the socket file is removed on close');
  });

  it('replaces a stale socket file, but neither a live socket nor a file that is not a socket', async () => {
    const dir = tempDir();
    const d = await startDaemon({ dir });
    const live = createServer();
    try {
      const stale = join(dir.path, 'stale.sock');
      await staleSocket(stale);
      await d.listenLocal(stale);
      assert.equal((await overSocket(stale, 'GET', '/healthz')).body.status, 'ok');

      const taken = join(dir.path, 'taken.sock');
      await new Promise<void>((resolve) => live.listen(taken, resolve));
      await assert.rejects(d.listenLocal(taken), (error: Error) => error instanceof LocalSocketError && error.message === `socket ${taken} is in use: another daemon listens on it`);
      assert.ok(lstatSync(taken).isSocket() && live.listening, 'the live socket is left alone');

      const file = join(dir.path, 'file.sock');
      writeFileSync(file, 'keep me');
      await assert.rejects(d.listenLocal(file), (error: Error) => error instanceof LocalSocketError && error.message === `${file} exists and is not a socket; not replacing it`);
      assert.equal(readFileSync(file, 'utf8'), 'keep me');
    } finally {
      live.close();
      await d.close();
      dir.remove();
    }
  });

  it('nemesisd --socket: the tool over the socket; a second daemon on the same socket exits 2 and leaves the first serving', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'nemesisd.sock');
    const start = (db: string): ChildProcess =>
      spawn(process.execPath, ['dist/bin/nemesisd.js', '--socket', path, '--port', '0'], {
        cwd: ROOT,
        env: { ...process.env, NEMESIS_DB: join(dir.path, db), NEMESIS_PCPUS: '1', NEMESIS_TOKEN: TOKEN, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const first = start('first.db');
    try {
      await new Promise<void>((resolve, reject) => {
        let output = '';
        first.stdout!.setEncoding('utf8');
        first.stdout!.on('data', (chunk: string) => {
          output += chunk;
          if (output.includes('nemesisd ready')) resolve();
        });
        first.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
      });
      const created = await nemesis(['--url', `unix:${path}`, 'create', 'guest']);
      assert.equal(created.code, 0, created.stderr);

      const second = start('second.db');
      let stderr = '';
      second.stderr!.setEncoding('utf8');
      second.stderr!.on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise((resolve) => second.once('exit', resolve));
      assert.equal(code, 2);
      assert.equal(stderr, `nemesisd: socket ${path} is in use: another daemon listens on it\n`);
      const listed = await nemesis(['--url', `unix:${path}`, '--json', 'list']);
      assert.deepEqual((JSON.parse(listed.stdout) as Array<{ name: string }>).map((x) => x.name), ['Domain-0', 'guest']);

      const exited = new Promise((resolve) => first.once('exit', resolve));
      first.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(existsSync(path), false);
    } finally {
      first.kill('SIGKILL');
      dir.remove();
    }
  });
});
