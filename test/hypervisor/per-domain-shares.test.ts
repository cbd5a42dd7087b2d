/**
 * A scheduling domain's share is per domain: a domain's share is split over
 * its active vCPUs, so the vCPU count of a domain does not change what its
 * domain gets; equal shares of 1-vCPU domains stay the even split of the 2007
 * patches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WEIGHT_UNCHANGED } from '../../src/hypervisor/index.ts';
import { NS_PER_S, assertNear, createDomain, measureShares, must, newHost } from './helpers.ts';

const traceHashAfter = (build: (host: ReturnType<typeof newHost>) => void): string => {
  const host = newHost(2, 7);
  build(host);
  host.advanceTo(10 * NS_PER_S);
  return must(host, { op: 'physinfo' }).trace_hash;
};

describe('scheduling domains: a share is per domain', () => {
  it('a 2-vCPU member with its 1-vCPU master\'s share gets the same time as the master (75/75 of a cap of 150)', () => {
    const host = newHost(2);
    createDomain(host, 1);
    createDomain(host, 2, { vcpus: 2 });
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: 150 });
    const [master, member] = measureShares(host, [1, 2], 30);
    assertNear(master! + member!, 150, 0.5, 'group');
    assertNear(master!, 75, 1, 'master (1 vCPU)');
    assertNear(member!, 75, 1, 'member (2 vCPUs)');
  });

  it('shares 2:1 with a 2-vCPU master and a 1-vCPU member give 2:1 of the group time', () => {
    const host = newHost(2);
    createDomain(host, 1, { vcpus: 2, cap: 90 });
    createDomain(host, 2);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2, share: 256 });
    must(host, { op: 'schedgroup', cmd: 'set_share', master: 1, domid: 1, share: 512 });
    const [master, member] = measureShares(host, [1, 2], 30);
    assertNear(master! + member!, 90, 0.5, 'group');
    assertNear(master!, 60, 1, 'master');
    assertNear(member!, 30, 1, 'member');
  });

  // Hashes recorded with the credit policy as it was before shares became per domain (and with the
  // per-pCPU tick phases): where every vCPU weighs the same, nothing changed.
  it('equal shares of 1-vCPU domains reproduce the earlier run bit for bit', () => {
    const hash = traceHashAfter((host) => {
      for (const domid of [1, 2, 3]) createDomain(host, domid);
      must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
      must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 3 });
      must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: 150 });
    });
    assert.equal(hash, 'ccc99a6658576dd4');
  });

  it('equal shares of domains with equal vCPU counts reproduce the earlier run bit for bit', () => {
    const hash = traceHashAfter((host) => {
      createDomain(host, 1, { vcpus: 2, cap: 150 });
      createDomain(host, 2, { vcpus: 2 });
      createDomain(host, 3);
      must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    });
    assert.equal(hash, 'c591c882289dd7f8');
  });
});
