import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers.ts';
import { failsAtStore, setupControl } from './helpers.ts';

describe('a change the store cannot persist changes nothing', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('leaves the hypervisor, memory and disk as they were', () => {
    const path = join(dir.path, 'flaky.db');
    const { host, store, control } = setupControl(path);
    control.domains.create({ name: 'm', start: true });
    control.domains.create({ name: 'x' });
    control.domains.create({ name: 'y', start: true });
    const live = (domid: number) => host.domctl({ op: 'getdomaininfo', domid });

    store.failNext = true;
    failsAtStore(() => control.domains.create({ name: 'z', start: true }));
    assert.equal(live(4).ok, false, 'the half-created domain is gone from the hypervisor');
    assert.equal(control.domains.create({ name: 'z' }).id, 4, 'the domid was not used up');

    store.failNext = true;
    failsAtStore(() => control.domains.power('x', 'start'));
    assert.equal(live(2).ok, false);
    assert.equal(control.domains.get('x').state, 'halted');

    store.failNext = true;
    failsAtStore(() => control.domains.power('y', 'pause'));
    const y = live(3);
    assert.ok(y.ok && y.value.state === 'running');

    store.failNext = true;
    failsAtStore(() => control.domains.setSched('m', { weight: 999, cap: 10 }));
    assert.deepEqual(host.domctl({ op: 'scheduler_op', domid: 1, cmd: 'getinfo' }), { ok: true, value: { weight: 256, cap: 0 } });
    assert.deepEqual(control.domains.getSched('m'), { weight: 256, cap: 0 });

    store.failNext = true;
    failsAtStore(() => control.schedulingDomains.addMember('m', { domain: 'y' }));
    assert.equal(host.domctl({ op: 'schedgroup', cmd: 'get', master: 1 }).ok, false, 'no group formed in the hypervisor');
    assert.equal(control.domains.get('y').scheduling_domain, null);

    control.schedulingDomains.addMember('m', { domain: 'y' });
    store.failNext = true;
    failsAtStore(() => control.domains.power('y', 'destroy'));
    const group = host.domctl({ op: 'schedgroup', cmd: 'get', master: 1 });
    assert.ok(group.ok && group.value.members.some((member) => member.domid === 3), 'y is back in its group');

    const shares = () => {
      const live = host.domctl({ op: 'schedgroup', cmd: 'get', master: 1 });
      assert.ok(live.ok);
      return [live.value.master_share, live.value.members.map((member) => member.share)];
    };
    store.failNext = true;
    failsAtStore(() => control.schedulingDomains.update('m', { master_share: 768 }));
    assert.deepEqual(shares(), [256, [256]], 'the master\'s share is back in the hypervisor');
    assert.equal(control.schedulingDomains.get('m').master_share, 256);

    store.failNext = true;
    failsAtStore(() => control.schedulingDomains.setMemberShare('m', 'y', { share: 7 }));
    assert.deepEqual(shares(), [256, [256]], 'the member\'s share is back in the hypervisor');
    assert.deepEqual(control.schedulingDomains.get('m').members.map((member) => member.share), [256]);

    store.failNext = true;
    failsAtStore(() => control.schedulingDomains.remove('m'));
    assert.equal(host.domctl({ op: 'schedgroup', cmd: 'get', master: 1 }).ok, true, 'the group is formed again');

    store.failNext = true;
    failsAtStore(() => control.domains.setAffinity('m', 0, [0]));
    const vcpus = host.domctl({ op: 'getvcpuinfo', domid: 1 });
    assert.ok(vcpus.ok && vcpus.value[0]?.affinity === 'all');

    store.failNext = true;
    failsAtStore(() => control.host.setScheduler({ tslice_ms: 5 }));
    assert.deepEqual(host.domctl({ op: 'sched_global', cmd: 'getinfo' }), { ok: true, value: { tslice_ms: 30, ratelimit_us: 1000, accounting: 'exact' } });
    store.close();

    // Disk agrees with memory.
    const reopened = setupControl(path);
    assert.deepEqual(
      reopened.control.domains.list().map((d) => [d.id, d.name, d.state, d.sched.weight, d.scheduling_domain]),
      [[0, 'Domain-0', 'running', 256, null], [1, 'm', 'running', 256, 1], [2, 'x', 'halted', 256, null], [3, 'y', 'running', 256, 1], [4, 'z', 'halted', 256, null]],
    );
    assert.deepEqual(reopened.control.schedulingDomains.list().map((g) => [g.master, g.master_share, g.members.map((m) => [m.domain, m.share])]), [[1, 256, [[3, 256]]]]);
    reopened.store.close();
  });
});
