/** `nemesis run --compare`: one scenario under each policy, side by side; and scenarios with cpupools. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.ts';
import { cells, nemesis } from './helpers.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/credit-vs-credit2.yaml', import.meta.url));
const NOWHERE = ['--url', 'http://127.0.0.1:9'];

describe('nemesis run --compare and cpupools in scenarios', () => {
  it('credit splits by domain, credit2 by vCPU: 50/50 against 66.7/33.3 on one pCPU, then 50/50 under both with one vCPU each', async () => {
    const run = await nemesis([...NOWHERE, 'run', EXAMPLE, '--compare', 'credit,credit2']);
    assert.equal(run.code, 0, run.stderr);
    const rows = cells(run.stdout);
    const table = rows.slice(rows.findIndex((row) => row[0] === 'CPU(%)'));
    assert.deepEqual(table[0], ['CPU(%)', '1:credit', '1:credit2', '2:credit', '2:credit2']);
    const share = (name: string) => table.find((row) => row[0] === name)!.slice(1).map(Number);
    const expected = { two: [50, 200 / 3, 50, 50], one: [50, 100 / 3, 50, 50] };
    for (const [name, want] of Object.entries(expected)) {
      share(name).forEach((got, i) => assert.ok(Math.abs(got - want[i]!) <= 1.5, `${name} column ${i + 1}: ${got} vs ${want[i]}`));
    }
    const json = JSON.parse((await nemesis([...NOWHERE, '--json', 'run', EXAMPLE, '--compare', 'credit,credit2'])).stdout) as Record<string, { trace_hash: string }>;
    assert.deepEqual(Object.keys(json), ['credit', 'credit2']);
    assert.notEqual(json['credit']!.trace_hash, json['credit2']!.trace_hash);
    const bad = await nemesis([...NOWHERE, 'run', EXAMPLE, '--compare', 'credit,rtds']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--compare takes two or more of credit, credit2/);
  });

  it('a scenario makes cpupools and puts domains in them; a topology must make its pCPUs', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'pools.json');
      writeFileSync(file, JSON.stringify({
        host: { pcpus: 2, topology: { sockets: 1, cores: 2, threads: 1 } },
        seconds: 5,
        cpupools: [{ name: 'batch', sched: 'credit2', pcpus: [1] }],
        domains: [{ name: 'a' }, { name: 'b', cpupool: 'batch' }, { name: 'c', cpupool: 'batch' }],
      }));
      const run = await nemesis([...NOWHERE, '--json', 'run', file]);
      assert.equal(run.code, 0, run.stderr);
      const pct = new Map((JSON.parse(run.stdout) as { phases: { domains: { name: string; pct: number }[] }[] }).phases[0]!.domains.map((d) => [d.name, d.pct]));
      // a alone on pCPU 0 (Pool-0); b and c share pCPU 1 (batch).
      assert.ok(Math.abs(pct.get('a')! - 100) <= 1, `a ${pct.get('a')}`);
      for (const name of ['b', 'c']) assert.ok(Math.abs(pct.get(name)! - 50) <= 1.5, `${name} ${pct.get(name)}`);
      const wrong = join(dir.path, 'wrong.json');
      writeFileSync(wrong, JSON.stringify({ host: { pcpus: 2, topology: { sockets: 2, cores: 2, threads: 1 } }, domains: [{ name: 'a' }] }));
      const refused = await nemesis([...NOWHERE, 'run', wrong]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /host: topology 2x2x1 does not make 2 pCPUs/);
    } finally {
      dir.remove();
    }
  });
});
