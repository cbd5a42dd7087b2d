/** Scheduler traces: every ns of every pCPU accounted, the ledger against CPU time, the reasons, the bound, and no effect on the run. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Host, SchedTrace, SwitchEvent, TracedVcpu } from '../../src/hypervisor/index.ts';
import { createDomain, must, newHost, NS_PER_MS } from './helpers.ts';

const key = (v: TracedVcpu | null): string => (v === null ? 'idle' : `${v.domid}.${v.vcpu}`);
const switches = (trace: SchedTrace): SwitchEvent[] => trace.events.filter((e): e is SwitchEvent => e.kind === 'switch');

/** Walk each pCPU's switches from what it ran at the start: ns per vCPU key (and 'idle') per pCPU. */
function timeline(trace: SchedTrace): Map<string, number>[] {
  const running = trace.initial.map(key);
  const since = trace.initial.map(() => trace.start_ns);
  const totals = trace.initial.map(() => new Map<string, number>());
  const add = (pcpu: number, until_ns: number): void => {
    const totalsHere = totals[pcpu]!;
    totalsHere.set(running[pcpu]!, (totalsHere.get(running[pcpu]!) ?? 0) + until_ns - since[pcpu]!);
    since[pcpu] = until_ns;
  };
  for (const event of switches(trace)) {
    assert.equal(key(event.from), running[event.pcpu], `at ${event.t_ns} ns pCPU ${event.pcpu} switches from what it ran`);
    assert.ok(event.t_ns >= since[event.pcpu]!, 'switches come in time order');
    add(event.pcpu, event.t_ns);
    running[event.pcpu] = key(event.to);
  }
  for (let pcpu = 0; pcpu < trace.pcpus; pcpu++) add(pcpu, trace.end_ns);
  return totals;
}

function record(host: Host, window_ms: number, max_events = 1_000_000): SchedTrace {
  const recorder = host.startTrace(window_ms * NS_PER_MS, max_events);
  host.advanceTo(host.now_ns + window_ms * NS_PER_MS);
  assert.ok(recorder.doneAt(host.now_ns));
  const trace = recorder.finish();
  assert.equal(host.tracing, false, 'the recorder lets go of the host once its window is over');
  return trace;
}

/** A busy mixed host: CPU hogs, a capped one, short duty cycles, one pinned. */
function mixedHost(): Host {
  const host = newHost(4, 7);
  createDomain(host, 1, { vcpus: 2 });
  createDomain(host, 2, { cap: 30 });
  createDomain(host, 3, { vcpus: 2, workload: { type: 'duty', run_ms: 3, sleep_ms: 7 } });
  createDomain(host, 4, { workload: { type: 'duty', run_ms: 0.4, sleep_ms: 1.1 }, affinity: [[2]] });
  createDomain(host, 5, { weight: 512 });
  host.advanceTo(1000 * NS_PER_MS + 123_457);
  return host;
}

describe('scheduler traces', () => {
  it("account for every ns of each pCPU: busy and idle time as the host counts them, each vCPU's CPU time", () => {
    const host = mixedHost();
    const pcpusBefore = must(host, { op: 'getcpuinfo' });
    const cpuBefore = must(host, { op: 'getdomaininfolist' }).map((d) => d.cpu_time_ns);
    const trace = record(host, 700);
    assert.equal(trace.truncated, false);
    assert.equal(trace.end_ns - trace.start_ns, 700 * NS_PER_MS);
    const totals = timeline(trace);
    const pcpusAfter = must(host, { op: 'getcpuinfo' });
    totals.forEach((perVcpu, pcpu) => {
      const all = [...perVcpu.values()].reduce((a, b) => a + b, 0);
      assert.equal(all, 700 * NS_PER_MS, `pCPU ${pcpu}: running + idle = the window`);
      assert.equal(perVcpu.get('idle') ?? 0, pcpusAfter[pcpu]!.idle_ns - pcpusBefore[pcpu]!.idle_ns, `pCPU ${pcpu} idle`);
      assert.equal(all - (perVcpu.get('idle') ?? 0), pcpusAfter[pcpu]!.busy_ns - pcpusBefore[pcpu]!.busy_ns, `pCPU ${pcpu} busy`);
    });
    must(host, { op: 'getdomaininfolist' }).forEach((domain, i) => {
      let traced = 0;
      for (const perVcpu of totals) for (const [k, ns] of perVcpu) if (k.startsWith(`${domain.domid}.`)) traced += ns;
      assert.equal(traced, domain.cpu_time_ns - cpuBefore[i]!, `domain ${domain.domid}'s CPU time`);
    });
    const reasons = new Set(switches(trace).map((e) => e.reason));
    for (const reason of ['timeslice', 'block', 'wake', 'wake-preempt', 'steal', 'park']) assert.ok(reasons.has(reason as SwitchEvent['reason']), `a ${reason} switch`);
    assert.ok(trace.events.some((e) => e.kind === 'boost'));
    assert.ok(trace.events.some((e) => e.kind === 'park') && trace.events.some((e) => e.kind === 'unpark'));
    assert.ok(switches(trace).some((e) => e.wake_latency_ns !== undefined && e.wake_latency_ns > 0), 'wake-to-run latency');
  });

  it('two equal CPU hogs on one pCPU switch once a timeslice, every 30 ms, and nothing else', () => {
    const host = newHost(1);
    createDomain(host, 1);
    createDomain(host, 2);
    host.advanceTo(1000 * NS_PER_MS);
    const trace = record(host, 300);
    const events = switches(trace);
    assert.equal(events.length, 10);
    for (const [i, event] of events.entries()) {
      assert.equal(event.reason, 'timeslice');
      if (i > 0) assert.equal(event.t_ns - events[i - 1]!.t_ns, 30 * NS_PER_MS);
      assert.notEqual(key(event.from), key(event.to));
    }
  });

  it("the ledger: what each vCPU burned is the CPU time it ran (10 credits a ms), and before − burned + handed = after", () => {
    // One pCPU: its tick (on which accounting follows) charges the running vCPU up to that ns, so a
    // window between two accountings holds every credit burned in it, give or take one carried fraction.
    const host = newHost(1);
    createDomain(host, 1);
    createDomain(host, 2, { workload: { type: 'duty', run_ms: 4, sleep_ms: 11 } });
    createDomain(host, 3, { cap: 20 });
    host.advanceTo(1020 * NS_PER_MS);
    const cpuBefore = [1, 2, 3].map((domid) => must(host, { op: 'getdomaininfo', domid }).cpu_time_ns);
    const trace = record(host, 600);
    const ledgers = trace.events.filter((e) => e.kind === 'ledger');
    assert.deepEqual([...new Set(ledgers.map((e) => e.period))].length, 20, 'one accounting every 30 ms, the one at the end included');
    for (const [i, domid] of [1, 2, 3].entries()) {
      const own = ledgers.filter((e) => e.vcpu.domid === domid);
      const burned = own.reduce((sum, e) => sum + e.burned, 0);
      const ran_ns = must(host, { op: 'getdomaininfo', domid }).cpu_time_ns - cpuBefore[i]!;
      assert.ok(Math.abs(burned - ran_ns / 100_000) <= 1, `domain ${domid}: burned ${burned}, ran ${ran_ns} ns`);
      for (const e of own) {
        const sum = e.credit_before - e.burned + e.handed_out;
        // Clamped at −300 (one 30 ms slice), or reset to 0 when an idle vCPU stops earning.
        assert.ok(sum === e.credit_after || (sum < -300 && e.credit_after === -300) || (sum > 300 && e.credit_after === 0 && !e.active), JSON.stringify(e));
      }
    }
    const last = ledgers.filter((e) => e.vcpu.domid === 1).at(-1)!;
    assert.equal(last.credit_after, must(host, { op: 'getvcpuinfo', domid: 1 })[0]!.credit, 'the last ledger is the credit the vCPU has');
  });

  it('a trace changes nothing of the run: the same trace_hash with and without it', () => {
    const traced = mixedHost();
    const plain = mixedHost();
    record(traced, 500);
    plain.advanceTo(traced.now_ns);
    assert.equal(traced.trace_hash, plain.trace_hash);
  });

  it('stops at its event limit, flagged, and still accounts every ns up to where it stopped', () => {
    const host = mixedHost();
    const recorder = host.startTrace(700 * NS_PER_MS, 50);
    host.advanceTo(host.now_ns + 100 * NS_PER_MS);
    assert.equal(host.tracing, false, 'detached at the limit');
    const trace = recorder.finish();
    assert.equal(trace.truncated, true);
    assert.equal(trace.events.length, 50);
    assert.ok(trace.end_ns < trace.requested_end_ns);
    for (const perVcpu of timeline(trace)) assert.equal([...perVcpu.values()].reduce((a, b) => a + b, 0), trace.end_ns - trace.start_ns);
  });

  it('estimates a window up front from the host size and the slice', () => {
    const host = newHost(4);
    createDomain(host, 1, { vcpus: 4 });
    // 1000 ms: 100 ticks × 4 pCPUs × 2 switches, and 34 accounting periods × 8 online vCPUs (4 of Domain-0, 4 of domain 1) × 2.
    assert.equal(host.estimateTraceEvents(1000 * NS_PER_MS), 800 + 34 * 8 * 2);
  });
});
