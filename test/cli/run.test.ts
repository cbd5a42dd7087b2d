/** `nemesis run`: a scenario headless, no daemon (no --url reachable): table, --json, --csv, --trace; errors and exit codes. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.ts';
import { cells, nemesis } from './helpers.ts';

const DEMO = fileURLToPath(new URL('../../examples/xen-2007-demo.yaml', import.meta.url));
/** Nothing listens here: the command must not need a daemon. */
const NOWHERE = ['--url', 'http://127.0.0.1:9'];

describe('nemesis run', () => {
  it('prints the phases and a table of shares per phase, the group included', async () => {
    const run = await nemesis([...NOWHERE, 'run', DEMO]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const [phases, shares] = run.stdout.split('\n\n');
    assert.deepEqual(cells(phases!)[3], ['3', '20', '30', 'add', 'stubdom', 'to', 'guest']);
    const rows = cells(shares!);
    assert.deepEqual(rows[0], ['CPU(%)', '1', '2', '3']);
    assert.deepEqual(rows[3]!.slice(0, 3), ['group', 'guest', '-']);
    assert.ok(Math.abs(Number(rows[3]![4]) - 10) <= 0.5, rows[3]!.join(' '));
  });

  it('--json and --csv give the same figures; --seconds shortens the run and says what it left out', async () => {
    const json = await nemesis([...NOWHERE, '--json', 'run', DEMO, '--seconds', '15']);
    assert.equal(json.code, 0, json.stderr);
    assert.match(json.stderr, /timeline\[1\] at 20000 ms is at or past the end of the run \(15 s\): not applied/);
    const report = JSON.parse(json.stdout) as { seconds: number; phases: { to_ms: number; domains: { name: string; pct: number }[] }[] };
    assert.equal(report.seconds, 15);
    assert.deepEqual(report.phases.map((p) => p.to_ms), [10000, 15000]);
    const csv = await nemesis([...NOWHERE, 'run', DEMO, '--seconds', '15', '--csv']);
    const lines = csv.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'phase,from_s,to_s,kind,name,pct');
    assert.equal(lines[3], `2,10,15,domain,guest,${report.phases[1]!.domains[0]!.pct.toFixed(3)}`);
  });

  it('--trace writes a scheduler trace of the whole run', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'run.jsonl');
      const run = await nemesis([...NOWHERE, 'run', DEMO, '--seconds', '2', '--trace', file, '--trace-format', 'jsonl']);
      assert.equal(run.code, 0, run.stderr);
      const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as { start_ns: number; end_ns: number; domains: Record<string, string> };
      assert.deepEqual([header.start_ns, header.end_ns, header.domains['1']], [0, 2_000_000_000, 'guest']);
    } finally {
      dir.remove();
    }
  });

  it('a bad scenario is exit 1 with one line naming the problem; a missing file too; nothing on stdout', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'bad.yaml');
      writeFileSync(file, 'host: { pcpus: 1 }\ndomains: [{ name: a }]\ntimeline: [{ at_ms: 5, op: sched, domain: zz, set: { cap: 5 } }]\n');
      const bad = await nemesis([...NOWHERE, 'run', file]);
      assert.deepEqual([bad.code, bad.stdout], [1, '']);
      assert.equal(bad.stderr, 'nemesis: timeline[0] (at 5 ms, sched): no domain is named zz\n');
      const missing = await nemesis([...NOWHERE, 'run', join(dir.path, 'none.yaml')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /cannot read .*none\.yaml: ENOENT/);
      assert.equal((await nemesis([...NOWHERE, 'run'])).code, 2, 'no file: usage');
    } finally {
      dir.remove();
    }
  });
});
