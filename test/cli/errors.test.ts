/** Every way the tool fails: the exit code, one line (or the usage) on stderr, nothing on stdout. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { buildCli, nemesis, type CliDaemon, type Run } from './helpers.ts';

const failed = (result: Run, message: RegExp) => {
  assert.equal(result.stdout, '');
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`);
  assert.match(result.stderr, message);
};

const usage = (result: Run, message: RegExp, command: string) => {
  assert.equal(result.stdout, '');
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, message);
  assert.match(result.stderr, new RegExp(`^Usage: nemesis ${command}`, 'm'));
};

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('nemesis errors', () => {
  /** A daemon on 2 pCPUs with web running. */
  const withWeb = async (t: TestContext): Promise<CliDaemon> => {
    const d = await buildCli(t, { pcpus: 2 });
    await d.request('POST', '/api/v1/domains', { name: 'web', start: true });
    return d;
  };

  it("a domain, group or vCPU that does not exist: the daemon's message naming it, exit 1", async (t) => {
    const d = await withWeb(t);
    const [domain, group, member, vcpu, list] = await Promise.all([
      d.run('pause', 'nosuch'), d.run('sdom', 'list', 'web'), d.run('sdom', 'remove', 'web', 'nosuch'), d.run('vcpu-pin', 'web', '7', '0'),
      d.run('list', 'web', 'ghost'),
    ]);
    failed(domain, /^nemesis: .*"nosuch"/);
    failed(group, /^nemesis: .*web/);
    failed(member, /^nemesis: domain web \(\d+\) is not the master of a scheduling domain$/m);
    failed(vcpu, /^nemesis: .*7/);
    failed(list, /^nemesis: .*"ghost"/);
  });

  it('a request the daemon refuses: its message, exit 1, nothing changed', async (t) => {
    const d = await withWeb(t);
    const [range, conflict, running] = await Promise.all([
      d.run('create', 'big', '--weight', '70000'), d.run('create', 'web'), d.run('delete', 'web'),
    ]);
    failed(range, /^nemesis: .*weight/);
    failed(conflict, /^nemesis: .*web/);
    failed(running, /^nemesis: .*running/);
    assert.deepEqual((await d.request('GET', '/api/v1/domains')).body.map((x: { name: string }) => x.name), ['Domain-0', 'web']);
  });

  it('a daemon that is not running: one line naming the URL tried', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const [flag, env] = await Promise.all([nemesis(['--url', url, 'list']), nemesis(['info'], { NEMESIS_URL: url })]);
    failed(flag, new RegExp(`^nemesis: cannot reach nemesisd at ${url} \\(ECONNREFUSED\\)`));
    failed(env, new RegExp(`^nemesis: cannot reach nemesisd at ${url} `));
  });

  it('bad flags and arguments: the usage of that command, exit 2', async (t) => {
    const d = await withWeb(t);
    const results = await Promise.all([
      d.run('list', '--bogus'), d.run('vcpu-set', 'web', 'x'), d.run('vcpu-pin', 'web', '0', '1-x'), d.run('create'),
      d.run('sched-credit', '-w', '5'), d.run('sched-credit', '-s', '-d', 'web'), d.run('clock', '--speed', '2', '--freeze'),
      d.run('create', 'x', '--workload', 'gpu'), d.run('sdom', 'add', 'web'),
    ]);
    const expected: [RegExp, string][] = [
      [/unknown option '--bogus'/, 'list'], [/argument 'N'.*whole number/, 'vcpu-set'], [/"1-x" is not a CPU/, 'vcpu-pin'],
      [/a NAME or -f FILE is required/, 'create'], [/-w and -c need -d DOM/, 'sched-credit'], [/-s does not go with/, 'sched-credit'],
      [/cannot be used with option '--freeze'/, 'clock'], [/cpu, idle or duty:RUN_MS\/SLEEP_MS/, 'create'], [/missing required argument 'MEMBER'/, 'sdom add'],
    ];
    results.forEach((result, i) => usage(result, ...(expected[i] as [RegExp, string])));
    const unknown = await d.run('frobnicate');
    assert.deepEqual([unknown.code, unknown.stdout], [2, '']);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  });

  it('a bad config file: one line naming the file (and the line, when it is malformed), exit 1, nothing created', async (t) => {
    const d = await withWeb(t);
    const missing = await d.run('create', '-f', '/nonexistent/web.cfg');
    failed(missing, /^nemesis: cannot read \/nonexistent\/web\.cfg: ENOENT$/m);
    const file = join(d.dir.path, 'slip.cfg');
    writeFileSync(file, '# an xl config with a slip on line 4\nname = "db"\nmemory = 2048\nvcpus = = 2\n');
    const malformed = await d.run('create', '-f', file);
    failed(malformed, new RegExp(`^nemesis: ${file.replaceAll('.', '\\.')}:4: "=" is not a value$`, 'm'));
    assert.deepEqual((await d.request('GET', '/api/v1/domains')).body.map((x: { name: string }) => x.name), ['Domain-0', 'web']);
  });
});

describe('nemesis against a daemon with a token', () => {
  it('a wrong or missing token: one line saying so; the right one works', async (t) => {
    const d = await buildCli(t, { token: 'sekrit' });
    const [none, wrong, right] = await Promise.all([
      nemesis(['--url', d.url, 'list']), nemesis(['--url', d.url, '--token', 'nope', 'list']), d.run('--json', 'info'),
    ]);
    failed(none, /^nemesis: nemesisd at http:\/\/127\.0\.0\.1:\d+ refused the token \(wrong or missing\)/);
    failed(wrong, /refused the token/);
    assert.equal(right.code, 0, right.stderr);
    assert.equal(JSON.parse(right.stdout).host.pcpus, 1);
  });
});
