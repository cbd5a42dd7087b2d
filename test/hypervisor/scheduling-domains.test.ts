/**
 * Scheduling domains ("nemesis", README.md "The simulated host"): a group obtains only its
 * master's timeslices, accounted as one entity with the master's weight and cap.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CAP_UNCHANGED, DomctlErrorCode, WEIGHT_UNCHANGED, type DomctlOp } from '../../src/hypervisor/index.ts';
import { NS_PER_MS, NS_PER_S, assertNear, cpuTimeNs, createDomain, measureShares, must, newHost, snapshot } from './helpers.ts';

describe('scheduling domains: shares', () => {
  it("the 2007 demo: master capped at 10 plus a CPU-bound member get 10% together, about 5% each", () => {
    const host = newHost(1);
    createDomain(host, 1, { cap: 10 });
    createDomain(host, 2);
    assertNear(measureShares(host, [2], 5)[0]!, 90, 0.5, 'the member-to-be, on its own');
    const atJoin_ns = cpuTimeNs(host, 1) + cpuTimeNs(host, 2);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    const [master, member] = measureShares(host, [1, 2], 30);
    assertNear(master! + member!, 10, 0.3, 'the group');
    assertNear(master!, 5, 0.5, 'master');
    assertNear(member!, 5, 0.5, 'member');
    const group = must(host, { op: 'schedgroup', cmd: 'get', master: 1 });
    // What the pair used since they formed the group.
    assert.equal(group.cpu_time_ns, cpuTimeNs(host, 1) + cpuTimeNs(host, 2) - atJoin_ns);
    assert.deepEqual(group.members, [{ domid: 2, share: 256 }]);
  });

  it('membership takes effect from the next accounting period (within one 30 ms timeslice)', () => {
    const host = newHost(1);
    createDomain(host, 1, { cap: 10 });
    createDomain(host, 2);
    host.advanceTo(NS_PER_S + 5 * NS_PER_MS);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    host.advanceTo(host.now_ns + 30 * NS_PER_MS);
    // From here on the pair is held to the master's 10%: at most one 30 ms slice each per 300 ms.
    const [master, member] = measureShares(host, [1, 2], 3);
    assert.ok(master! + member! <= 12, `group used ${master! + member!}% right after joining`);
  });

  it('a group of two CPU-bound domains against an independent domain of equal weight: 50% / 50%', () => {
    const host = newHost(1);
    for (const domid of [1, 2, 3]) createDomain(host, domid);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    const [master, member, independent] = measureShares(host, [1, 2, 3], 30);
    assertNear(master! + member!, 50, 0.5, 'group');
    assertNear(independent!, 50, 0.5, 'independent');
  });

  it('a group of three on 2 pCPUs with a cap of 150 on a 1-vCPU master gets 1.5 pCPUs', () => {
    const host = newHost(2);
    for (const domid of [1, 2, 3]) createDomain(host, domid);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 3 });
    // 150 exceeds the master's own 100 × 1 vCPU: allowed because the group spans three vCPUs.
    must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: 150 });
    const shares = measureShares(host, [1, 2, 3], 30);
    assertNear(shares.reduce((a, b) => a + b, 0), 150, 0.5, 'group');
    for (const share of shares) assertNear(share, 50, 1, 'each of three');
  });

  it('shares 3:1 inside a capped group give 3:1 of the group time', () => {
    const host = newHost(1);
    createDomain(host, 1, { cap: 20 });
    createDomain(host, 2);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2, share: 256 });
    must(host, { op: 'schedgroup', cmd: 'set_share', master: 1, domid: 1, share: 768 });
    const [master, member] = measureShares(host, [1, 2], 60);
    assertNear(master! + member!, 20, 0.3, 'group');
    assertNear(master! / member!, 3, 0.15, 'ratio');
  });

  it('equal shares give exactly the minimal (share-less) behaviour', () => {
    const run = (share: number) => {
      const host = newHost(1, 5);
      createDomain(host, 1, { cap: 10 });
      createDomain(host, 2);
      must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2, share });
      must(host, { op: 'schedgroup', cmd: 'set_share', master: 1, domid: 1, share });
      host.advanceTo(20 * NS_PER_S);
      return must(host, { op: 'physinfo' }).trace_hash;
    };
    assert.equal(run(1), run(65535));
  });

  it('a stub domain and its HVM guest (both I/O-like) never exceed the master cap over any second', () => {
    const host = newHost(1);
    createDomain(host, 1, { cap: 30, workload: { type: 'duty', run_ms: 8, sleep_ms: 2 } });
    createDomain(host, 2, { workload: { type: 'duty', run_ms: 2, sleep_ms: 3 } });
    createDomain(host, 3);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    host.advanceTo(NS_PER_S);
    let total = 0;
    for (let second = 0; second < 30; second++) {
      const [hvm, stub] = measureShares(host, [1, 2], 1);
      // The cap is enforced per 30 ms period; a one-second window may catch one slice of burst (3 pt).
      assert.ok(hvm! + stub! <= 30 + 3, `second ${second}: pair used ${hvm! + stub!}%`);
      total += hvm! + stub!;
    }
    assertNear(total / 30, 30, 0.5, 'pair on average');
  });
});

describe('scheduling domains: membership changes', () => {
  it('a member that leaves gets its own weight and cap back', () => {
    const host = newHost(1);
    createDomain(host, 1, { cap: 10 });
    createDomain(host, 2, { weight: 512, cap: 40 });
    createDomain(host, 3);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    assert.deepEqual(must(host, { op: 'scheduler_op', domid: 2, cmd: 'getinfo' }), { weight: 512, cap: 40 });
    host.advanceTo(5 * NS_PER_S);
    must(host, { op: 'schedgroup', cmd: 'remove_member', master: 1, member: 2 });
    assert.equal(must(host, { op: 'getdomaininfo', domid: 2 }).scheduling_domain, null);
    host.advanceTo(host.now_ns + NS_PER_S);
    const [master, left, other] = measureShares(host, [1, 2, 3], 30);
    assertNear(master!, 10, 0.5, 'master on its own');
    assertNear(left!, 40, 0.5, 'former member at its own cap');
    assertNear(other!, 50, 0.5, 'the rest');
  });

  it("destroying the master frees the members to their own parameters; the master's cap is kept when members leave", () => {
    const host = newHost(1);
    createDomain(host, 1, { cap: 10 });
    createDomain(host, 2);
    createDomain(host, 3);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 3 });
    must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: 250 });
    must(host, { op: 'schedgroup', cmd: 'remove_member', master: 1, member: 3 });
    assert.equal(must(host, { op: 'scheduler_op', domid: 1, cmd: 'getinfo' }).cap, 250);
    must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: 10 });
    host.advanceTo(2 * NS_PER_S);
    must(host, { op: 'destroydomain', domid: 1 });
    assert.equal(must(host, { op: 'getdomaininfo', domid: 2 }).scheduling_domain, null);
    assert.deepEqual(must(host, { op: 'schedgroup', cmd: 'list' }), []);
    host.advanceTo(host.now_ns + NS_PER_S);
    const [a, b] = measureShares(host, [2, 3], 30);
    assertNear(a!, 50, 0.5, 'freed member');
    assertNear(b!, 50, 0.5, 'other');
  });

  it('destroying a member shrinks the group', () => {
    const host = newHost(1);
    createDomain(host, 1, { cap: 30 });
    createDomain(host, 2);
    createDomain(host, 3);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 3 });
    host.advanceTo(2 * NS_PER_S);
    must(host, { op: 'destroydomain', domid: 3 });
    assert.deepEqual(must(host, { op: 'schedgroup', cmd: 'get', master: 1 }).members, [{ domid: 2, share: 256 }]);
    host.advanceTo(host.now_ns + NS_PER_S);
    const [master, member] = measureShares(host, [1, 2], 30);
    assertNear(master! + member!, 30, 0.3, 'the group of two keeps the cap');
    assertNear(master!, 15, 0.7, 'master');
  });

  it('an explicitly created group starts empty and can be dissolved', () => {
    const host = newHost(1);
    createDomain(host, 1);
    createDomain(host, 2);
    assert.deepEqual(must(host, { op: 'schedgroup', cmd: 'create', master: 1 }).members, []);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    assert.equal(must(host, { op: 'schedgroup', cmd: 'dissolve', master: 1 }), null);
    assert.equal(must(host, { op: 'getdomaininfo', domid: 2 }).scheduling_domain, null);
  });
});

describe('scheduling domains: errors change nothing', () => {
  const setup = () => {
    const host = newHost(1);
    for (const domid of [1, 2, 3, 4, 5]) createDomain(host, domid, { cap: domid === 1 ? 10 : 0 });
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 3, member: 4 });
    host.advanceTo(NS_PER_S);
    return host;
  };
  const cases: readonly [string, DomctlOp, string][] = [
    ['no such master', { op: 'schedgroup', cmd: 'add_member', master: 9, member: 5 }, DomctlErrorCode.NO_SUCH_DOMAIN],
    ['no such member', { op: 'schedgroup', cmd: 'add_member', master: 1, member: 9 }, DomctlErrorCode.NO_SUCH_DOMAIN],
    ['a domain joining itself', { op: 'schedgroup', cmd: 'add_member', master: 5, member: 5 }, DomctlErrorCode.SELF_MEMBERSHIP],
    ['a member already in a group', { op: 'schedgroup', cmd: 'add_member', master: 3, member: 2 }, DomctlErrorCode.ALREADY_IN_GROUP],
    ['a member joining its own group again', { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 }, DomctlErrorCode.ALREADY_IN_GROUP],
    ['a master joining another group', { op: 'schedgroup', cmd: 'add_member', master: 5, member: 1 }, DomctlErrorCode.NESTED_GROUP],
    ['a member becoming a master', { op: 'schedgroup', cmd: 'add_member', master: 2, member: 5 }, DomctlErrorCode.NESTED_GROUP],
    ['Domain-0 as a member', { op: 'schedgroup', cmd: 'add_member', master: 1, member: 0 }, DomctlErrorCode.DOMAIN0_PROTECTED],
    ['a share out of range', { op: 'schedgroup', cmd: 'add_member', master: 1, member: 5, share: 0 }, DomctlErrorCode.INVALID_ARGUMENT],
    ['removing a non-member', { op: 'schedgroup', cmd: 'remove_member', master: 1, member: 4 }, DomctlErrorCode.NOT_A_MEMBER],
    ['getting a group that does not exist', { op: 'schedgroup', cmd: 'get', master: 5 }, DomctlErrorCode.NO_SUCH_GROUP],
    ['dissolving a group that does not exist', { op: 'schedgroup', cmd: 'dissolve', master: 5 }, DomctlErrorCode.NO_SUCH_GROUP],
    ['creating a group twice', { op: 'schedgroup', cmd: 'create', master: 1 }, DomctlErrorCode.GROUP_EXISTS],
    ["a share for someone outside the group", { op: 'schedgroup', cmd: 'set_share', master: 1, domid: 4, share: 5 }, DomctlErrorCode.NOT_A_MEMBER],
    ['a master cap above 100 x the group vCPUs', { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: 201 }, DomctlErrorCode.INVALID_ARGUMENT],
    ['a member cap above its own vCPUs', { op: 'scheduler_op', domid: 2, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: 101 }, DomctlErrorCode.INVALID_ARGUMENT],
  ];
  for (const [what, op, code] of cases) {
    it(`${what}: ${code}`, () => {
      const host = setup();
      const before = snapshot(host);
      const result = host.domctl(op);
      assert.equal(result.ok ? 'ok' : result.error.code, code);
      assert.equal(snapshot(host), before);
      // And the simulation goes on exactly as if the call had never been made.
      const reference = setup();
      host.advanceTo(5 * NS_PER_S);
      reference.advanceTo(5 * NS_PER_S);
      assert.equal(must(host, { op: 'physinfo' }).trace_hash, must(reference, { op: 'physinfo' }).trace_hash);
    });
  }

  it('a member keeps its own cap setting while grouped, and it can still be changed', () => {
    const host = setup();
    must(host, { op: 'scheduler_op', domid: 2, cmd: 'putinfo', weight: 100, cap: CAP_UNCHANGED });
    assert.deepEqual(must(host, { op: 'scheduler_op', domid: 2, cmd: 'getinfo' }), { weight: 100, cap: 0 });
    const [master, member] = measureShares(host, [1, 2], 30);
    assertNear(master! + member!, 10, 0.3, "the member's own weight has no effect while grouped");
  });
});

describe('scheduling domains: unequal shares', () => {
  for (const [masterShare, memberShare] of [
    [128, 300],
    [1, 65535],
    [1000, 7],
  ] as const) {
    it(`shares ${masterShare}:${memberShare} split the group's time in proportion without exceeding the cap`, () => {
      const host = newHost(1);
      createDomain(host, 1, { cap: 10 });
      createDomain(host, 2);
      must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2, share: memberShare });
      must(host, { op: 'schedgroup', cmd: 'set_share', master: 1, domid: 1, share: masterShare });
      const [master, member] = measureShares(host, [1, 2], 60);
      assertNear(master! + member!, 10, 0.1, 'group');
      // 30 credits a period, split in whole credits: each side is within one credit (0.33 pt) of its share.
      assertNear(master!, (10 * masterShare) / (masterShare + memberShare), 0.34, 'master');
    });
  }
});
