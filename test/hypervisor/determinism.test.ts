/** A run replays exactly: same seed and operations, same trace; splitting time into calls changes nothing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Host } from '../../src/hypervisor/index.ts';
import { NS_PER_MS, NS_PER_S, createDomain, must, newHost } from './helpers.ts';

function mixedHost(seed: number): Host {
  const host = newHost(4, seed);
  createDomain(host, 1, { vcpus: 2, weight: 512 });
  createDomain(host, 2, { cap: 30 });
  for (let domid = 3; domid <= 8; domid++) createDomain(host, domid, { workload: { type: 'duty', run_ms: 2 + domid, sleep_ms: 7 } });
  must(host, { op: 'schedgroup', cmd: 'add_member', master: 2, member: 3 });
  return host;
}

describe('determinism', () => {
  it('the same seed and operations give the same trace hash and the same numbers', () => {
    const runs = [mixedHost(7), mixedHost(7)];
    for (const host of runs) host.advanceTo(20 * NS_PER_S);
    const [a, b] = runs.map((h) => must(h, { op: 'physinfo' }));
    assert.equal(a!.trace_hash, b!.trace_hash);
    assert.equal(a!.events_processed, b!.events_processed);
    assert.deepEqual(must(runs[0]!, { op: 'getdomaininfolist' }), must(runs[1]!, { op: 'getdomaininfolist' }));
  });

  it('a different seed gives a different run (duty workloads start at a seeded phase)', () => {
    const [a, b] = [mixedHost(7), mixedHost(8)];
    a.advanceTo(5 * NS_PER_S);
    b.advanceTo(5 * NS_PER_S);
    assert.notEqual(must(a, { op: 'physinfo' }).trace_hash, must(b, { op: 'physinfo' }).trace_hash);
  });

  it('one call or many uneven calls to advanceTo simulate the same run', () => {
    const whole = mixedHost(3);
    whole.advanceTo(60 * NS_PER_S);
    const pieces = mixedHost(3);
    let step = 1;
    while (pieces.now_ns < 60 * NS_PER_S) {
      pieces.advanceTo(Math.min(60 * NS_PER_S, pieces.now_ns + step));
      step = (step * 7919 + 12_345) % (37 * NS_PER_MS);
    }
    assert.equal(must(pieces, { op: 'physinfo' }).trace_hash, must(whole, { op: 'physinfo' }).trace_hash);
    assert.deepEqual(must(pieces, { op: 'getdomaininfolist' }), must(whole, { op: 'getdomaininfolist' }));
  });

  it('time never runs backwards', () => {
    const host = newHost(1);
    host.advanceTo(NS_PER_S);
    assert.throws(() => host.advanceTo(NS_PER_S - 1), RangeError);
  });
});
