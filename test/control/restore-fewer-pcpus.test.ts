/**
 * Restarted on a host with fewer pCPUs (README "The control plane",
 * src/control/restore.ts): Domain-0 follows the host; a domain pinned only to
 * pCPUs the host no longer has is repaired (pinned to all) and reported, not
 * halted; the rest come back as they were, groups included.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers.ts';
import { setupControl } from './helpers.ts';

describe('restore on fewer pCPUs', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('repairs and reports what no longer fits; everything, groups included, comes back', () => {
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
      assert.deepEqual(small.control.restore.failed, []);
      // Domain-0's pin of its vCPU 3 to pCPU 3, and the guest's only pCPU, are gone.
      assert.deepEqual(small.control.restore.repaired.map((r) => r.domid), [0, 2]);
      assert.match(small.control.restore.repaired[1]!.changes, /vCPU 0 affinity \[3\] became "all"/);
      assert.deepEqual(small.control.restore.restored, [1, 2, 3]);
      const state = (name: string) => small.control.domains.get(name).state;
      assert.deepEqual([state('free'), state('pinned'), state('low')], ['running', 'running', 'running']);
      assert.deepEqual(small.control.domains.listVcpus('pinned').map((v) => v.affinity), ['all']);
      const domain0 = small.control.domains.get('Domain-0');
      assert.deepEqual([domain0.vcpus, domain0.max_vcpus], [2, 2]);
      assert.deepEqual(small.control.domains.listVcpus('low').map((v) => v.affinity), [[1]]);
      // The group comes back whole, in the configuration and in the hypervisor.
      const group = small.control.schedulingDomains.get('free');
      assert.deepEqual(group.members.map((m) => [m.domain, m.share, m.active]), [[2, 256, true], [3, 512, true]]);
      const live = small.host.domctl({ op: 'schedgroup', cmd: 'get', master: 1 });
      assert.ok(live.ok);
      assert.deepEqual(live.value.members, [{ domid: 2, share: 256 }, { domid: 3, share: 512 }]);
    } finally {
      small.store.close();
    }
  });
});
