/** `nemesis trace`: records on the daemon, waits for the window in simulated time, writes the file. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { buildCli, type CliDaemon } from './helpers.ts';

describe('nemesis trace', () => {
  /** A daemon on 2 pCPUs with web running. */
  const runningWeb = async (t: TestContext): Promise<CliDaemon> => {
    const d = await buildCli(t, { pcpus: 2 });
    assert.equal((await d.request('POST', '/api/v1/domains', { name: 'web', start: true })).status, 201);
    return d;
  };

  it('writes a Chrome trace of the window to -o and says what it wrote', async (t) => {
    const d = await runningWeb(t);
    const file = join(d.dir.path, 'trace.json');
    const run = await d.run('trace', '--ms', '200', '--advance', '-o', file);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^trace\s+: 1$/m);
    assert.match(run.stdout, /^window_ms\s+: 200$/m);
    const document = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { ph: string; name: string }[]; otherData: { end_ns: number } };
    assert.ok(document.traceEvents.some((e) => e.ph === 'X' && e.name === 'web v0'));
    assert.equal(document.otherData.end_ns, 200_000_000);
  });

  it('JSON Lines to stdout', async (t) => {
    const d = await runningWeb(t);
    const run = await d.run('trace', '--ms', '50', '--advance', '--format', 'jsonl');
    assert.equal(run.code, 0, run.stderr);
    const [header, ...events] = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { kind: string; end_ns?: number; start_ns?: number });
    assert.equal(header!.kind, 'trace');
    assert.equal(header!.end_ns! - header!.start_ns!, 50_000_000);
    assert.ok(events.length > 0);
  });

  it('a refused window is exit 1 with the daemon\'s message; a bad flag exit 2', async (t) => {
    const d = await runningWeb(t);
    const refused = await d.run('trace', '--ms', '600000');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /over the limit of 200000/);
    assert.equal(refused.stdout, '');
    const bad = await d.run('trace', '--ms', 'soon');
    assert.equal(bad.code, 2);
  });
});
