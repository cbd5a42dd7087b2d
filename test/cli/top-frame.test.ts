import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Domain, SchedulingDomain } from '../../src/cli/client.ts';
import { arrange, computeFrame, nextWindow, type Sample } from '../../src/cli/top-frame.ts';

const domain = (id: number, name: string, cpu_time_ns: number, vcpus = 1): Domain => ({
  id, name, cpu_time_ns, vcpus, uuid: '00000000-0000-4000-8000-000000000000', state: 'running', max_vcpus: vcpus, memory_mb: 256,
  sched: { weight: 256, cap: 0 }, workload: { type: 'cpu' }, scheduling_domain: null, cpupool: 'Pool-0',
});
const group: SchedulingDomain = { master: 1, master_share: 256, active: true, members: [{ domain: 2, share: 256, active: true }], cpu_time_ns: 0 };
const sample = (now_s: number, guest_s: number, stub_s: number, busy_s: number, speed = 1): Sample => ({
  now_ns: now_s * 1e9,
  speed,
  domains: [domain(0, 'Domain-0', 0, 2), domain(1, 'guest', guest_s * 1e9), domain(2, 'stubdom', stub_s * 1e9)],
  groups: [group],
  pcpus: [
    { id: 0, current: null, busy_ns: busy_s * 1e9, idle_ns: (now_s - busy_s) * 1e9 },
    { id: 1, current: null, busy_ns: 0, idle_ns: now_s * 1e9 },
  ],
});

describe("top's frames", () => {
  it('shows the first frame over all simulated time so far, and says so', () => {
    const frame = computeFrame(nextWindow(undefined, sample(10, 3, 1, 4)));
    assert.deepEqual([frame.since, frame.interval_ns, frame.clock_frozen], ['boot', 10e9, false]);
    assert.deepEqual(frame.rows.map((r) => [r.name, r.cpu_pct, r.group]), [['Domain-0', 0, '-'], ['guest', 30, 'guest'], ['stubdom', 10, 'guest']]);
    assert.equal(frame.busy_pct, 20); // 4 s busy of 2 pCPUs × 10 s
  });

  it('shows CPU(%) over the simulated time between refreshes; on a frozen clock, that nothing changed since the last frame', () => {
    let window = nextWindow(undefined, sample(10, 3, 1, 4));
    window = nextWindow(window, sample(12, 3.5, 2.5, 6)); // over 2 s: guest 0.5 s, stubdom 1.5 s, 2 s busy of 4
    assert.deepEqual(computeFrame(window).rows.map((r) => [r.name, r.cpu_pct]), [['Domain-0', 0], ['guest', 25], ['stubdom', 75]]);
    assert.deepEqual([computeFrame(window).busy_pct, computeFrame(window).since], [50, 'last frame']);
    window = nextWindow(window, sample(12, 3.5, 2.5, 6, 0));
    const frozen = computeFrame(window);
    assert.deepEqual(frozen.rows.map((r) => [r.name, r.cpu_pct, r.cpu_ns]), [['Domain-0', 0, 0], ['guest', 0, 3.5e9], ['stubdom', 0, 2.5e9]]);
    assert.deepEqual([frozen.interval_ns, frozen.busy_pct, frozen.since, frozen.clock_frozen], [0, 0, 'last frame', true]);
  });

  it('sorts by a column and folds a group into one line with its domains under it', () => {
    const rows = computeFrame(nextWindow(undefined, sample(10, 3, 1, 4))).rows;
    assert.deepEqual(arrange(rows, { sort: 'p', reverse: false, fold: false }).map((r) => r.name), ['guest', 'stubdom', 'Domain-0']);
    assert.deepEqual(arrange(rows, { sort: 'n', reverse: true, fold: false }).map((r) => r.name), ['stubdom', 'guest', 'Domain-0']);
    const folded = arrange(rows, { sort: 'p', reverse: false, fold: true });
    assert.deepEqual(folded.map((r) => [r.name, r.cpu_pct, r.vcpus, r.members?.map((m) => m.name)]), [
      ['guest', 40, 2, ['guest', 'stubdom']],
      ['Domain-0', 0, 2, undefined],
    ]);
  });
});
