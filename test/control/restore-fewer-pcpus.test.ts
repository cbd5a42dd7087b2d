/**
 * Restarted on a host with fewer pCPUs (the documented behaviour, README
 * "The control plane" and src/control/restore.ts): Domain-0 follows the
 * host; a domain pinned to a pCPU the host no longer has is refused by the
 * hypervisor and halted, and reported; the rest come back as they were.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers.ts';
import { setupControl } from './helpers.ts';

describe('restore on fewer pCPUs', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('halts and reports what no longer fits; the rest, groups included, comes back', () => {
    const path = join(dir.path, 'shrunk.db');
    const big = setupControl(path, 4);
    big.control.domains.create({ name: 'free', vcpus: 2, start: true });
    big.control.domains.create({ name: 'pinned', vcpus: 1, start: true });
    big.control.domains.setAffinity('pinned', 0, [3]);
    big.control.domains.create({ name: 'low', vcpus: 1, start: true });
    big.control.domains.setAffinity('low', 0, [1]);
    big.control.domains.setAffinity('Domain-0', 3, [3]);
    big.control.schedulingDomains.addMember('free', { domain: 'pinned' });
    big.control.schedulingDomains.addMember('free', { domain: 'low', share: 512 });
    big.store.close();

    const small = setupControl(path, 2);
    try {
      assert.deepEqual(small.control.restore.failed.map((f) => f.domid), [2]);
      assert.match(small.control.restore.failed[0]!.reason, /pCPU 3 does not exist/);
      assert.deepEqual(small.control.restore.restored, [1, 3]);
      const state = (name: string) => small.control.domains.get(name).state;
      assert.deepEqual([state('free'), state('pinned'), state('low')], ['running', 'halted', 'running']);
      const domain0 = small.control.domains.get('Domain-0');
      assert.deepEqual([domain0.vcpus, domain0.max_vcpus], [2, 2]);
      assert.deepEqual(small.control.domains.listVcpus('low').map((v) => v.affinity), [[1]]);
      // The group keeps its halted member in the configuration; in the hypervisor only the live one is in it.
      const group = small.control.schedulingDomains.get('free');
      assert.deepEqual(group.members.map((m) => [m.domain, m.share, m.active]), [[2, 256, false], [3, 512, true]]);
      const live = small.host.domctl({ op: 'schedgroup', cmd: 'get', master: 1 });
      assert.ok(live.ok);
      assert.deepEqual(live.value.members, [{ domid: 3, share: 512 }]);
    } finally {
      small.store.close();
    }
  });
});
