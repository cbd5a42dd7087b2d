/** `nemesis what-if` and `nemesis replay`, run as the real tool against a daemon on a free port. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cells, buildCli } from './helpers.ts';

describe('nemesis what-if and replay', () => {
  it('what-if --set previews a cap on a copy; replay re-runs the exported log (exit 0 when it matches, 1 when not)', async (t) => {
    const d = await buildCli(t, { pcpus: 1 });
    assert.equal((await d.run('create', 'web')).code, 0);
    assert.equal((await d.run('create', 'db')).code, 0);
    const report = await d.json('what-if', '--ms', '3000', '--set', 'web.cap=10');
    const web = report.domains.find((x: { name: string }) => x.name === 'web');
    assert.ok(Math.abs(web.predicted_pct - 10) < 1, `web predicted ${web.predicted_pct}`);
    assert.ok(Math.abs(web.baseline_pct - 50) < 2, `web baseline ${web.baseline_pct}`);
    const shown = await d.run('what-if', '--ms', '3000', '--set', 'web.cap=10');
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(cells(shown.stdout)[0], ['Name', 'ID', 'Predicted(%)', 'Baseline(%)', 'Expected(%)']);
    assert.deepEqual(cells(shown.stdout).find((row) => row[0] === 'web')?.slice(4), ['10.0']);
    const refused = await d.run('what-if', '--ms', '1000', '--set', 'nosuch.cap=10');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /changes\[0\] \(PUT \/domains\/nosuch\/sched\): no domain/);

    await d.run('clock', '--advance', '1200');
    const log = (await d.request('GET', '/api/v1/host/replay-log')).body;
    const path = join(d.dir.path, 'run.json');
    writeFileSync(path, JSON.stringify(log));
    const replayed = await d.run('replay', path);
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.match(replayed.stdout, /matches\s+: yes/);
    writeFileSync(path, JSON.stringify({ ...log, now_ns: log.now_ns + 500_000_000 }));
    const differs = await d.run('replay', path);
    assert.equal(differs.code, 1);
    assert.match(differs.stderr, /the replay reached trace_hash [0-9a-f]{16}, the log says/);
  });

  it('what-if --compare credit,credit2: predicted, baseline and expected with the policies in adjacent columns', async (t) => {
    // One pCPU, two (2 vCPUs) and one (1 vCPU) of equal weight: credit 50/50, credit2 claims 2 : 1, 66.7/33.3.
    const d = await buildCli(t, { pcpus: 1 });
    assert.equal((await d.run('create', 'two', '--vcpus', '2')).code, 0);
    assert.equal((await d.run('create', 'one')).code, 0);
    const shown = await d.run('what-if', '--ms', '5000', '--compare', 'credit,credit2');
    assert.equal(shown.code, 0, shown.stderr);
    const rows = cells(shown.stdout);
    assert.equal(shown.stdout.split('\n')[0], 'credit: the exact copy; credit2: restarted under credit2 (switched: Pool-0)');
    const head = rows.findIndex((row) => row[0] === 'Name');
    assert.deepEqual(rows[head], ['Name', 'Predicted:credit', 'Predicted:credit2', 'Baseline:credit', 'Baseline:credit2', 'Expected:credit', 'Expected:credit2']);
    const expected = (name: string) => rows.find((row) => row[0] === name)!.slice(5).map(Number);
    assert.deepEqual(expected('two'), [50, 66.7]);
    assert.deepEqual(expected('one'), [50, 33.3]);
    const json = await d.json('what-if', '--ms', '5000', '--compare', 'credit,credit2');
    assert.deepEqual(json.policies.map((p: { policy: string; copy: string }) => [p.policy, p.copy]), [['credit', 'exact'], ['credit2', 'restarted']]);
    const bad = await d.run('what-if', '--ms', '1000', '--compare', 'credit,credit');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /two or more of credit, credit2, each once/);
  });
});
