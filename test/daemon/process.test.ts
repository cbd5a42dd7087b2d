import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { MIN_NODE_VERSION, nodeVersionProblem } from '../../src/node-version.ts';
import { createStore } from '../../src/store/index.ts';
import { programNodeFlags } from '../../scripts/program-node-flags.ts';
import { PACKAGE_VERSION, tempDir } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What `npm start` runs: the build (`npm test` builds first). */
const MAIN = ['dist/bin/nemesisd.js'];

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

/** SIGKILL a detached child's whole process group; one that is gone already (ESRCH) is fine. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-(child.pid ?? 0), 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
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

  it('run as a program (as `npm start`, the image and a unit file run it) with the V8 flags of its first line', { skip: process.platform !== 'linux' }, async () => {
    const program = join(ROOT, MAIN[0]!);
    const flags = programNodeFlags(program);
    assert.ok(flags.some((flag) => flag.startsWith('--max-semi-space-size=')), `heap flags on the first line: ${flags.join(' ')}`);
    const dir = tempDir();
    const child = spawn(program, [], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NEMESIS_DB: join(dir.path, 'nemesis.db'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await listeningUrl(child);
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      assert.deepEqual(argv.slice(1, 1 + flags.length), flags, `the daemon's node was started with them: ${argv.join(' ')}`);
    } finally {
      child.kill('SIGKILL');
      dir.remove();
    }
  });

  it('log every acknowledged change by the time it exits on SIGTERM (log lines are written in batches)', async () => {
    const dir = tempDir();
    const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', NEMESIS_DB: join(dir.path, 'nemesis.db'), NEMESIS_PCPUS: '1', NEMESIS_CLOCK_SPEED: '0', LOG_LEVEL: 'info' };
    const child = spawn(process.execPath, MAIN, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await listeningUrl(child);
      let output = '';
      child.stdout!.on('data', (chunk: string) => (output += chunk));
      const acknowledged: string[] = [];
      for (let i = 0; i < 40; i++) {
        const reply = await fetch(`${url}/api/v1/host/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ms":1}' });
        assert.equal(reply.status, 200);
        acknowledged.push(reply.headers.get('x-request-id')!);
      }
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const lines = output.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { msg: string; reqId?: string; operation?: string; status?: number });
      const logged = lines.filter((line) => line.msg === 'mutation').map((line) => [line.reqId, line.operation, line.status]);
      assert.deepEqual(logged, acknowledged.map((id) => [id, 'advanceClock', 200]));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      dir.remove();
    }
  });

  it('lose nothing acknowledged when killed with SIGKILL right after the last reply', async () => {
    const dir = tempDir();
    const db = join(dir.path, 'nemesis.db');
    const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', NEMESIS_DB: db, NEMESIS_PCPUS: '1', LOG_LEVEL: 'info' };
    const json = { 'content-type': 'application/json' };
    let child = spawn(process.execPath, MAIN, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let url = await listeningUrl(child);
      const send = async (method: string, path: string, body?: unknown) => {
        const init = body === undefined ? { method } : { method, headers: json, body: JSON.stringify(body) };
        const res = await fetch(`${url}/api/v1${path}`, init);
        assert.ok(res.ok, `${method} ${path}: ${res.status}`);
      };
      await send('POST', '/domains', { name: 'guest', start: true, cap: 10 });
      await send('POST', '/domains', { name: 'stubdom', start: true });
      await send('POST', '/scheduling-domains/guest/members', { domain: 'stubdom', share: 64 });
      await send('PUT', '/domains/stubdom/sched', { weight: 512 });
      await send('POST', '/domains/guest/pause');
      const killed = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await killed;

      child = spawn(process.execPath, MAIN, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      url = await listeningUrl(child);
      const domains = (await (await fetch(`${url}/api/v1/domains`)).json()) as { name: string; state: string; sched: unknown; scheduling_domain: number | null }[];
      assert.deepEqual(
        domains.map((d) => [d.name, d.state, d.sched, d.scheduling_domain]),
        [
          ['Domain-0', 'running', { weight: 256, cap: 0 }, null],
          ['guest', 'paused', { weight: 256, cap: 10 }, 1],
          ['stubdom', 'running', { weight: 512, cap: 0 }, 1],
        ],
      );
      const group = (await (await fetch(`${url}/api/v1/scheduling-domains/guest`)).json()) as { members: { share: number }[] };
      assert.equal(group.members[0]?.share, 64);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      dir.remove();
    }
  });

  it('refuse a second daemon on the same database at once (exit 2, naming the file and the process that holds it); once that one is killed with SIGKILL, a new one starts', async () => {
    const dir = tempDir();
    const db = join(dir.path, 'nemesis.db');
    const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', NEMESIS_DB: db, NEMESIS_PCPUS: '1', LOG_LEVEL: 'info' };
    let holder = spawn(process.execPath, MAIN, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await listeningUrl(holder);
      const created = await fetch(`${url}/api/v1/domains`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'kept' }) });
      assert.equal(created.status, 201);

      const second = spawnSync(process.execPath, MAIN, { cwd: ROOT, env, encoding: 'utf8' });
      assert.equal(second.status, 2, second.stderr);
      assert.equal(second.stdout, '');
      assert.equal(
        second.stderr,
        `nemesisd: database ${db} is in use by process ${holder.pid} (node ${MAIN[0]}): one daemon per database; stop that one first, or give this one another NEMESIS_DB\n`,
      );
      assert.equal((await fetch(`${url}/healthz`)).status, 200, 'the first one serves on');

      // The kernel drops the lock with the process: nothing stale is left to clean up.
      const killed = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill('SIGKILL');
      await killed;
      holder = spawn(process.execPath, MAIN, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const next = await listeningUrl(holder);
      const names = ((await (await fetch(`${next}/api/v1/domains`)).json()) as { name: string }[]).map((d) => d.name);
      assert.deepEqual(names, ['Domain-0', 'kept']);
    } finally {
      if (holder.exitCode === null) holder.kill('SIGKILL');
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

  it('print its version and its usage, exit 0, and start nothing', () => {
    // No database is opened: the file named does not come into being.
    const dir = tempDir();
    try {
      const run = (...args: string[]) => spawnSync(process.execPath, [...MAIN, ...args], { cwd: ROOT, env: { ...process.env, NEMESIS_DB: join(dir.path, 'nemesis.db') }, encoding: 'utf8' });
      for (const flag of ['--version', '-V']) {
        const shown = run(flag);
        assert.deepEqual([shown.status, shown.stdout, shown.stderr], [0, `nemesisd ${PACKAGE_VERSION}\n`, ''], flag);
      }
      const help = run('--help');
      assert.equal(help.status, 0);
      assert.match(help.stdout, /^usage: nemesisd \[--port N\]/);
      assert.match(help.stdout, /^ +nemesisd --help \| --version$/m);
      assert.equal(existsSync(join(dir.path, 'nemesis.db')), false);
    } finally {
      dir.remove();
    }
  });

  it('stop when a supervisor sends SIGTERM to `npm start`: npm hands the signal to the daemon itself', async () => {
    const dir = tempDir();
    // --ignore-scripts skips prestart's build (npm test has built); start itself still runs.
    // In a process group of its own, so that whatever happens, nothing npm started outlives the test.
    const child = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', NEMESIS_DB: join(dir.path, 'nemesis.db'), NEMESIS_PCPUS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      const url = await listeningUrl(child);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timeout = AbortSignal.timeout(10_000);
      const gone = await Promise.race([exited.then(() => true), new Promise<false>((resolve) => timeout.addEventListener('abort', () => resolve(false)))]);
      assert.ok(gone, 'npm start was still running 10 s after SIGTERM');
      // Nothing is left holding the port: the daemon got the signal and closed.
      await assert.rejects(fetch(`${url}/healthz`));
    } finally {
      killGroup(child);
      dir.remove();
    }
  });

  it('shut down cleanly on Ctrl-C of `npm start`: the SIGINT that reaches the daemon twice (its process group, and npm passing its own on) does not cut the shutdown short', async () => {
    const dir = tempDir();
    // Detached: npm leads a process group of its own, as a shell's foreground job does; Ctrl-C signals that group.
    const child = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NEMESIS_DB: join(dir.path, 'nemesis.db'), NEMESIS_PCPUS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const ctrlC = (): void => void process.kill(-(child.pid ?? 0), 'SIGINT');
    try {
      const url = new URL(await listeningUrl(child));
      let output = '';
      child.stdout?.on('data', (chunk: string) => (output += chunk));
      const logged = (pattern: RegExp): Promise<void> =>
        new Promise((resolve, reject) => {
          const check = (): void => {
            if (pattern.test(output)) resolve();
            else if (child.exitCode !== null) reject(new Error(`npm start exited with ${child.exitCode} before logging ${pattern}:\n${output}`));
            else setImmediate(check);
          };
          check();
        });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      // A request in flight holds the shutdown open: its headers are read (the daemon answered "100 Continue"), its body not yet sent.
      const body = JSON.stringify({ name: 'in-flight' });
      const socket = connect(Number(url.port), url.hostname);
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.write(`POST /api/v1/domains HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
      await new Promise<void>((resolve) => socket.on('data', () => answer.includes('100 Continue') && resolve()));

      ctrlC();
      await logged(/"msg":"shutting down"/);
      ctrlC();
      await logged(/"msg":"already shutting down: a SIGINT within 3 s of the first is taken as the same one"/);
      assert.equal(child.exitCode, null, 'still finishing the request in flight');
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write(body);
      await closed;
      assert.match(answer, /HTTP\/1\.1 201 Created/);
      assert.equal(await exited, 0, output);
      assert.doesNotMatch(output, /second SIGINT|killed by timeout/);
    } finally {
      killGroup(child);
      dir.remove();
    }
  });

  it('log readable lines on a terminal, and JSON lines when NODE_ENV=production (the image) or not on a terminal', { skip: spawnSync('script', ['--version']).status !== 0 && 'no `script` (util-linux) to give the daemon a terminal' }, async () => {
    const dir = tempDir();
    /** The daemon's first lines, written to a pseudo-terminal that `script` gives it, up to "nemesisd ready". */
    const firstLines = async (env: Record<string, string>): Promise<string> => {
      const child = spawn('script', ['-qec', `${join(ROOT, MAIN[0]!)}`, '/dev/null'], {
        cwd: ROOT,
        env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NEMESIS_DB: join(dir.path, 'nemesis.db'), NEMESIS_PCPUS: '1', LOG_LEVEL: 'info', ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      try {
        let output = '';
        child.stdout.setEncoding('utf8');
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (chunk: string) => {
            output += chunk;
            if (output.includes('nemesisd ready') && output.endsWith('\n')) resolve();
          });
          child.once('exit', () => reject(new Error(`exited before it was ready:\n${output}`)));
        });
        return output;
      } finally {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        killGroup(child);
        await exited;
      }
    };
    try {
      const pretty = stripVTControlCharacters(await firstLines({}));
      assert.match(pretty, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+\r?$/m);
      assert.match(pretty, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: nemesisd ready \{"db":"[^"]+","pcpus":1,"sched":"credit","seed":1,"speed":1,"auth":"off","restored":0\}\r?$/m);
      assert.doesNotMatch(pretty, /"level":30/);
      const image = await firstLines({ NODE_ENV: 'production' });
      assert.match(image, /^\{"level":30,"time":\d+,"pid":\d+,"hostname":"[^"]*",.*"msg":"nemesisd ready"\}\r?$/m);
    } finally {
      dir.remove();
    }
  });

  it('name the Node.js version they need and the command that gets it, in one line, instead of crashing on an older one (nemesisd and nemesis)', (t: TestContext) => {
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    assert.equal(engines, `>=${MIN_NODE_VERSION}`, "package.json's engines and the programs' check agree");
    for (const version of ['24.21.0', '22.18.0', '23.0.0']) assert.equal(nodeVersionProblem(version), undefined, version);
    const needed = (version: string): string =>
      `Node.js 22.18 or newer is needed (24 LTS recommended); this is Node.js ${version}: in the nemesis folder, \`source scripts/node-env.sh\` puts Node.js 24 first on PATH`;
    for (const version of ['22.17.1', '21.7.3', '20.20.2']) assert.equal(nodeVersionProblem(version), needed(version), version);
    // The machine's own Node, where it is older (CI machines have Node 20 installed), runs the real programs, found on PATH as their first line says.
    const system = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' });
    const version = /^v(\d+\.\d+\.\d+)/.exec(system.stdout ?? '')?.[1] ?? '';
    if (system.status !== 0 || nodeVersionProblem(version) === undefined) {
      t.skip('no Node.js older than 22.18 at /usr/bin/node');
      return;
    }
    const env = { ...process.env, PATH: '/usr/bin:/bin', NEMESIS_DB: ':memory:' };
    for (const [program, args] of [['nemesisd', []], ['nemesis', ['list']]] as const) {
      const old = spawnSync(join(ROOT, 'dist', 'bin', `${program}.js`), args, { cwd: ROOT, env, encoding: 'utf8' });
      assert.deepEqual([old.status, old.stdout, old.stderr], [1, '', `${program}: ${needed(version)}\n`], program);
    }
  });

  it("make `npm ci` stop at once on a Node.js older than package.json's engines, before it installs or removes anything", (t: TestContext) => {
    const system = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' });
    if (system.status !== 0 || nodeVersionProblem(system.stdout.trim().slice(1)) === undefined) {
      t.skip('no Node.js older than 22.18 at /usr/bin/node');
      return;
    }
    const dir = tempDir();
    try {
      for (const file of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(ROOT, file), join(dir.path, file));
      mkdirSync(join(dir.path, 'node_modules', 'kept'), { recursive: true });
      // As in a fresh shell: without the settings an `npm run -s` around the tests hands down (npm_config_loglevel=silent …).
      const shell = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
      const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir.path, env: { ...shell, PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
      assert.notEqual(npm.status, 0);
      assert.match(npm.stderr, /npm error code EBADENGINE/);
      assert.match(npm.stderr, /Required: \{"node":">=22\.18"\}/);
      assert.deepEqual(readdirSync(join(dir.path, 'node_modules')), ['kept']);
    } finally {
      dir.remove();
    }
  });
});
