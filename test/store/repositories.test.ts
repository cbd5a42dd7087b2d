import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createStore, type DomainRecord } from '../../src/store/index.ts';
import { tempDir } from '../helpers.ts';

const domain = (domid: number, name: string, extra: Partial<DomainRecord> = {}): DomainRecord => ({
  domid,
  uuid: `00000000-0000-4000-8000-${String(domid).padStart(12, '0')}`,
  name,
  vcpus: 1,
  max_vcpus: 2,
  memory_mb: 256,
  weight: 256,
  cap: 0,
  workload: { type: 'duty', run_ms: 5, sleep_ms: 10 },
  affinity: [[0], 'all'],
  state: 'halted',
  ...extra,
});

describe('repositories', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('store domains, groups and the host row, and read them back after reopening', () => {
    const path = join(dir.path, 'repo.db');
    const store = createStore(path);
    store.transaction(() => {
      store.domains.insert(domain(1, 'a', { state: 'running', cap: 50 }));
      store.domains.insert(domain(2, 'b'));
      store.domains.insert(domain(3, 'c'));
      store.groups.save({ master: 1, master_share: 300, members: [{ domid: 3, share: 10 }, { domid: 2, share: 20 }] });
      store.host.setNextDomid(4);
      store.host.setSched({ tslice_ms: 10, ratelimit_us: 0, accounting: 'sampled' });
    });
    store.domains.update({ ...domain(2, 'b2'), weight: 512 });
    store.close();

    const reopened = createStore(path);
    assert.deepEqual(reopened.domains.list().map((d) => [d.domid, d.name, d.state, d.weight, d.cap]), [
      [1, 'a', 'running', 256, 50],
      [2, 'b2', 'halted', 512, 0],
      [3, 'c', 'halted', 256, 0],
    ]);
    assert.deepEqual(reopened.domains.list()[0]?.affinity, [[0], 'all']);
    assert.deepEqual(reopened.domains.list()[0]?.workload, { type: 'duty', run_ms: 5, sleep_ms: 10 });
    assert.deepEqual(reopened.groups.list(), [
      { master: 1, master_share: 300, members: [{ domid: 3, share: 10 }, { domid: 2, share: 20 }] },
    ], 'members keep the order they joined in');
    assert.deepEqual(reopened.host.get(), { next_domid: 4, sched: { tslice_ms: 10, ratelimit_us: 0, accounting: 'sampled' } });

    // Deleting a member's domain drops its membership; deleting a master drops its group.
    reopened.domains.delete(3);
    assert.deepEqual(reopened.groups.list()[0]?.members, [{ domid: 2, share: 20 }]);
    reopened.domains.delete(1);
    assert.deepEqual(reopened.groups.list(), []);
    reopened.close();
  });

  it('roll a failed transaction back completely', () => {
    const store = createStore(join(dir.path, 'rollback.db'));
    assert.throws(() =>
      store.transaction(() => {
        store.domains.insert(domain(1, 'a'));
        store.domains.insert(domain(2, 'a'));
      }),
    /UNIQUE/);
    assert.deepEqual(store.domains.list(), []);
    assert.throws(() => store.domains.update(domain(9, 'nobody')), /no stored domain 9/);
    store.close();
  });
});
