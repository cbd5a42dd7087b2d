/** `nemesis run --compare`: one scenario under each policy, side by side; and scenarios with cpupools. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.ts';
import { cells, nemesis } from './helpers.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/credit-vs-credit2.yaml', import.meta.url));
const DUTY = fileURLToPath(new URL('../../examples/duty-beside-hogs.yaml', import.meta.url));
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

  it('wake latency side by side: BOOST preempts at once under credit; under credit2 the duty domain waits for the hog\'s 1 ms slice to end', async () => {
    const run = await nemesis([...NOWHERE, 'run', DUTY, '--compare', 'credit,credit2']);
    assert.equal(run.code, 0, run.stderr);
    const rows = cells(run.stdout);
    const waits = rows.slice(rows.findIndex((row) => row[0] === 'Wake(us)'));
    assert.deepEqual(waits[0], ['Wake(us)', '1:credit', '1:credit2', '2:credit', '2:credit2']);
    const row = (name: string) => waits.find((r) => r.slice(0, 2).join(' ') === name)!.slice(2).map(Number);
    // credit2: the hogs leapfrog in 1 ms slices from the duty domain's block, so a wake `sleep` ms later
    // falls `frac(sleep)` ms into a slice; a hog that ran under 0.95 ms is not preemptable: the wait is the rest of it.
    const SECONDS = 5;
    const phases = [{ run_ms: 1, sleep_ms: 4.3 }, { run_ms: 1, sleep_ms: 2.7 }];
    const wait_ms = phases.map(({ sleep_ms }) => Math.ceil(sleep_ms) - sleep_ms);
    for (const stat of ['mean', 'p99']) {
      const [, credit2First, , credit2Second] = row(`duty ${stat}`);
      assert.ok(Math.abs(credit2First! - wait_ms[0]! * 1000) <= 2, `credit2 phase 1 ${stat}: ${credit2First} µs vs ${wait_ms[0]! * 1000}`);
      assert.ok(Math.abs(credit2Second! - wait_ms[1]! * 1000) <= 2, `credit2 phase 2 ${stat}: ${credit2Second} µs vs ${wait_ms[1]! * 1000}`);
      assert.ok(credit2First! < 1000 && credit2Second! < 1000, 'never more than the ratelimit');
    }
    // credit: a duty domain under its share wakes with BOOST and preempts at once (99% of its wakes wait nothing).
    assert.deepEqual([row('duty p99')[0], row('duty p99')[2]], [0, 0]);

    // Each wake is one cycle of run + sleep + wait: the wakes and the share follow from the wait alone.
    const json = JSON.parse((await nemesis([...NOWHERE, '--json', 'run', DUTY, '--compare', 'credit,credit2'])).stdout) as Record<string, { phases: { domains: { name: string; pct: number; wake_latency?: { count: number; mean_us: number } }[] }[] }>;
    for (const policy of ['credit', 'credit2']) {
      json[policy]!.phases.forEach((phase, p) => {
        const duty = phase.domains.find((d) => d.name === 'duty')!;
        const cycle_ms = phases[p]!.run_ms + phases[p]!.sleep_ms + duty.wake_latency!.mean_us / 1000;
        assert.ok(Math.abs(duty.wake_latency!.count - (SECONDS * 1000) / cycle_ms) <= 1, `${policy} phase ${p + 1}: ${duty.wake_latency!.count} wakes, cycle ${cycle_ms} ms`);
        const want = (100 * phases[p]!.run_ms) / cycle_ms;
        assert.ok(Math.abs(duty.pct - want) <= 0.3, `${policy} phase ${p + 1}: duty ${duty.pct} vs ${want}`);
        for (const hog of ['hog1', 'hog2']) {
          const got = phase.domains.find((d) => d.name === hog)!.pct;
          assert.ok(Math.abs(got - (100 - want) / 2) <= 1.5, `${policy} phase ${p + 1}: ${hog} ${got} vs ${(100 - want) / 2}`);
        }
      });
    }
    // Under credit2 the figures are the hand-worked ones: 1 + 4.3 + 0.7 = 6 ms a cycle (16.7%), then 1 + 2.7 + 0.3 = 4 ms (25%).
    const credit2Duty = json['credit2']!.phases.map((phase) => phase.domains.find((d) => d.name === 'duty')!.pct);
    assert.ok(Math.abs(credit2Duty[0]! - 100 / 6) <= 0.2 && Math.abs(credit2Duty[1]! - 25) <= 0.2, `credit2 duty ${credit2Duty.join(', ')}`);
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
