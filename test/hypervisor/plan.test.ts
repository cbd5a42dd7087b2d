/**
 * Plans: a request's domctls checked in sequence against the facts as the
 * earlier ones leave them, with nothing changed until the host applies them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomctlErrorCode, InvariantError } from '../../src/hypervisor/index.ts';
import { createDomain, must, newHost, snapshot } from './helpers.ts';

describe('plans', () => {
  it('check later steps against earlier ones, change nothing, then apply as one', () => {
    const host = newHost(2);
    createDomain(host, 1, { max_vcpus: 2, vcpus: 2 });
    const before = snapshot(host);
    const plan = host.plan();
    assert.equal(plan.add({ op: 'createdomain', domid: 2, max_vcpus: 1, vcpus: 1 }), null);
    // Domain 2 exists only in the plan: the host itself would refuse this.
    assert.equal(plan.add({ op: 'schedgroup', cmd: 'add_member', master: 1, member: 2, share: 512 }), null);
    // The group now spans 3 vCPUs, so the master may take a cap of 300 (the host alone allows 200).
    assert.equal(plan.add({ op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: 0, cap: 300 }), null);
    assert.equal(plan.add({ op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: 0, cap: 301 })?.code, DomctlErrorCode.INVALID_ARGUMENT);
    assert.equal(snapshot(host), before, 'planning changed the host');
    host.apply(plan);
    assert.deepEqual(must(host, { op: 'schedgroup', cmd: 'get', master: 1 }).members, [{ domid: 2, share: 512 }]);
    assert.deepEqual(must(host, { op: 'scheduler_op', domid: 1, cmd: 'getinfo' }), { weight: 256, cap: 300 });
  });

  it('follow destroy: a destroyed domain is gone for later steps, and its group with it', () => {
    const host = newHost(1);
    createDomain(host, 1);
    createDomain(host, 2);
    must(host, { op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    const plan = host.plan();
    assert.equal(plan.add({ op: 'destroydomain', domid: 1 }), null);
    assert.equal(plan.domain(2)?.master, null, 'the member left with its master');
    assert.equal(plan.add({ op: 'pausedomain', domid: 1 })?.code, DomctlErrorCode.NO_SUCH_DOMAIN);
    assert.equal(plan.add({ op: 'schedgroup', cmd: 'create', master: 2 }), null);
  });

  it('refuse a stale plan: applying after the host changed is a bug, not a request error', () => {
    const host = newHost(1);
    createDomain(host, 1);
    const plan = host.plan();
    assert.equal(plan.add({ op: 'pausedomain', domid: 1 }), null);
    must(host, { op: 'pausedomain', domid: 1 });
    assert.throws(() => host.apply(plan), InvariantError);
  });
});
