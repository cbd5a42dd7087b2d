/** Sweep files: paths into the scenario, the points' order, seeds, the summary's statistics, merging shards, the plots, the published schema, the Kubernetes manifest. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { parse } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { renderSweepSchema, SWEEP_SCHEMA_FILE } from '../../scripts/sweep-schema-document.ts';
import { parseScenario } from '../../src/lab/scenario-file.ts';
import { runScenario } from '../../src/lab/scenario.ts';
import { sharesOverTime, sharesPlotSvg } from '../../src/lab/shares-plot.ts';
import { pointScenario, pointValues, readSweep, SweepError } from '../../src/lab/sweep-file.ts';
import { sweepPlotSvg } from '../../src/lab/sweep-plot.ts';
import { runSweepPoint, type SweepLine } from '../../src/lab/sweep-point.ts';
import { estimate, mergeShards, MergeError, summarise } from '../../src/lab/sweep-results.ts';

const dir = mkdtempSync(join(tmpdir(), 'nemesis-sweep-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A sweep file (and its scenario file, when given: SCENARIO in the sweep names it); its path. */
function sweepFile(sweep: string, scenario?: string): string {
  files++;
  const path = join(dir, `sweep-${files}.yaml`);
  if (scenario !== undefined) writeFileSync(join(dir, `scenario-${files}.yaml`), scenario);
  writeFileSync(path, sweep.replaceAll('SCENARIO', `scenario-${files}.yaml`));
  return path;
}

const SCENARIO = `
host: { pcpus: 1 }
seconds: 2
domains:
  - { name: guest, cap: 50 }
  - { name: stubdom }
groups:
  - { master: guest, members: [{ domain: stubdom, share: 256 }] }
timeline:
  - { at_ms: 500, op: sched, domain: stubdom, set: { weight: 256 } }
  - { at_ms: 1000, op: sched, domain: guest, set: { cap: 40 } }
`;

describe('sweep files: paths and points', () => {
  it('picks list elements by name (domains, groups by master, members by domain) or index, and sets plain keys', () => {
    const plan = readSweep(
      sweepFile(
        `scenario: SCENARIO
vary:
  domains.guest.cap: [10]
  timeline.1.set.cap: [30]
  host.pcpus: [2]
  seconds: [3]
  groups.guest.members.stubdom.share: [768]
  scheduler.tslice_ms: [5]
`,
        SCENARIO,
      ),
    );
    const scenario = pointScenario(plan, pointValues(plan, 0), 7) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walked by hand below
    assert.equal(scenario['domains'][0].cap, 10);
    assert.equal(scenario['domains'][1].cap, undefined);
    assert.deepEqual(scenario['timeline'][1], { at_ms: 1000, op: 'sched', domain: 'guest', set: { cap: 30 } });
    assert.deepEqual(scenario['timeline'][0].set, { weight: 256 });
    assert.deepEqual(scenario['host'], { pcpus: 2, seed: 7 });
    assert.equal(scenario['seconds'], 3);
    assert.equal(scenario['groups'][0].members[0].share, 768);
    assert.deepEqual(scenario['scheduler'], { tslice_ms: 5 });
    // The plan's own scenario is untouched.
    assert.equal((plan.scenario.domains[0] as { cap?: number }).cap, 50);
  });

  it('refuses, before running anything, a path that leads nowhere, naming it', () => {
    assert.throws(() => readSweep(sweepFile('scenario: SCENARIO\nvary: { domains.gest.cap: [1] }\n', SCENARIO)), (error: Error) => {
      assert.ok(error instanceof SweepError);
      assert.match(error.message, /vary\.domains\.gest\.cap: domains has no element named gest/);
      return true;
    });
    assert.throws(() => readSweep(sweepFile('scenario: SCENARIO\nvary: { timeline.5.at_ms: [1] }\n', SCENARIO)), /timeline has no element named 5 and 2 elements/);
    assert.throws(() => readSweep(sweepFile('scenario: SCENARIO\nvary: { seconds.x: [1] }\n', SCENARIO)), /seconds is 2, not a list or an object/);
    assert.throws(() => readSweep(sweepFile('scenario: SCENARIO\nvary: { seconds: [] }\n', SCENARIO)), /\/vary\/seconds must NOT have fewer than 1 items/);
    assert.throws(() => readSweep(sweepFile('scenario: missing.yaml\nvary: { seconds: [1] }\n')), /cannot read .*missing\.yaml: ENOENT/);
  });

  it('numbers the points as nested loops over the paths in file order (the first slowest), and runs each with every seed', () => {
    const plan = readSweep(sweepFile(`scenario: SCENARIO\nvary:\n  domains.guest.cap: [10, 20, 30]\n  seconds: [1, 2]\nseeds: 3\n`, SCENARIO));
    assert.equal(plan.points, 6);
    assert.deepEqual(plan.seeds, [1, 2, 3]);
    assert.deepEqual(
      Array.from({ length: 6 }, (_, i) => pointValues(plan, i)),
      [10, 10, 20, 20, 30, 30].map((cap, i) => ({ 'domains.guest.cap': cap, seconds: [1, 2][i % 2] })),
    );
    const listed = readSweep(sweepFile(`scenario: SCENARIO\nvary: { seconds: [1] }\nseeds: [9, 4]\n`, SCENARIO));
    assert.deepEqual(listed.seeds, [9, 4]);
    const line = runSweepPoint(listed, 1);
    assert.deepEqual([line.run, line.runs, line.point, line.seed], [1, 2, 0, 4]);
    const none = readSweep(sweepFile(`scenario: SCENARIO\nvary: { seconds: [1] }\n`, SCENARIO));
    assert.deepEqual(none.seeds, [1], "without seeds: once, with the scenario's own (default 1)");
  });

  it("the sweep's hash covers the sweep file and the scenario file it names", () => {
    const hashOf = (folder: string, sweep: string, scenario: string): string => {
      mkdirSync(join(dir, folder));
      writeFileSync(join(dir, folder, 'scenario.yaml'), scenario);
      writeFileSync(join(dir, folder, 'sweep.yaml'), sweep);
      return readSweep(join(dir, folder, 'sweep.yaml')).hash;
    };
    const sweep = 'scenario: scenario.yaml\nvary: { seconds: [1] }\n';
    const hashes = [
      hashOf('h0', sweep, SCENARIO),
      hashOf('h1', sweep, SCENARIO),
      hashOf('h2', sweep, SCENARIO.replace('cap: 50', 'cap: 51')),
      hashOf('h3', `${sweep}seeds: 1\n`, SCENARIO),
    ];
    assert.match(hashes[0]!, /^[0-9a-f]{16}$/);
    assert.equal(hashes[1], hashes[0], 'the same texts, the same hash');
    assert.equal(new Set(hashes).size, 3, 'another scenario, or another sweep file: another hash');
  });

  it("a run's line has the scenario runner's shares per phase, and its trace hash; an invalid value is a line with its error", () => {
    const plan = readSweep(sweepFile(`scenario: SCENARIO\nvary: { domains.guest.cap: [20, 1000] }\n`, SCENARIO));
    const line = runSweepPoint(plan, 0);
    const direct = runScenario(parseScenario(JSON.stringify(pointScenario(plan, { 'domains.guest.cap': 20 }, 1)), 'direct'));
    assert.equal(line.trace_hash, direct.trace_hash);
    assert.equal(line.phases!.length, 3);
    direct.phases.forEach((phase, p) => {
      assert.deepEqual(line.phases![p]!.from_s, phase.from_ms / 1000);
      for (const d of phase.domains) assert.equal(line.phases![p]!.domains[d.name]!.pct, Math.round(d.pct! * 1000) / 1000);
      for (const g of phase.groups) assert.deepEqual(line.phases![p]!.groups[g.master], { members: g.members, pct: Math.round(g.pct * 1000) / 1000 });
    });
    const failed = runSweepPoint(plan, 1);
    assert.equal(failed.phases, undefined);
    assert.match(failed.error!, /cap/);
    assert.deepEqual(failed.values, { 'domains.guest.cap': 1000 });
  });

  it('gives wake latency for a domain that blocks, from the switches the trace records', () => {
    const plan = readSweep(
      sweepFile(`scenario:
  host: { pcpus: 1 }
  seconds: 1
  domains:
    - { name: hog }
    - { name: io, workload: { type: duty, run_ms: 1, sleep_ms: 9 } }
vary: { seconds: [1] }
`),
    );
    const line = runSweepPoint(plan, 0);
    const io = line.phases![0]!.domains['io']!;
    // It wakes every 10 ms (run 1, sleep 9) and waits for the hog's slice to end or to preempt it by BOOST: about 100 wakes in 1 s.
    assert.ok(io.wake_latency !== undefined && io.wake_latency.count >= 90 && io.wake_latency.count <= 101, JSON.stringify(io));
    // No wake waits longer than the hog's slice (30 ms); most preempt it at once, so the mean is far below the tail.
    assert.ok(io.wake_latency.p99_us <= 30_000 && io.wake_latency.mean_us < io.wake_latency.p99_us, JSON.stringify(io));
    assert.equal(line.phases![0]!.domains['hog']!.wake_latency, undefined, 'a CPU-bound domain never wakes');
  });
});

describe('sweep summary', () => {
  it("a mean and a 95% interval of Student's t across seeds", () => {
    // 1..5: mean 3, sample sd sqrt(2.5), t(4) = 2.776: 2.776 * sqrt(2.5 / 5) = 1.9629.
    const e = estimate([1, 2, 3, 4, 5]);
    assert.equal(e.mean, 3);
    assert.ok(Math.abs(e.ci95 - 1.9629) < 1e-4, String(e.ci95));
    assert.deepEqual(estimate([7]), { n: 1, mean: 7, ci95: 0 });
    // Two values 0 and 2: sd sqrt(2), t(1) = 12.706: 12.706 * sqrt(2 / 2).
    assert.ok(Math.abs(estimate([0, 2]).ci95 - 12.706) < 1e-9);
  });

  it('groups the runs by point, leaving failed runs out of the estimate and counting them', () => {
    const line = (run: number, point: number, pct: number | null): SweepLine => ({
      sweep: 'h',
      run,
      runs: 4,
      point,
      seed: run,
      values: { x: point },
      ...(pct === null ? { error: 'no' } : { phases: [{ from_s: 0, to_s: 1, domains: { a: { pct } }, groups: {} }] }),
    });
    const rows = summarise([line(0, 0, 10), line(1, 0, 20), line(2, 1, 30), line(3, 1, null)]);
    assert.deepEqual(
      rows.map((r) => [r.point, r.name, r.estimate.n, r.estimate.mean, r.failed]),
      [
        [0, 'a', 2, 15, 0],
        [1, 'a', 1, 30, 1],
      ],
    );
  });
});

describe('sweep merge', () => {
  const line = (run: number, runs = 4, sweep = 'aaaa'): string => JSON.stringify({ sweep, run, runs, point: run, seed: 1, values: {}, phases: [] });

  it('puts the shards back in run order, each line as written', () => {
    const merged = mergeShards([
      { name: 's0', text: `${line(0)}\n${line(3)}\n` },
      { name: 's1', text: `${line(1)}\n` },
      { name: 's2', text: `${line(2)}\n` },
    ]);
    assert.equal(merged, [0, 1, 2, 3].map((run) => `${line(run)}\n`).join(''));
  });

  it('refuses missing, duplicated and foreign runs, naming each', () => {
    const refusal = (files: { name: string; text: string }[]): string => {
      try {
        mergeShards(files);
      } catch (error) {
        assert.ok(error instanceof MergeError);
        return error.message;
      }
      assert.fail('merged');
    };
    assert.equal(refusal([{ name: 'a', text: `${line(0)}\n${line(3)}\n` }]), '2 of 4 runs are missing: 1-2');
    assert.equal(refusal([{ name: 'a', text: `${line(0)}\n${line(1)}\n${line(2)}\n` }, { name: 'b', text: `${line(2)}\n${line(3)}\n` }]), 'run 2 appears 2 times (a:3, b:1)');
    assert.equal(
      refusal([{ name: 'a', text: `${line(0)}\n${line(1)}\n${line(2)}\n${line(3)}\n` }, { name: 'b', text: `${line(1, 4, 'bbbb')}\n` }]),
      'b:1 is from another sweep (sweep bbbb, 4 runs; a:1 has sweep aaaa, 4 runs)',
    );
    assert.match(refusal([{ name: 'a', text: 'nonsense\n' }]), /a:1 is not a JSON line/);
    assert.equal(refusal([{ name: 'a', text: '' }]), 'no result lines to merge');
  });
});

/** The texts of an SVG document, parsed as XML. */
function svgTexts(svg: string): string[] {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'text') for (const t of [value].flat()) texts.push(typeof t === 'object' && t !== null ? String((t as Record<string, unknown>)['#text'] ?? '') : String(t));
      else walk(value);
    }
  };
  const document = new XMLParser({ ignoreAttributes: false }).parse(svg, true) as Record<string, unknown>;
  assert.ok(document['svg'] !== undefined, 'an <svg> document');
  walk(document);
  return texts;
}

const count = (texts: string[], text: string): number => texts.filter((t) => t === text).length;

describe('plots', () => {
  it('nemesis run --plot: CPU % over simulated time, one stacked series per domain, the phases marked', () => {
    const result = runScenario(parseScenario(SCENARIO, 's'), { traceMaxEvents: 100_000 });
    const texts = svgTexts(sharesPlotSvg(result));
    assert.equal(count(texts, 'simulated time (s)'), 1);
    assert.equal(count(texts, 'CPU (% of one pCPU)'), 1);
    assert.deepEqual(
      texts.filter((t) => ['guest', 'stubdom'].includes(t)),
      ['guest', 'stubdom'],
      'a legend entry per domain',
    );
    assert.equal(texts.filter((t) => t.startsWith('phase ')).length, 2, 'two boundaries');
  });

  it("the shares over time add up to each phase's CPU time", () => {
    const result = runScenario(parseScenario(SCENARIO, 's'), { traceMaxEvents: 100_000 });
    const shares = sharesOverTime(result.trace!, result.names);
    const bucket_s = shares.bucket_ns / 1e9;
    for (const name of ['guest', 'stubdom']) {
      const series = shares.series.get(name)!;
      result.phases.forEach((phase) => {
        const buckets = series.slice(Math.round(phase.from_ms / 1000 / bucket_s), Math.round(phase.to_ms / 1000 / bucket_s));
        const mean = buckets.reduce((a, b) => a + b, 0) / buckets.length;
        const pct = phase.domains.find((d) => d.name === name)!.pct!;
        assert.ok(Math.abs(mean - pct) < 0.01, `${name} from ${phase.from_ms} ms: ${mean} against ${pct}`);
      });
    }
  });

  it('nemesis sweep --plot: a panel per value of the second parameter, a line per domain and group, bands with seeds', () => {
    const plan = readSweep(sweepFile(`scenario: SCENARIO\nvary:\n  domains.guest.cap: [10, 30]\n  groups.guest.members.stubdom.share: [256, 768]\nseeds: 2\n`, SCENARIO));
    const lines = Array.from({ length: plan.points * 2 }, (_, run) => runSweepPoint(plan, run));
    const svg = sweepPlotSvg(lines);
    const texts = svgTexts(svg);
    assert.equal(count(texts, 'domains.guest.cap (% of one pCPU)'), 2, 'an x-axis title per panel');
    assert.equal(count(texts, 'CPU (% of one pCPU)'), 2);
    assert.equal(count(texts, 'groups.guest.members.stubdom.share = 256'), 1);
    assert.equal(count(texts, 'groups.guest.members.stubdom.share = 768'), 1);
    assert.deepEqual(
      texts.filter((t) => ['guest', 'stubdom', 'group guest'].includes(t)),
      ['guest', 'stubdom', 'group guest'],
      'three series in the legend',
    );
    assert.ok(texts.some((t) => t.includes('mean of 2 seeds, band: 95% confidence interval')));
    assert.throws(() => sweepPlotSvg(lines.map((l) => ({ ...l, values: { ...l.values, z: 1 } }))), /this sweep varies 3/);
  });
});

describe('published files', () => {
  it('sweep.schema.json is what src/schemas/sweep.ts generates (run `npm run openapi` after changing it)', () => {
    assert.equal(readFileSync(SWEEP_SCHEMA_FILE, 'utf8'), renderSweepSchema());
  });

  it('examples/cap-sweep.yaml is a valid sweep of 18 points and 5 seeds', () => {
    const plan = readSweep(new URL('../../examples/cap-sweep.yaml', import.meta.url).pathname);
    assert.deepEqual([plan.points, plan.seeds.length], [18, 5]);
  });

  it("deploy/kubernetes/sweep-job.yaml is an Indexed Job and its volume claim, valid against Kubernetes' schema, N the same in all three places", () => {
    const text = readFileSync(new URL('../../deploy/kubernetes/sweep-job.yaml', import.meta.url), 'utf8');
    const documents = text.split(/^---$/m).map((part) => parse(part) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- a manifest
    assert.deepEqual(documents.map((d) => d['kind']), ['PersistentVolumeClaim', 'Job']);
    const [claim, job] = [documents[0]!, documents[1]!];
    new PersistentVolumeClaim(claim).validate();
    new Job(job).validate();
    assert.equal(job['spec'].completionMode, 'Indexed');
    const container = job['spec'].template.spec.containers[0];
    const shardArgument = container.args[container.args.indexOf('--shard') + 1];
    assert.equal(shardArgument, `$(JOB_COMPLETION_INDEX)/${job['spec'].completions}`);
    assert.equal(job['spec'].parallelism, job['spec'].completions);
    assert.equal(job['spec'].template.spec.volumes.find((v: { name: string }) => v.name === 'results').persistentVolumeClaim.claimName, claim['metadata'].name);
    // The schema refuses what a cluster would: a shard count that is not an integer.
    assert.throws(() => new Job({ ...job, spec: { ...job['spec'], completions: 'three' } }).validate(), /completions must be integer/);
  });
});
