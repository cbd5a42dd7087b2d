/** Scenario files and the headless runner: reference tables worked out by hand, the examples, errors, the published schema. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderScenarioSchema, SCENARIO_SCHEMA_FILE } from '../../scripts/scenario-schema-document.ts';
import { parseScenario } from '../../src/lab/scenario-file.ts';
import { runScenario, ScenarioError, type ScenarioResult } from '../../src/lab/scenario.ts';

const EXAMPLES = new URL('../../examples/', import.meta.url);

/** Shares over whole phases include the few ms a change takes to act (one accounting period, 30 ms): half a point. */
const TOLERANCE = 0.5;

function assertTable(result: ScenarioResult, expected: Record<string, (number | null)[]>): void {
  for (const [name, row] of Object.entries(expected)) {
    row.forEach((want, p) => {
      const phase = result.phases[p]!;
      const got = name.startsWith('group ') ? (phase.groups.find((g) => g.master === name.slice(6))?.pct ?? null) : phase.domains.find((d) => d.name === name)!.pct;
      if (want === null) return assert.equal(got, null, `${name}, phase ${p + 1}`);
      assert.ok(got !== null && Math.abs(got - want) <= TOLERANCE, `${name}, phase ${p + 1}: ${got} is not ${want.toFixed(2)} ± ${TOLERANCE}`);
    });
  }
}

const scenario = (yaml: string) => parseScenario(yaml, 'test.yaml');

describe('scenario runner', () => {
  it('one pCPU: weights, a late start, a cap, a group, a pause — the reference table', () => {
    const result = runScenario(
      scenario(`
host: { pcpus: 1 }
seconds: 120
domains:
  - { name: a }
  - { name: b }
  - { name: c, weight: 768, start: false }
timeline:
  - { at_ms: 20000, op: sched, domain: b, set: { weight: 768 } }
  - { at_ms: 40000, op: power, domain: c, action: start }
  - { at_ms: 60000, op: sched, domain: a, set: { cap: 10 } }
  - { at_ms: 80000, op: add-member, group: a, member: { domain: c } }
  - { at_ms: 100000, op: power, domain: b, action: pause }
`),
    );
    assert.deepEqual(result.phases.map((p) => [p.from_ms, p.to_ms]), [[0, 20000], [20000, 40000], [40000, 60000], [60000, 80000], [80000, 100000], [100000, 120000]]);
    // By hand, from the credit scheduler's rules (credit-scheduler.md), one pCPU = 100:
    // 1. two equal weights: 50 / 50.
    // 2. 256 : 768: a 25, b 75.
    // 3. c starts at 768: 256 : 768 : 768 = 1/7, 3/7, 3/7.
    // 4. a capped at 10 (a hard limit); b and c, equal weights, split the other 90.
    // 5. c joins a's group: the group is a (weight 256, cap 10) over both vCPUs, split evenly: 5 / 5; b, alone, the rest.
    // 6. b paused: the cap still holds on an idle host; the group keeps its 10.
    assertTable(result, {
      a: [50, 25, 100 / 7, 10, 5, 5],
      b: [50, 75, 300 / 7, 45, 90, 0],
      c: [null, null, 300 / 7, 45, 5, 5],
      'group a': [null, null, null, null, 10, 10],
    });
    assert.deepEqual(result.phases[4]!.changes, ['add c to a']);
  });

  it('two pCPUs: per-domain weights over vCPUs, a group with the master\'s cap and unequal shares — the reference table', () => {
    const result = runScenario(
      scenario(`
host: { pcpus: 2 }
seconds: 60
domains:
  - { name: web, vcpus: 2 }
  - { name: db }
  - { name: batch, vcpus: 2, weight: 512 }
timeline:
  - { at_ms: 20000, op: sched, domain: db, set: { weight: 512 } }
  - { at_ms: 40000, op: sched, domain: web, set: { cap: 50 } }
  - { at_ms: 40000, op: add-member, group: web, member: { domain: db, share: 768 } }
`),
    );
    // By hand, two pCPUs = 200, weights per domain (Xen 3.1):
    // 1. 256 : 256 : 512 of 200: web 50, db 50, batch 100.
    // 2. db at 512: 256 : 512 : 512 of 200: 40, 80, 80 (db's one vCPU can use up to 100).
    // 3. the group web+db has web's weight and cap 50: its fair 200 × 256/768 = 66.7 is over the cap, so 50,
    //    split by shares 256 : 768 = 12.5 / 37.5; batch's two vCPUs take the other 150.
    assertTable(result, {
      web: [50, 40, 12.5],
      db: [50, 80, 37.5],
      batch: [100, 80, 150],
      'group web': [null, null, 50],
    });
  });

  it('is deterministic: the same scenario gives the same trace_hash; another seed another run', () => {
    const yaml = (seed: number) => `
host: { pcpus: 2, seed: ${seed} }
seconds: 5
domains:
  - { name: a, workload: { type: duty, run_ms: 3, sleep_ms: 4 } }
  - { name: b, vcpus: 2 }
`;
    assert.equal(runScenario(scenario(yaml(9))).trace_hash, runScenario(scenario(yaml(9))).trace_hash);
    assert.notEqual(runScenario(scenario(yaml(9))).trace_hash, runScenario(scenario(yaml(10))).trace_hash);
  });

  it('--seconds overrides the file; timeline entries past the end are reported, not applied; a trace covers the run', () => {
    const result = runScenario(
      scenario(`
host: { pcpus: 1 }
domains: [{ name: a }]
timeline: [{ at_ms: 3000, op: sched, domain: a, set: { cap: 20 } }]
`),
      { seconds: 2, traceMaxEvents: 100_000 },
    );
    assert.equal(result.seconds, 2);
    assert.equal(result.phases.length, 1);
    assert.deepEqual(result.ignored, ['timeline[0] at 3000 ms']);
    assert.ok(Math.abs(result.phases[0]!.domains[0]!.pct! - 100) < 0.01, 'the cap was never applied');
    assert.equal(result.trace!.start_ns, 0);
    assert.equal(result.trace!.end_ns, 2_000_000_000);
    assert.equal(result.names.get(1), 'a');
  });

  it('refuses a bad file before running, naming each problem where it is', () => {
    assert.throws(() => scenario('host: { pcpus: 0 }\ndomains: []'), (e: Error) => e instanceof ScenarioError && /\/host\/pcpus must be >= 1/.test(e.message) && /\/domains must NOT have fewer than 1 items/.test(e.message));
    assert.throws(() => scenario('host: [1'), /test\.yaml: not YAML or JSON/);
    const badOp = 'host: { pcpus: 1 }\ndomains: [{ name: a }]\ntimeline: [{ at_ms: 1, op: explode, domain: a }]';
    assert.throws(() => scenario(badOp), /\/timeline\/0/);
    const badWorkload = 'host: { pcpus: 1 }\ndomains: [{ name: a, workload: { type: duty, run_ms: 0.01, sleep_ms: 1 } }]';
    assert.throws(() => scenario(badWorkload), /\/domains\/0\/workload/);
  });

  it('refuses what the API refuses, naming the entry: an unknown domain, a cap out of range, a name used twice', () => {
    const run = (yaml: string) => () => runScenario(scenario(yaml));
    assert.throws(run('host: { pcpus: 1 }\ndomains: [{ name: a }]\ntimeline: [{ at_ms: 5, op: sched, domain: b, set: { cap: 5 } }]'), /timeline\[0\] \(at 5 ms, sched\): no domain is named b/);
    assert.throws(run('host: { pcpus: 1 }\ndomains: [{ name: a }]\ntimeline: [{ at_ms: 5, op: sched, domain: a, set: { cap: 150 } }]'), /timeline\[0\] \(at 5 ms, sched\): cap: must be (an integer )?in 0\.\.100/);
    assert.throws(run('host: { pcpus: 1 }\ndomains: [{ name: a }, { name: a }]'), /domains\[1\]: the name a is used twice/);
    assert.throws(run('host: { pcpus: 1 }\ndomains: [{ name: a, affinity: [3] }]'), /domains\[0\] \(a\):.*pCPU/);
  });
});

describe('cpupool-migrate in a timeline', () => {
  it("a domain moved to a credit2 pool claims per vCPU there, and leaves its old pool's pCPU to the one left", () => {
    // pCPU 0 is Pool-0 (credit), pCPU 1 is batch (credit2); all CPU-bound, equal weights.
    // Before: a (1 vCPU) and b (2 vCPUs) share pCPU 0 by domain under credit, 50 and 50; c has pCPU 1, 100.
    // After b moves to batch: a alone on pCPU 0, 100; on pCPU 1 credit2 gives each vCPU the weight,
    // so b claims 2 × 256 against c's 256: 100 × 2/3 and 100 × 1/3.
    const result = runScenario(parseScenario(readFileSync(new URL('cpupool-migrate.yaml', EXAMPLES), 'utf8'), 'cpupool-migrate.yaml'));
    assert.deepEqual(result.phases[1]!.changes, ['move b to batch']);
    assertTable(result, { a: [50, 100], b: [50, 200 / 3], c: [100, 100 / 3] });
  });

  it('is the API request it stands for: a grouped domain stays in its pool, an unknown pool is named', () => {
    const run = (timeline: string) => () =>
      runScenario(scenario(`host: { pcpus: 2 }\ncpupools: [{ name: batch, pcpus: [1] }]\ndomains: [{ name: a }, { name: b }]\ngroups: [{ master: a, members: [{ domain: b }] }]\ntimeline: [${timeline}]`));
    assert.throws(run('{ at_ms: 5, op: cpupool-migrate, domain: b, cpupool: batch }'), (error: unknown) => {
      assert.ok(error instanceof ScenarioError);
      assert.match(error.message, /^timeline\[0\] \(at 5 ms, cpupool-migrate\): domain b is a member of a's scheduling domain, which stays in one cpupool/);
      return true;
    });
    assert.throws(run('{ at_ms: 5, op: cpupool-migrate, domain: a, cpupool: nowhere }'), /^Error: timeline\[0\] \(at 5 ms, cpupool-migrate\): .*nowhere/);
  });
});

describe('examples/', () => {
  const run = (file: string) => runScenario(parseScenario(readFileSync(new URL(file, EXAMPLES), 'utf8'), file));

  it('every example is valid and runs', () => {
    // Sweep files (their first line names sweep.schema.json) are run by `nemesis sweep`: test/lab/sweep.test.ts checks them.
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml') && !readFileSync(new URL(f, EXAMPLES), 'utf8').startsWith('# yaml-language-server: $schema=../sweep.schema.json'));
    assert.ok(files.length >= 4);
    for (const file of files) assert.ok(run(file).phases.length >= 2, file);
  });

  it("the 2007 scheduling-domain patches' demo: capped at 10, then the pair together at 10", () => {
    assertTable(run('xen-2007-demo.yaml'), { guest: [50, 10, 5], stubdom: [50, 90, 5], 'group guest': [null, null, 10] });
  });

  it('the stub domain: outside the group it escapes the guest\'s cap; inside, the cap covers both', () => {
    assertTable(run('stub-domain-hvm.yaml'), { hvm: [30, 15], 'hvm-stub': [20, 15], tenant: [50, 70], 'group hvm': [null, 30] });
  });

  it('the weight sweep follows the weights', () => {
    assertTable(run('weight-sweep.yaml'), { a: [50, 100 / 3, 20, 200 / 3], b: [50, 200 / 3, 80, 100 / 3] });
  });

  it('sampled accounting is gamed by a guest that dodges the tick; exact accounting is not', () => {
    const [sampled, exact] = run('sampled-accounting.yaml').phases;
    const gamer = (phase: (typeof sampled)): number => phase!.domains.find((d) => d.name === 'gamer')!.pct!;
    assert.ok(gamer(sampled) > 80, `under sampled accounting the gamer takes most of the pCPU: ${gamer(sampled)}`);
    assert.ok(Math.abs(gamer(exact) - 50) <= TOLERANCE, `under exact accounting its fair half: ${gamer(exact)}`);
  });
});

describe('scenario.schema.json', () => {
  it('is what src/schemas/scenario.ts generates (run `npm run openapi` after changing it)', () => {
    assert.equal(readFileSync(SCENARIO_SCHEMA_FILE, 'utf8'), renderScenarioSchema());
  });
});
