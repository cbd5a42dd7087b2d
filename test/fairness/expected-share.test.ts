import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { expectedShares, type DomainDemand, type VcpuDemand } from '../../src/fairness/expected-share.ts';

const CPU: VcpuDemand = { demand_pct: 100, pcpus: 'all' };

function dom(domid: number, options: Partial<DomainDemand> = {}): DomainDemand {
  return { domid, weight: 256, cap: 0, master: null, share: 256, vcpus: [CPU], ...options };
}

function near(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-6, `${what}: expected ${expected}, got ${actual}`);
}

describe('expectedShares: hand-worked cases', () => {
  it('equal weights split one pCPU evenly', () => {
    const { domains } = expectedShares(1, [dom(1), dom(2)]);
    near(domains.get(1), 50, 'd1');
    near(domains.get(2), 50, 'd2');
  });

  it('weights 256:512 on one pCPU give a third and two thirds', () => {
    const { domains } = expectedShares(1, [dom(1), dom(2, { weight: 512 })]);
    near(domains.get(1), 100 / 3, 'd1');
    near(domains.get(2), 200 / 3, 'd2');
  });

  it('a cap bounds a domain and the rest goes to the others, even on an idle host', () => {
    const shared = expectedShares(1, [dom(1, { cap: 10 }), dom(2)]);
    near(shared.domains.get(1), 10, 'capped');
    near(shared.domains.get(2), 90, 'uncapped');
    assert.deepEqual([...shared.capped], [1]);
    near(expectedShares(4, [dom(1, { cap: 50 })]).domains.get(1), 50, 'cap 50 alone');
  });

  it('a vCPU uses at most one pCPU: a lone 1-vCPU domain on 4 pCPUs gets 100', () => {
    near(expectedShares(4, [dom(1)]).domains.get(1), 100, 'lone');
    near(expectedShares(4, [dom(1, { vcpus: [CPU, CPU, CPU] })]).domains.get(1), 300, 'three vCPUs');
  });

  it('a scheduling domain is one claimant with the master weight, split by share', () => {
    // One pCPU: group (master 1 + member 2) vs domain 3, equal weights: 50 for the group, 25 each inside.
    const equal = expectedShares(1, [dom(1), dom(2, { master: 1, weight: 9999 }), dom(3)]);
    near(equal.claimants.get(1), 50, 'group');
    near(equal.domains.get(1), 25, 'master');
    near(equal.domains.get(2), 25, 'member');
    near(equal.domains.get(3), 50, 'alone');
    // master_share 768, member 256: the group's 50 splits 37.5 / 12.5.
    const skewed = expectedShares(1, [dom(1, { share: 768 }), dom(2, { master: 1 }), dom(3)]);
    near(skewed.domains.get(1), 37.5, 'master 3/4');
    near(skewed.domains.get(2), 12.5, 'member 1/4');
  });

  it('a share is per domain: split by share first, then evenly over the domain\'s vCPUs', () => {
    // Two pCPUs, the group alone: master idle-ish (3 vCPUs at 5/35), members of 1 and 3 CPU-bound vCPUs,
    // shares 886, 772, 983. The master takes its 300/7; the rest goes 772 : 983 by domain, not per vCPU.
    const duty: VcpuDemand = { demand_pct: 100 / 7, pcpus: 'all' };
    const shares = expectedShares(2, [
      dom(1, { weight: 970, share: 886, vcpus: [duty, duty, duty] }),
      dom(2, { master: 1, share: 772 }),
      dom(3, { master: 1, share: 983, cap: 121, vcpus: [CPU, CPU, CPU] }),
    ]);
    const rest = 200 - 300 / 7;
    near(shares.domains.get(1), 300 / 7, 'master');
    near(shares.domains.get(2), (rest * 772) / 1755, 'member of 1 vCPU');
    near(shares.domains.get(3), (rest * 983) / 1755, 'member of 3 vCPUs');
    // The full host stopped the members' vCPUs: 69.1 for the one, 29.3 for each of the three.
    assert.deepEqual([...shares.contended.keys()].sort(), [2, 3]);
    near(shares.contended.get(2)![0], (rest * 772) / 1755, 'contended one');
    for (const pct of shares.contended.get(3)!) near(pct, (rest * 983) / 1755 / 3, 'contended three');
  });

  it("a member's own cap has no effect inside its group, and a domain's part it cannot use goes to the others", () => {
    // One pCPU, the group alone; member 2 capped at 10 on its own, shares 1:1: 50 each all the same.
    const capped = expectedShares(1, [dom(1), dom(2, { master: 1, cap: 10 })]);
    near(capped.domains.get(2), 50, 'member capped at 10 on its own');
    // Four pCPUs: member 2 has 1 vCPU and the larger share; it stops at 100 and member 3's 3 vCPUs take the rest.
    const saturated = expectedShares(4, [dom(1, { vcpus: [] }), dom(2, { master: 1, share: 900 }), dom(3, { master: 1, share: 100, vcpus: [CPU, CPU, CPU] })]);
    near(saturated.domains.get(2), 100, 'one vCPU at most one pCPU');
    near(saturated.domains.get(3), 300, 'the rest');
    assert.equal(saturated.contended.size, 2, 'all four vCPUs hold a whole pCPU');
  });

    it("the 2007 demo: a master capped at 10 and a member get 10 together, 5 each", () => {
    const demo = expectedShares(4, [dom(1, { cap: 10 }), dom(2, { master: 1 })]);
    near(demo.claimants.get(1), 10, 'group');
    near(demo.domains.get(1), 5, 'master');
    near(demo.domains.get(2), 5, 'member');
  });

  it('a demand-limited member leaves its part to the rest of its group first', () => {
    // One pCPU; group (master cpu + member duty 10/90 = 10%) vs domain 3, equal weights.
    // The group holds 50: the member takes its 10, the master the other 40; domain 3 still 50.
    const duty: VcpuDemand = { demand_pct: 10, pcpus: 'all' };
    const shares = expectedShares(1, [dom(1), dom(2, { master: 1, vcpus: [duty] }), dom(3)]);
    near(shares.domains.get(2), 10, 'member');
    near(shares.domains.get(1), 40, 'master');
    near(shares.domains.get(3), 50, 'alone');
  });

  it('pinning can make a weight unattainable, and the others take the room', () => {
    // Two pCPUs. A (512) and B (256) pinned to pCPU 0; C (256, 2 vCPUs) anywhere.
    // Unpinned, A's half of the weight would be 100; pinned with B it is 2/3 of pCPU 0. C gets pCPU 1 whole.
    const p0: VcpuDemand = { demand_pct: 100, pcpus: [0] };
    const shares = expectedShares(2, [dom(1, { weight: 512, vcpus: [p0] }), dom(2, { vcpus: [p0] }), dom(3, { vcpus: [CPU, CPU] })]);
    near(shares.domains.get(1), 200 / 3, 'A');
    near(shares.domains.get(2), 100 / 3, 'B');
    near(shares.domains.get(3), 100, 'C');
  });

  it('pinned domains that could be rearranged still get their fair shares', () => {
    // Two pCPUs, three equal CPU-bound domains: A pinned to 0, B and C anywhere: 200/3 each (B and C spread over both).
    const shares = expectedShares(2, [dom(1, { vcpus: [{ demand_pct: 100, pcpus: [0] }] }), dom(2), dom(3)]);
    for (const domid of [1, 2, 3]) near(shares.domains.get(domid), 200 / 3, `d${domid}`);
  });

  it('a duty guest below its fair share gets its demand, the hog the rest', () => {
    const duty: VcpuDemand = { demand_pct: 25, pcpus: 'all' };
    const shares = expectedShares(1, [dom(1, { vcpus: [duty] }), dom(2)]);
    near(shares.domains.get(1), 25, 'duty');
    near(shares.domains.get(2), 75, 'hog');
  });

  it('paused or halted domains (no runnable vCPUs) get 0', () => {
    const shares = expectedShares(1, [dom(1, { vcpus: [] }), dom(2)]);
    near(shares.domains.get(1), 0, 'paused');
    near(shares.domains.get(2), 100, 'running');
  });
});

const hosts = fc.integer({ min: 1, max: 4 }).chain((pcpus) => {
  const vcpu = fc.record({
    demand_pct: fc.oneof(fc.constant(100), fc.integer({ min: 1, max: 100 })),
    pcpus: fc.oneof(fc.constant<'all'>('all'), fc.uniqueArray(fc.integer({ min: 0, max: pcpus - 1 }), { minLength: 1, maxLength: pcpus })),
  });
  const domain = fc.record({
    weight: fc.integer({ min: 1, max: 1024 }),
    capPerVcpu: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 })),
    share: fc.integer({ min: 1, max: 1024 }),
    joins: fc.option(fc.nat(), { nil: null }),
    vcpus: fc.array(vcpu, { minLength: 0, maxLength: 3 }),
  });
  return fc.tuple(fc.constant(pcpus), fc.array(domain, { minLength: 1, maxLength: 5 }));
}).map(([pcpus, raw]) => {
  // Domain i may join an earlier domain that is not itself a member (no nesting).
  const domains: DomainDemand[] = [];
  for (const [i, d] of raw.entries()) {
    const heads = domains.filter((x) => x.master === null);
    const master = d.joins === null || heads.length === 0 ? null : heads[d.joins % heads.length]!.domid;
    domains.push({ domid: i + 1, weight: d.weight, cap: d.capPerVcpu * Math.max(1, d.vcpus.length), master, share: d.share, vcpus: d.vcpus });
  }
  return { pcpus, domains };
});

describe('expectedShares: properties', () => {
  it('shares add up to at most the host, no domain above its vCPUs, no claimant above its cap', () => {
    fc.assert(fc.property(hosts, ({ pcpus, domains }) => {
      const shares = expectedShares(pcpus, domains);
      let total = 0;
      for (const d of domains) {
        const pct = shares.domains.get(d.domid)!;
        total += pct;
        assert.ok(pct >= 0 && pct <= d.vcpus.length * 100 + 1e-6, `domain ${d.domid}: ${pct}`);
      }
      assert.ok(total <= pcpus * 100 + 1e-6, `total ${total}`);
      for (const d of domains) {
        if (d.master !== null || d.cap === 0) continue;
        assert.ok(shares.claimants.get(d.domid)! <= d.cap + 1e-6, `claimant ${d.domid} above cap ${d.cap}`);
      }
    }), { numRuns: 300 });
  });

  it('raising a claimant weight never lowers its expected share', () => {
    fc.assert(fc.property(hosts, fc.nat(), fc.integer({ min: 1, max: 4096 }), ({ pcpus, domains }, pick, extra) => {
      const heads = domains.filter((d) => d.master === null);
      const head = heads[pick % heads.length]!;
      const before = expectedShares(pcpus, domains).claimants.get(head.domid) ?? 0;
      const raised = domains.map((d) => (d === head ? { ...d, weight: d.weight + extra } : d));
      const after = expectedShares(pcpus, raised).claimants.get(head.domid) ?? 0;
      assert.ok(after >= before - 1e-6, `weight ${head.weight} → ${head.weight + extra}: ${before} → ${after}`);
    }), { numRuns: 300 });
  });
});
