/** `nemesis sweep` and `sweep merge` as a user runs them: the same bytes whatever the jobs or shards, failures, CSV, plots. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nemesis } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'nemesis-sweep-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => join(dir, name);

writeFileSync(
  at('scenario.yaml'),
  `host: { pcpus: 1 }
seconds: 2
domains:
  - { name: guest, cap: 50 }
  - { name: stubdom, workload: { type: duty, run_ms: 3, sleep_ms: 1 } }
groups:
  - { master: guest, members: [{ domain: stubdom, share: 256 }] }
timeline:
  - { at_ms: 1000, op: sched, domain: guest, set: { cap: 40 } }
`,
);
// 4 × 3 = 12 points, 2 seeds each.
writeFileSync(at('twelve.yaml'), `scenario: scenario.yaml\nvary:\n  domains.guest.cap: [10, 20, 30, 40]\n  groups.guest.members.stubdom.share: [256, 512, 768]\nseeds: 2\n`);
writeFileSync(at('small.yaml'), `scenario: scenario.yaml\nvary: { domains.guest.cap: [20, 30] }\n`);

describe('nemesis sweep', () => {
  // The 12-point sweep as 3 shards, for the tests of merging.
  before(async () => {
    for (const i of [0, 1, 2]) {
      const shard = await nemesis(['sweep', at('twelve.yaml'), '--shard', `${i}/3`, '--jobs', '1', '--out', at(`shard-${i}.jsonl`), '--no-progress']);
      assert.equal(shard.code, 0, shard.stderr);
      assert.equal(shard.stderr, '');
      // The shard runs the points whose number is i modulo 3, all seeds of each.
      const points = readFileSync(at(`shard-${i}.jsonl`), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { point: number }).point);
      assert.deepEqual(points, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].filter((p) => p % 3 === i).flatMap((p) => [p, p]));
    }
  });

  it('writes the same bytes with --jobs 1, with --jobs 2, and as 3 shards merged', async () => {
    const one = await nemesis(['sweep', at('twelve.yaml'), '--jobs', '1', '--out', at('one.jsonl')]);
    assert.equal(one.code, 0, one.stderr);
    const two = await nemesis(['sweep', at('twelve.yaml'), '--jobs', '2']);
    assert.equal(two.code, 0, two.stderr);
    const merged = await nemesis(['sweep', 'merge', at('shard-2.jsonl'), at('shard-0.jsonl'), at('shard-1.jsonl'), '--out', at('merged.jsonl')]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(merged.stdout, '');

    const reference = readFileSync(at('one.jsonl'), 'utf8');
    assert.equal(two.stdout, reference);
    assert.equal(readFileSync(at('merged.jsonl'), 'utf8'), reference);
    const lines = reference.trim().split('\n').map((line) => JSON.parse(line) as { run: number; point: number; seed: number; values: Record<string, number>; phases: unknown[] });
    assert.equal(lines.length, 24);
    assert.deepEqual(lines.map((l) => l.run), Array.from({ length: 24 }, (_, i) => i));
    assert.deepEqual(lines[5]!.values, { 'domains.guest.cap': 10, 'groups.guest.members.stubdom.share': 768 });
    assert.deepEqual([lines[5]!.point, lines[5]!.seed], [2, 2]);
    assert.equal(lines[0]!.phases.length, 2);
    // Not a terminal: progress as plain lines on stderr, the last one saying it is done.
    assert.match(one.stderr, /^sweep: 24\/24 runs, [\d.]+\/s, done in [\d.]+ s$/m);
  });

  it('refuses to merge shards that miss runs, repeat them or come from another sweep, naming them (exit 1)', async () => {
    const missing = await nemesis(['sweep', 'merge', at('shard-0.jsonl'), at('shard-1.jsonl')]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^nemesis: cannot merge: 8 of 24 runs are missing: 4-5, 10-11, 16-17, 22-23$/m);
    const twice = await nemesis(['sweep', 'merge', at('shard-0.jsonl'), at('shard-1.jsonl'), at('shard-2.jsonl'), at('shard-2.jsonl')]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /run 4 appears 2 times \(.*shard-2\.jsonl:1, .*shard-2\.jsonl:1\)/);
    writeFileSync(at('other.yaml'), `scenario: scenario.yaml\nvary:\n  domains.guest.cap: [10, 20, 30, 41]\n  groups.guest.members.stubdom.share: [256, 512, 768]\nseeds: 2\n`);
    const other = await nemesis(['sweep', at('other.yaml'), '--shard', '2/3', '--out', at('other-2.jsonl'), '--no-progress']);
    assert.equal(other.code, 0, other.stderr);
    const foreign = await nemesis(['sweep', 'merge', at('shard-0.jsonl'), at('shard-1.jsonl'), at('other-2.jsonl')]);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /other-2\.jsonl:1 is from another sweep \(sweep [0-9a-f]{16}, 24 runs; .*shard-0\.jsonl:1 has sweep [0-9a-f]{16}, 24 runs\)/);
  });

  it('writes a failing point as a line with its error, runs the rest, and exits 1', async () => {
    writeFileSync(at('bad.yaml'), `scenario: scenario.yaml\nvary: { domains.guest.cap: [20, 1000, 30] }\n`);
    const result = await nemesis(['sweep', at('bad.yaml'), '--no-progress', '--summary']);
    assert.equal(result.code, 1);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { point: number; error?: string; phases?: unknown[] });
    assert.deepEqual(lines.map((l) => [l.point, l.error === undefined, l.phases === undefined]), [[0, true, false], [1, false, true], [2, true, false]]);
    assert.match(lines[1]!.error!, /^domains\[0\] \(guest\): cap: .*got 1000$/);
    assert.match(result.stderr, /^nemesis: 1 of 3 runs failed; the first, run 1 \(point 1, seed 1\): /m);
    // The summary (on stderr, as the results are on stdout): a row per point, phase and name, the failed point counted; phase 2 is 1 s under the cap of 40 set at its start.
    assert.match(result.stderr, /^\s*1\s+1000\s+-\s+-\s+-\s+-\s+0\s+1$/m);
    assert.match(result.stderr, /^\s*2\s+30\s+2\s+group guest\s+(3[89]|40)\.\d\d\s+0\.00\s+1\s+0$/m);
  });

  it('--csv: a header with the varied paths, a row per run, phase and domain or group', async () => {
    const result = await nemesis(['sweep', at('small.yaml'), '--csv', '--no-progress']);
    assert.equal(result.code, 0, result.stderr);
    const rows = result.stdout.trim().split('\n');
    assert.equal(rows[0], 'sweep,run,point,seed,domains.guest.cap,phase,from_s,to_s,kind,name,pct,wakes,wake_mean_us,wake_p99_us,error');
    // 2 runs × 2 phases × (2 domains + 1 group).
    assert.equal(rows.length, 1 + 12);
    assert.match(rows[1]!, /^[0-9a-f]{16},0,0,1,20,1,0,1,domain,guest,[\d.]+,,,,$/);
    assert.match(rows[2]!, /^[0-9a-f]{16},0,0,1,20,1,0,1,domain,stubdom,[\d.]+,\d+,[\d.]+,[\d.]+,$/);
  });

  it('refuses a bad --shard as a usage error, a sweep file that does not fit its schema naming the place, and an --out it cannot write', async () => {
    const shard = await nemesis(['sweep', at('twelve.yaml'), '--shard', '3/3']);
    assert.equal(shard.code, 2);
    assert.match(shard.stderr, /expected I\/N with 0 <= I < N/);
    writeFileSync(at('wrong.yaml'), `scenario: scenario.yaml\nvary: { seconds: [1] }\nseeds: 0\n`);
    const wrong = await nemesis(['sweep', at('wrong.yaml')]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong\.yaml: \/seeds must be >= 1/);
    const unwritable = await nemesis(['sweep', at('twelve.yaml'), '--out', at('no/such/folder.jsonl')]);
    assert.equal(unwritable.code, 1);
    assert.equal(unwritable.stderr, `nemesis: cannot write ${at('no/such/folder.jsonl')}: ENOENT\n`, 'before any run: no progress line');
    const jobs = await nemesis(['sweep', 'merge', at('shard-0.jsonl'), '--jobs', '2']);
    assert.equal(jobs.code, 2);
    assert.match(jobs.stderr, /^error: sweep merge: --jobs is for running a sweep, not merging$/m);
  });
});

describe('plots from the command line', () => {
  it('nemesis run --plot and nemesis sweep --plot write SVG and PNG', async () => {
    const run = await nemesis(['run', at('scenario.yaml'), '--plot', at('shares.svg')]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(at('shares.svg'), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*simulated time \(s\)[\s\S]*<\/svg>$/);
    const sweep = await nemesis(['sweep', at('small.yaml'), '--no-progress', '--out', at('small.jsonl'), '--plot', at('small.png')]);
    assert.equal(sweep.code, 0, sweep.stderr);
    assert.deepEqual([...readFileSync(at('small.png')).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
    const wrong = await nemesis(['run', at('scenario.yaml'), '--plot', at('shares.pdf')]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /shares\.pdf: a plot is written as \.svg or \.png/);
  });
});
