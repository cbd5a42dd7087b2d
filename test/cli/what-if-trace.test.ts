/** `nemesis what-if --trace FILE`: the changed copy's scheduler trace, written for Perfetto. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildCli } from './helpers.ts';

describe('nemesis what-if --trace', () => {
  it('writes the changed copy\'s trace over the look-ahead, in which web runs at its previewed cap', async (t) => {
    const d = await buildCli(t, { pcpus: 1 });
    assert.equal((await d.run('create', 'web')).code, 0);
    const path = join(d.dir.path, 'what-if.json');
    const shown = await d.run('what-if', '--ms', '1000', '--set', 'web.cap=20', '--trace', path);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stderr, /what-if\.json/);
    const trace = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: { ph: string; pid: number; name: string; dur?: number }[] };
    const web_us = trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === 1 && e.name.startsWith('web ')).reduce((sum, e) => sum + e.dur!, 0);
    assert.ok(Math.abs(web_us / 1e6 - 0.2) < 0.01, `web ran ${web_us} µs of 1 s`);
  });
});
