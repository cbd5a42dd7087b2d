/**
 * A scenario makes its changes through the daemon's own control layer: the
 * same changes made through the API at the same simulated times give the same
 * host (the same trace_hash), the same groups in force and the same shares.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseScenario } from '../../src/lab/scenario-file.ts';
import { runScenario } from '../../src/lab/scenario.ts';
import { build, type TestDaemon } from '../helpers.ts';

const NS_PER_MS = 1e6;

type Request = readonly [Parameters<TestDaemon['request']>[0], string, object?];

/** The API's side: each step's requests at `at_ms`, then the shares per phase as a scenario reports them (percent of one pCPU). */
async function throughApi(d: TestDaemon, steps: readonly { at_ms: number; requests: readonly Request[] }[], end_ms: number) {
  const phases: Map<string, number>[] = [];
  let now_ms = 0;
  let before = await cpuTimes(d);
  for (const [i, step] of steps.entries()) {
    if (step.at_ms > now_ms) {
      assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: step.at_ms - now_ms })).status, 200);
      const after = await cpuTimes(d);
      phases.push(shares(before, after, step.at_ms - now_ms));
      now_ms = step.at_ms;
    }
    for (const [method, url, body] of step.requests) {
      const reply = await d.request(method, `/api/v1${url}`, body);
      assert.ok(reply.status < 300, `step ${i}: ${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    before = await cpuTimes(d);
  }
  assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: end_ms - now_ms })).status, 200);
  phases.push(shares(before, await cpuTimes(d), end_ms - now_ms));
  return phases;
}

/** CPU time of the guests the hypervisor runs (a halted domain has none to measure; a scenario reports no Domain-0). */
async function cpuTimes(d: TestDaemon): Promise<Map<string, number>> {
  const domains = (await d.request('GET', '/api/v1/domains')).body as { id: number; name: string; state: string; cpu_time_ns: number }[];
  return new Map(domains.filter((x) => x.id !== 0 && x.state !== 'halted').map((x) => [x.name, x.cpu_time_ns]));
}

function shares(before: Map<string, number>, after: Map<string, number>, ms: number): Map<string, number> {
  return new Map([...after].filter(([name]) => before.has(name)).map(([name, cpu]) => [name, ((cpu - before.get(name)!) / (ms * NS_PER_MS)) * 100]));
}

/** The scenario's shares per phase, by name, for the domains it measured. */
function scenarioShares(result: ReturnType<typeof runScenario>): Map<string, number>[] {
  return result.phases.map((phase) => new Map(phase.domains.flatMap((d) => (d.pct === null ? [] : [[d.name, d.pct] as const]))));
}

describe('a scenario and the API give the same result', () => {
  it('a master destroyed and started again: its group is in force again, with its member', async (t) => {
    const result = runScenario(parseScenario(`
host: { pcpus: 2 }
seconds: 6
domains:
  - { name: m }
  - { name: s }
  - { name: other, vcpus: 2 }
groups:
  - { master: m, members: [{ domain: s }] }
timeline:
  - { at_ms: 2000, op: power, domain: m, action: destroy }
  - { at_ms: 4000, op: power, domain: m, action: start }
`, 'restart.yaml'));
    assert.deepEqual(result.phases.map((p) => p.groups.map((g) => [g.master, g.members])), [[['m', ['s']]], [], [['m', ['s']]]]);

    const d = await build(t, { pcpus: 2 });
    const api = await throughApi(d, [
      { at_ms: 0, requests: [
        ['POST', '/domains', { name: 'm', start: true }],
        ['POST', '/domains', { name: 's', start: true }],
        ['POST', '/domains', { name: 'other', vcpus: 2, start: true }],
        ['POST', '/scheduling-domains', { master: 'm', members: [{ domain: 's' }] }],
      ] },
      { at_ms: 2000, requests: [['POST', '/domains/m/destroy']] },
      { at_ms: 4000, requests: [['POST', '/domains/m/start']] },
    ], 6000);
    const group = (await d.request('GET', '/api/v1/scheduling-domains/m')).body;
    assert.deepEqual([group.active, group.members.map((m: { domain: number; active: boolean }) => [m.domain, m.active])], [true, [[2, true]]]);
    assert.equal((await d.request('GET', '/api/v1/host')).body.trace_hash, result.trace_hash);
    assert.deepEqual(scenarioShares(result), api);
    // In force again: m and s together have m's weight, as much as other (100 of 200 each), not two domains' 133.
    const last = api[2]!;
    assert.ok(Math.abs(last.get('m')! + last.get('s')! - 100) < 1, JSON.stringify([...last]));
  });

  it('a domain moved to another cpupool (cpupool-migrate): the same host as PUT /domains/{ref}/cpupool', async (t) => {
    // examples/cpupool-migrate.yaml, for 4 s with the move at 2 s.
    const file = parseScenario(readFileSync(new URL('../../examples/cpupool-migrate.yaml', import.meta.url), 'utf8'), 'cpupool-migrate.yaml');
    const result = runScenario({ ...file, timeline: file.timeline!.map((change) => ({ ...change, at_ms: 2000 })) }, { seconds: 4 });

    const d = await build(t, { pcpus: 2 });
    const api = await throughApi(d, [
      { at_ms: 0, requests: [
        ['DELETE', '/cpupools/0/pcpus/1'],
        ['POST', '/cpupools', { name: 'batch', sched: 'credit2', pcpus: [1] }],
        ['POST', '/domains', { name: 'a', start: true }],
        ['POST', '/domains', { name: 'b', vcpus: 2, start: true }],
        ['POST', '/domains', { name: 'c', cpupool: 'batch', start: true }],
      ] },
      { at_ms: 2000, requests: [['PUT', '/domains/b/cpupool', { cpupool: 'batch' }]] },
    ], 4000);
    assert.equal((await d.request('GET', '/api/v1/domains/b')).body.cpupool, 'batch');
    assert.equal((await d.request('GET', '/api/v1/host')).body.trace_hash, result.trace_hash);
    assert.deepEqual(scenarioShares(result), api);
  });

  it('a halted domain joins a group, and is in it once started', async (t) => {
    const result = runScenario(parseScenario(`
host: { pcpus: 1 }
seconds: 6
domains:
  - { name: a }
  - { name: h, start: false }
  - { name: b }
timeline:
  - { at_ms: 1000, op: add-member, group: a, member: { domain: h, share: 512 } }
  - { at_ms: 2000, op: power, domain: h, action: start }
`, 'halted-member.yaml'));
    assert.deepEqual(result.phases.map((p) => p.groups.map((g) => [g.master, g.members])), [[], [['a', []]], [['a', ['h']]]]);

    const d = await build(t, { pcpus: 1 });
    const api = await throughApi(d, [
      { at_ms: 0, requests: [
        ['POST', '/domains', { name: 'a', start: true }],
        ['POST', '/domains', { name: 'h' }],
        ['POST', '/domains', { name: 'b', start: true }],
      ] },
      { at_ms: 1000, requests: [['POST', '/scheduling-domains/a/members', { domain: 'h', share: 512 }]] },
      { at_ms: 2000, requests: [['POST', '/domains/h/start']] },
    ], 6000);
    const group = (await d.request('GET', '/api/v1/scheduling-domains/a')).body;
    assert.deepEqual([group.active, group.members.map((m: { domain: number; share: number; active: boolean }) => [m.domain, m.share, m.active])], [true, [[2, 512, true]]]);
    assert.equal((await d.request('GET', '/api/v1/host')).body.trace_hash, result.trace_hash);
    assert.deepEqual(scenarioShares(result), api);
    // One pCPU, two equal weights: b has half; in the last phase a and h split the group's half 256 : 512.
    const last = api[2]!;
    assert.ok(Math.abs(last.get('b')! - 50) < 1 && Math.abs(last.get('a')! - 50 / 3) < 1 && Math.abs(last.get('h')! - 100 / 3) < 1, JSON.stringify([...last]));
  });
});
