/**
 * Duty phases are bounded below: 1e-6 ms phases used to cost 10^7 events per
 * 10 ms tick and hang the daemon. The domctl refuses phases under 0.1 ms, and
 * the engine never runs a phase shorter than that, whatever it is handed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clampWorkload, DomctlErrorCode, WORKLOAD_MIN_PHASE_MS } from '../../src/hypervisor/index.ts';
import { Engine } from '../../src/hypervisor/engine.ts';
import { cpuTimeNs, newHost, NS_PER_MS } from './helpers.ts';

describe('duty workload phases', () => {
  for (const [field, workload] of [
    ['workload.run_ms', { type: 'duty', run_ms: 0.000001, sleep_ms: 1 }],
    ['workload.sleep_ms', { type: 'duty', run_ms: 1, sleep_ms: 0.099 }],
  ] as const) {
    it(`refuse a phase under ${WORKLOAD_MIN_PHASE_MS} ms, naming ${field}, at create and at change`, () => {
      const host = newHost(1);
      const created = host.domctl({ op: 'createdomain', domid: 1, max_vcpus: 1, vcpus: 1, workload });
      assert.equal(created.ok, false);
      if (created.ok) return;
      assert.equal(created.error.code, DomctlErrorCode.INVALID_ARGUMENT);
      assert.equal(created.error.field, field);
      assert.match(created.error.message, /must be a number of ms in 0\.1\.\.3600000/);
      assert.equal(host.domctl({ op: 'getdomaininfo', domid: 1 }).ok, false);
      assert.ok(host.domctl({ op: 'createdomain', domid: 1, max_vcpus: 1, vcpus: 1 }).ok);
      const changed = host.domctl({ op: 'setworkload', domid: 1, workload });
      assert.equal(changed.ok ? 'accepted' : changed.error.field, field);
    });
  }

  it('accept exactly the minimum: 0.1 ms run, 0.1 ms sleep gives half a pCPU', () => {
    const host = newHost(1);
    assert.ok(host.domctl({ op: 'createdomain', domid: 1, max_vcpus: 1, vcpus: 1, workload: { type: 'duty', run_ms: 0.1, sleep_ms: 0.1 } }).ok);
    host.advanceTo(1000 * NS_PER_MS);
    // Alone on its pCPU it runs every burst at once: 0.1 of every 0.2 ms, whatever its random start phase (± one period).
    assert.ok(Math.abs(cpuTimeNs(host, 1) - 500 * NS_PER_MS) <= 0.2 * NS_PER_MS, `${cpuTimeNs(host, 1)} ns`);
  });

  it('the engine runs no phase shorter than the minimum, even one the domctl never checked', () => {
    for (const phase_ms of [0.000001, 0.0000001, 0]) {
      // Straight into the engine, past the domctl's check (as a stored configuration once was).
      const engine = new Engine({ pcpus: 1, seed: 1 });
      const domain = engine.createDomain(1, 1, { type: 'duty', run_ms: phase_ms, sleep_ms: phase_ms }, false);
      engine.setOnline(domain.vcpus[0]!, true);
      const before = engine.events_processed;
      engine.advanceTo(engine.now_ns + 10 * NS_PER_MS);
      // 10 ms of 0.1 ms bursts and 0.1 ms sleeps: 100 phase ends and one tick, not 10^7 events (or, at 0 ns, no end).
      const events = engine.events_processed - before;
      assert.ok(events <= 110, `phases of ${phase_ms} ms: ${events} events in 10 ms`);
      const run_ns = engine.domainCpuTimeNs(domain);
      assert.ok(Math.abs(run_ns - 5 * NS_PER_MS) <= 0.2 * NS_PER_MS, `phases of ${phase_ms} ms: ${run_ns} ns`);
    }
  });

  it('clamp a stored workload into the accepted range, and leave a valid one as it is', () => {
    assert.deepEqual(clampWorkload({ type: 'duty', run_ms: 0.000001, sleep_ms: 5 }), { type: 'duty', run_ms: 0.1, sleep_ms: 5 });
    assert.deepEqual(clampWorkload({ type: 'duty', run_ms: 1e12, sleep_ms: Number.NaN }), { type: 'duty', run_ms: 3_600_000, sleep_ms: 0.1 });
    const valid = { type: 'duty', run_ms: 0.1, sleep_ms: 9 } as const;
    assert.equal(clampWorkload(valid), valid);
    const cpu = { type: 'cpu' } as const;
    assert.equal(clampWorkload(cpu), cpu);
  });
});
