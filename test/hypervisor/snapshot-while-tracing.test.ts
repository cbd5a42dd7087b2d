/** A snapshot taken while a scheduler trace records: the trace stays with the live host, the copy runs the same without one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Host } from '../../src/hypervisor/index.ts';
import { createDomain, newHost, NS_PER_MS } from './helpers.ts';

describe('snapshot while tracing', () => {
  it('copies the host without the recorder, and both make the same decisions', () => {
    const host = newHost(2, 7);
    createDomain(host, 1, { vcpus: 2 });
    createDomain(host, 2, { workload: { type: 'duty', run_ms: 3, sleep_ms: 7 } });
    host.advanceTo(50 * NS_PER_MS);
    const recorder = host.startTrace(100 * NS_PER_MS, 100_000);
    host.advanceTo(80 * NS_PER_MS);

    const copy = Host.fromSnapshot(structuredClone(host.snapshot()));
    assert.equal(host.tracing, true);
    assert.equal(copy.tracing, false);

    for (const target of [host, copy]) target.advanceTo(2000 * NS_PER_MS);
    assert.equal(copy.trace_hash, host.trace_hash);
    const trace = recorder.finish();
    assert.ok(trace.events.length > 0);
    assert.equal(trace.end_ns, 150 * NS_PER_MS);
  });
});
