import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCli, cells } from './helpers.ts';

describe("the 2007 scheduling-domain patches' demo, entirely with the tool", () => {

  it('caps a guest at 10, makes stubdom its member: one simulated minute gives the pair exactly 6 s', async (t) => {
    const d = await buildCli(t);
    for (const args of [['create', 'guest'], ['create', 'stubdom'], ['sched-credit', '-d', 'guest', '-c', '10'], ['sdom', 'add', 'guest', 'stubdom']]) {
      const result = await d.run(...args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr, '');
    }
    // The cap applies to the group from the next accounting period (within 30 ms): let it settle, as the README's demo did.
    assert.equal((await d.run('clock', '--advance', '1000')).code, 0);
    const [group] = await d.json('sdom', 'list');
    assert.deepEqual({ ...group, cpu_time_ns: 0 }, {
      master: 1, master_share: 256, active: true, members: [{ domain: 2, share: 256, active: true }], cpu_time_ns: 0,
    });
    const clock = await d.run('clock', '--advance', '60000');
    assert.equal(clock.code, 0);
    assert.match(clock.stdout, /^now_s +: 61\.000000000$/m);
    const [after] = await d.json('sdom', 'list');
    assert.equal(after.cpu_time_ns - group.cpu_time_ns, 6_000_000_000);

    const table = await d.run('sdom', 'list');
    assert.deepEqual(cells(table.stdout), [
      ['Master', 'ID', 'Share', 'Members', 'Active', 'Time(s)'],
      ['guest', '1', '256', 'stubdom:256', 'yes', (after.cpu_time_ns / 1e9).toFixed(1)],
    ]);
  });
});
