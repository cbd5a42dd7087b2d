/**
 * `top`: batch frames on a pipe, and the interactive view in a pseudo-terminal
 * (util-linux `script`). On 2 pCPUs, `web` (2 CPU-bound vCPUs) runs all the time
 * and `stub` (idle) never: after 1 simulated second, web has 2.0 s, 200% of one pCPU.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { buildCli, cells, NEMESIS, type CliDaemon } from './helpers.ts';

/** Runs the tool in a pseudo-terminal; `until` sees the output so far and may write keys. */
function inTerminal(args: string[], env: Record<string, string>, until: (output: string, keys: (text: string) => void) => void) {
  const command = [process.execPath, NEMESIS, ...args].map((word) => `'${word}'`).join(' ');
  const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (data: Buffer) => {
    output += data.toString();
    until(output, (text) => child.stdin.write(text));
  });
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    child.on('error', reject); // no `script` (util-linux) installed
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('nemesis top', () => {
  /** web (2 vCPUs) and stub (idle, its member) after 1 simulated second on 2 pCPUs. */
  const topHost = async (t: TestContext): Promise<CliDaemon> => {
    const d = await buildCli(t, { pcpus: 2 });
    await d.request('POST', '/api/v1/domains', { name: 'web', vcpus: 2, start: true });
    await d.request('POST', '/api/v1/domains', { name: 'stub', workload: { type: 'idle' }, start: true });
    await d.request('POST', '/api/v1/scheduling-domains/web/members', { domain: 'stub' });
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
    return d;
  };

  const FRAME = [
    ['nemesis', 'top', '-', 'simulated', 'time', '1.000', 's', '-', '2', 'pCPUs', '100.0%', 'busy', '(average', 'since', 'boot,', 'over', '1.000', 's)'],
    ['the', 'clock', 'is', 'frozen:', 'simulated', 'time', 'moves', 'only', 'when', 'advanced', '(nemesis', 'clock', '--advance', 'MS;', 'nemesis', 'clock', '--speed', '1', 'runs', 'it)'],
    ['3', 'domains:', '3', 'running,', '0', 'paused,', '0', 'halted;', 'sorted', 'by', 'ID'],
    ['NAME', 'STATE', 'CPU(sec)', 'CPU(%)', 'VCPUS', 'WEIGHT', 'CAP', 'GROUP'],
    ['Domain-0', 'running', '0.0', '0.0', '2', '256', '0', '-'],
    ['web', 'running', '2.0', '200.0', '2', '256', '0', 'web'],
    ['stub', 'running', '0.0', '0.0', '1', '256', '0', 'web'],
  ];

  it('-b -i 2 prints two frames: the first since boot; the second, on the frozen clock, says that nothing changed', async (t) => {
    const d = await topHost(t);
    const result = await d.run('top', '-b', '-i', '2', '-d', '0');
    assert.deepEqual([result.code, result.stderr], [0, '']);
    const frames = result.stdout.split('\n\n');
    assert.equal(frames.length, 2);
    assert.deepEqual(cells(frames[0]!), FRAME);
    const nothing = ['nemesis', 'top', '-', 'simulated', 'time', '1.000', 's', '-', '2', 'pCPUs', '0.0%', 'busy', '(no', 'simulated', 'time', 'passed', 'since', 'the', 'last', 'frame:', 'nothing', 'changed)'];
    const cpuPercent = 3;
    assert.deepEqual(cells(frames[1]!), [nothing, ...FRAME.slice(1, 4), ...FRAME.slice(4).map((row) => row.map((cell, i) => (i === cpuPercent ? '0.0' : cell)))]);
  });

  it('-g folds a scheduling domain into one line with its domains under it; --json prints a line per frame', async (t) => {
    const d = await topHost(t);
    const folded = await d.run('top', '-b', '-i', '1', '-g', '-d', '0');
    assert.match(folded.stdout, /^web +group +2\.0 +200\.0 +3 +256 +0 +web\n {2}web +running +2\.0 +200\.0 +2 .*\n {2}stub +running +0\.0 +0\.0 +1 /m);
    const json = await d.run('--json', 'top', '-i', '2', '-d', '0');
    const frames = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.equal(frames.length, 2);
    assert.deepEqual(frames[0].domains.map((r: { name: string; cpu_pct: number }) => [r.name, r.cpu_pct]), [['Domain-0', 0], ['web', 200], ['stub', 0]]);
    assert.deepEqual([frames[0].now_ns, frames[0].busy_pct, frames[0].since, frames[0].clock_frozen], [1e9, 100, 'boot', true]);
    assert.deepEqual(frames[1].domains.map((r: { name: string; cpu_pct: number }) => [r.name, r.cpu_pct]), [['Domain-0', 0], ['web', 0], ['stub', 0]]);
    assert.deepEqual([frames[1].interval_ns, frames[1].busy_pct, frames[1].since], [0, 0, 'last frame']);
  });

  it('runs full-screen in a terminal: shows the table, sorts on a key, quits on q with exit 0', async (t) => {
    const d = await topHost(t);
    let sorted = false;
    let quit = false;
    // A refresh under a frozen clock shows 0% for all: a long delay keeps the first frame (web at 200%) on screen for the keys, and q cuts the wait.
    const { code, output } = await inTerminal(['--url', d.url, 'top', '-d', '5'], {}, (text, keys) => {
      if (!sorted && text.includes('sorted by ID')) {
        sorted = true;
        keys('p');
      } else if (sorted && !quit && text.includes('sorted by CPU(%)')) {
        quit = true;
        keys('q');
      }
    });
    assert.equal(code, 0, output);
    assert.ok(quit, output);
    const screen = output.slice(output.lastIndexOf('sorted by CPU(%)'));
    assert.match(screen, /NAME/);
    assert.ok(screen.indexOf('web') < screen.indexOf('Domain-0'), 'web (200%) comes first');
    assert.match(output, /\x1b\[32mrunning/, 'states in colour on a terminal'); // eslint-disable-line no-control-regex
    assert.ok(output.trimEnd().endsWith('\x1b[?1049l'), 'the screen is given back');
  });

  it('uses no colour with NO_COLOR, even on a terminal', async (t) => {
    const d = await topHost(t);
    const { code, output } = await inTerminal(['--url', d.url, 'list'], { NO_COLOR: '1' }, () => undefined);
    assert.equal(code, 0, output);
    assert.match(output, /web +1 +256 +2 +running/);
    assert.doesNotMatch(output, /\x1b\[/); // eslint-disable-line no-control-regex
  });
});
