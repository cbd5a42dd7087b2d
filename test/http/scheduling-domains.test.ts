import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { build, type TestDaemon } from '../helpers.ts';

const NS_PER_MS = 1e6;

type Daemon = TestDaemon & { dir: { remove(): void } };

const cpuTimeNs = async (d: Daemon, ref: string): Promise<number> => (await d.request('GET', `/api/v1/domains/${ref}`)).body.cpu_time_ns;

describe('/api/v1/scheduling-domains', () => {
  it('the 2007 demo: cap the first at 10, add the second, the pair gets 10% of the pCPU', async (t) => {
    const d = await build(t, { pcpus: 1 });
    await d.request('POST', '/api/v1/domains', { name: 'guest', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'stubdom', start: true });
    assert.equal((await d.request('PUT', '/api/v1/domains/guest/sched', { cap: 10 })).status, 200);
    const add = await d.request('POST', '/api/v1/scheduling-domains/guest/members', { domain: 'stubdom' });
    assert.equal(add.status, 201);
    assert.deepEqual(add.body.members, [{ domain: 2, share: 256, active: true }]);
    assert.equal((await d.request('GET', '/api/v1/domains/stubdom')).body.scheduling_domain, 1);

    const window_ms = 30_000;
    const before = (await cpuTimeNs(d, 'guest')) + (await cpuTimeNs(d, 'stubdom'));
    await d.request('POST', '/api/v1/host/clock/advance', { ms: window_ms });
    const used = (await cpuTimeNs(d, 'guest')) + (await cpuTimeNs(d, 'stubdom')) - before;
    // Cap 10 = 10% of one pCPU for the whole group: 3 s of the 30 s window, ±0.3 percentage points.
    const share = used / (window_ms * NS_PER_MS);
    assert.ok(Math.abs(share - 0.10) <= 0.003, `the pair used ${(share * 100).toFixed(2)}%`);
    const group = await d.request('GET', '/api/v1/scheduling-domains/guest');
    assert.equal(group.body.cpu_time_ns, before + used);

    // Take the member out: it runs on its own (uncapped) parameters again and takes the rest.
    await d.request('DELETE', '/api/v1/scheduling-domains/guest/members/stubdom');
    const guest0 = await cpuTimeNs(d, 'guest');
    const stub0 = await cpuTimeNs(d, 'stubdom');
    await d.request('POST', '/api/v1/host/clock/advance', { ms: window_ms });
    const guestShare = ((await cpuTimeNs(d, 'guest')) - guest0) / (window_ms * NS_PER_MS);
    const stubShare = ((await cpuTimeNs(d, 'stubdom')) - stub0) / (window_ms * NS_PER_MS);
    assert.ok(Math.abs(guestShare - 0.10) <= 0.005, `guest alone under cap 10: ${guestShare}`);
    assert.ok(Math.abs(stubShare - 0.90) <= 0.005, `stubdom uncapped: ${stubShare}`);
  });

  it('keep a membership across power cycles; apply it only while both are live', async (t) => {
    const d = await build(t, { pcpus: 1 });
    await d.request('POST', '/api/v1/domains', { name: 'm', start: true, cap: 10 });
    await d.request('POST', '/api/v1/domains', { name: 'x' });
    const add = await d.request('POST', '/api/v1/scheduling-domains/m/members', { domain: 'x', share: 512 });
    assert.deepEqual(add.body.members, [{ domain: 2, share: 512, active: false }], 'x is halted');
    await d.request('POST', '/api/v1/domains/x/start');
    assert.deepEqual((await d.request('GET', '/api/v1/scheduling-domains/m')).body.members, [{ domain: 2, share: 512, active: true }]);
    await d.request('POST', '/api/v1/domains/m/shutdown');
    const down = await d.request('GET', '/api/v1/scheduling-domains/m');
    assert.deepEqual([down.body.active, down.body.members[0].active], [false, false]);
    // With the master halted, x runs on its own (uncapped) parameters: the whole pCPU.
    const x0 = await cpuTimeNs(d, 'x');
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 3000 });
    assert.ok(((await cpuTimeNs(d, 'x')) - x0) / 3e9 > 0.99);
    await d.request('POST', '/api/v1/domains/m/start');
    const up = await d.request('GET', '/api/v1/scheduling-domains/m');
    assert.deepEqual([up.body.active, up.body.members[0].active], [true, true]);
    assert.equal((await d.request('GET', '/api/v1/domains/x')).body.scheduling_domain, 1);
    const m0 = await cpuTimeNs(d, 'm');
    const x1 = await cpuTimeNs(d, 'x');
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 30_000 });
    const pair = ((await cpuTimeNs(d, 'm')) - m0 + (await cpuTimeNs(d, 'x')) - x1) / 30e9;
    assert.ok(Math.abs(pair - 0.10) <= 0.003, `pair after restart of the master: ${pair}`);
  });

  it('a master\'s cap may cover its whole group, even while members are halted', async (t) => {
    const d = await build(t, { pcpus: 2 });
    await d.request('POST', '/api/v1/domains', { name: 'm', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'a', max_vcpus: 2, vcpus: 2 });
    await d.request('POST', '/api/v1/scheduling-domains', { master: 'm', members: [{ domain: 'a' }] });
    const over = await d.request('PUT', '/api/v1/domains/m/sched', { cap: 301 });
    assert.deepEqual([over.status, over.body.field], [400, 'cap']);
    const ok = await d.request('PUT', '/api/v1/domains/m/sched', { cap: 300 });
    assert.deepEqual([ok.status, ok.body.cap], [200, 300]);
    await d.request('POST', '/api/v1/domains/a/start');
    assert.deepEqual((await d.request('GET', '/api/v1/domains/m/sched')).body, { weight: 256, cap: 300 });
    // Leaving does not lower the master's configured cap.
    await d.request('DELETE', '/api/v1/scheduling-domains/m/members/a');
    assert.equal((await d.request('GET', '/api/v1/domains/m')).body.sched.cap, 300);
  });

  describe('changing shares after the fact', () => {
    // The sub-scheduler splits the group's credit between its domains in proportion to their shares.
    const CAP_PERCENT = 20;
    const MASTER_SHARE = 768;
    const MEMBER_SHARE = 256;
    const EXPECTED_RATIO = MASTER_SHARE / MEMBER_SHARE;
    const EXPECTED_PAIR = CAP_PERCENT / 100;

    /** CPU time master and member use in `window_ms` of simulated time. */
    async function measure(d: Daemon, window_ms: number): Promise<{ ratio: number; pair: number }> {
      const m0 = await cpuTimeNs(d, 'm');
      const x0 = await cpuTimeNs(d, 'x');
      await d.request('POST', '/api/v1/host/clock/advance', { ms: window_ms });
      const master = (await cpuTimeNs(d, 'm')) - m0;
      const member = (await cpuTimeNs(d, 'x')) - x0;
      return { ratio: master / member, pair: (master + member) / (window_ms * NS_PER_MS) };
    }

    const assertSplit = ({ ratio, pair }: { ratio: number; pair: number }): void => {
      assert.ok(Math.abs(ratio / EXPECTED_RATIO - 1) <= 0.05, `master/member ${ratio.toFixed(3)}, expected ${EXPECTED_RATIO} within 5%`);
      assert.ok(Math.abs(pair - EXPECTED_PAIR) <= 0.003, `the pair used ${(pair * 100).toFixed(2)}%, expected ${CAP_PERCENT}% within 0.3 points`);
    };

    it('a live group takes new shares at once: master 768, member 256 split its cap 20 3:1', async (t) => {
      const d = await build(t, { pcpus: 1 });
      await d.request('POST', '/api/v1/domains', { name: 'm', start: true, cap: CAP_PERCENT });
      await d.request('POST', '/api/v1/domains', { name: 'x', start: true });
      // The member starts at 512 so that setting 256 is a change the scheduler has to see.
      await d.request('POST', '/api/v1/scheduling-domains/m/members', { domain: 'x', share: 512 });

      const patched = await d.request('PATCH', '/api/v1/scheduling-domains/m', { master_share: MASTER_SHARE });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual({ ...patched.body, cpu_time_ns: 0 }, {
        master: 1, master_share: MASTER_SHARE, active: true, members: [{ domain: 2, share: 512, active: true }], cpu_time_ns: 0,
      });
      const put = await d.request('PUT', '/api/v1/scheduling-domains/m/members/x', { share: MEMBER_SHARE });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual({ ...put.body, cpu_time_ns: 0 }, {
        master: 1, master_share: MASTER_SHARE, active: true, members: [{ domain: 2, share: MEMBER_SHARE, active: true }], cpu_time_ns: 0,
      });
      assert.deepEqual((await d.request('GET', '/api/v1/scheduling-domains/1')).body, put.body);

      assertSplit(await measure(d, 60_000));
    });

    it('a halted group keeps new shares in its configuration and applies them on start', async (t) => {
      const d = await build(t, { pcpus: 1 });
      await d.request('POST', '/api/v1/domains', { name: 'm', cap: CAP_PERCENT });
      await d.request('POST', '/api/v1/domains', { name: 'x' });
      await d.request('POST', '/api/v1/scheduling-domains', { master: 'm', members: [{ domain: 'x', share: 512 }] });

      // Both halted: configuration only.
      const patched = await d.request('PATCH', '/api/v1/scheduling-domains/m', { master_share: MASTER_SHARE });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body, {
        master: 1, master_share: MASTER_SHARE, active: false, members: [{ domain: 2, share: 512, active: false }], cpu_time_ns: 0,
      });

      // The master live, the member still halted: the group is in force without it.
      await d.request('POST', '/api/v1/domains/m/start');
      const put = await d.request('PUT', '/api/v1/scheduling-domains/m/members/x', { share: MEMBER_SHARE });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual({ ...put.body, cpu_time_ns: 0 }, {
        master: 1, master_share: MASTER_SHARE, active: true, members: [{ domain: 2, share: MEMBER_SHARE, active: false }], cpu_time_ns: 0,
      });

      await d.request('POST', '/api/v1/domains/x/start');
      const up = await d.request('GET', '/api/v1/scheduling-domains/m');
      assert.deepEqual([up.body.master_share, up.body.active, up.body.members], [MASTER_SHARE, true, [{ domain: 2, share: MEMBER_SHARE, active: true }]]);
      assertSplit(await measure(d, 30_000));
    });
  });

  describe('rules and errors (nothing changes on error)', () => {
    /** m (master_share 100) with a and halted c (share 7); n with b. */
    const withGroups = async (t: TestContext): Promise<Daemon> => {
      const d = await build(t, { pcpus: 1 });
      for (const name of ['m', 'a', 'b', 'c', 'n']) await d.request('POST', '/api/v1/domains', { name, start: name !== 'c' });
      await d.request('POST', '/api/v1/scheduling-domains', { master: 'm', master_share: 100, members: [{ domain: 'a' }, { domain: 'c', share: 7 }] });
      await d.request('POST', '/api/v1/scheduling-domains/n/members', { domain: 'b' });
      return d;
    };

    it('list and get', async (t) => {
      const d = await withGroups(t);
      const list = await d.request('GET', '/api/v1/scheduling-domains');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.map((g: { master: number }) => g.master), [1, 5]);
      const m = await d.request('GET', '/api/v1/scheduling-domains/m');
      assert.deepEqual({ ...m.body, cpu_time_ns: 0 }, {
        master: 1,
        master_share: 100,
        active: true,
        members: [{ domain: 2, share: 256, active: true }, { domain: 4, share: 7, active: false }],
        cpu_time_ns: 0,
      });
      const byId = await d.request('GET', '/api/v1/scheduling-domains/1');
      assert.equal(byId.body.master, 1);
    });

    const cases: [string, string, string, unknown, number, string][] = [
      ['unknown master', 'POST', '/api/v1/scheduling-domains/nobody/members', { domain: 'a' }, 404, 'NO_SUCH_DOMAIN'],
      ['unknown member', 'POST', '/api/v1/scheduling-domains/m/members', { domain: 'nobody' }, 404, 'NO_SUCH_DOMAIN'],
      ['joining itself', 'POST', '/api/v1/scheduling-domains/m/members', { domain: 'm' }, 409, 'SELF_MEMBERSHIP'],
      ['already in this group', 'POST', '/api/v1/scheduling-domains/m/members', { domain: 'a' }, 409, 'ALREADY_IN_GROUP'],
      ['already in another group', 'POST', '/api/v1/scheduling-domains/m/members', { domain: 'b' }, 409, 'ALREADY_IN_GROUP'],
      ['a master made a member', 'POST', '/api/v1/scheduling-domains/m/members', { domain: 'n' }, 409, 'NESTED_GROUP'],
      ['a member made a master', 'POST', '/api/v1/scheduling-domains/a/members', { domain: 'c' }, 409, 'NESTED_GROUP'],
      ['Domain-0 as a member', 'POST', '/api/v1/scheduling-domains/m/members', { domain: '0' }, 409, 'DOMAIN0_PROTECTED'],
      ['share 0', 'POST', '/api/v1/scheduling-domains/m/members', { domain: 'Domain-0', share: 0 }, 400, 'INVALID_ARGUMENT'],
      ['unknown property', 'POST', '/api/v1/scheduling-domains/m/members', { domain: 'a', weight: 1 }, 400, 'INVALID_ARGUMENT'],
      ['group exists', 'POST', '/api/v1/scheduling-domains', { master: 'm' }, 409, 'GROUP_EXISTS'],
      ['create with a member of another group', 'POST', '/api/v1/scheduling-domains', { master: 'b', members: [] }, 409, 'NESTED_GROUP'],
      ['create with a duplicate member', 'POST', '/api/v1/scheduling-domains', { master: '0', members: [{ domain: 'a' }] }, 409, 'ALREADY_IN_GROUP'],
      ['create with an unknown master', 'POST', '/api/v1/scheduling-domains', { master: 'nobody' }, 404, 'NO_SUCH_DOMAIN'],
      ['create without master', 'POST', '/api/v1/scheduling-domains', { members: [] }, 400, 'INVALID_ARGUMENT'],
      ['get a non-group', 'GET', '/api/v1/scheduling-domains/a', undefined, 404, 'NO_SUCH_SCHEDULING_DOMAIN'],
      ['get an unknown domain', 'GET', '/api/v1/scheduling-domains/nobody', undefined, 404, 'NO_SUCH_DOMAIN'],
      ['delete a non-group', 'DELETE', '/api/v1/scheduling-domains/a', undefined, 404, 'NO_SUCH_SCHEDULING_DOMAIN'],
      ['remove a non-member', 'DELETE', '/api/v1/scheduling-domains/m/members/b', undefined, 404, 'NOT_A_MEMBER'],
      ['remove from a non-group', 'DELETE', '/api/v1/scheduling-domains/a/members/m', undefined, 404, 'NO_SUCH_SCHEDULING_DOMAIN'],
      ['remove an unknown member', 'DELETE', '/api/v1/scheduling-domains/m/members/nobody', undefined, 404, 'NO_SUCH_DOMAIN'],
    ];
    for (const [what, method, url, body, status, code] of cases) {
      it(`refuse ${what}: ${status} ${code}`, async (t) => {
        const d = await withGroups(t);
        const before = (await d.request('GET', '/api/v1/scheduling-domains')).body;
        const res = await d.request(method as 'GET', url, body);
        assert.deepEqual([res.status, res.body.code], [status, code], JSON.stringify(res.body));
        assert.deepEqual((await d.request('GET', '/api/v1/scheduling-domains')).body, before);
      });
    }

    // Changing shares: every refusal names the field and leaves groups and domains as they were.
    const shareCases: [string, string, string, unknown, number, string, string][] = [
      ['a share for a member of an unknown master', 'PUT', '/api/v1/scheduling-domains/nobody/members/a', { share: 10 }, 404, 'NO_SUCH_DOMAIN', 'master'],
      ['a share in a non-group', 'PUT', '/api/v1/scheduling-domains/a/members/m', { share: 10 }, 404, 'NO_SUCH_SCHEDULING_DOMAIN', 'master'],
      ['a share for an unknown member', 'PUT', '/api/v1/scheduling-domains/m/members/nobody', { share: 10 }, 404, 'NO_SUCH_DOMAIN', 'domain'],
      ['a share for a member of another group', 'PUT', '/api/v1/scheduling-domains/m/members/b', { share: 10 }, 404, 'NOT_A_MEMBER', 'domain'],
      ['a member share for the master itself', 'PUT', '/api/v1/scheduling-domains/m/members/m', { share: 10 }, 404, 'NOT_A_MEMBER', 'domain'],
      ['a member share for Domain-0', 'PUT', '/api/v1/scheduling-domains/m/members/0', { share: 10 }, 404, 'NOT_A_MEMBER', 'domain'],
      ['member share 0', 'PUT', '/api/v1/scheduling-domains/m/members/a', { share: 0 }, 400, 'INVALID_ARGUMENT', 'share'],
      ['member share 65536', 'PUT', '/api/v1/scheduling-domains/m/members/a', { share: 65536 }, 400, 'INVALID_ARGUMENT', 'share'],
      ['a fractional member share', 'PUT', '/api/v1/scheduling-domains/m/members/a', { share: 1.5 }, 400, 'INVALID_ARGUMENT', 'share'],
      ['a member share missing', 'PUT', '/api/v1/scheduling-domains/m/members/a', {}, 400, 'INVALID_ARGUMENT', 'share'],
      ['a member share with an unknown property', 'PUT', '/api/v1/scheduling-domains/m/members/a', { share: 10, weight: 1 }, 400, 'INVALID_ARGUMENT', 'weight'],
      ['a member share without a body', 'PUT', '/api/v1/scheduling-domains/m/members/a', undefined, 400, 'INVALID_ARGUMENT', 'body'],
      ['a member share with a malformed master', 'PUT', '/api/v1/scheduling-domains/m!/members/a', { share: 10 }, 400, 'INVALID_ARGUMENT', 'master'],
      ['master_share for an unknown master', 'PATCH', '/api/v1/scheduling-domains/nobody', { master_share: 10 }, 404, 'NO_SUCH_DOMAIN', 'master'],
      ['master_share for a non-group', 'PATCH', '/api/v1/scheduling-domains/a', { master_share: 10 }, 404, 'NO_SUCH_SCHEDULING_DOMAIN', 'master'],
      ['master_share 0', 'PATCH', '/api/v1/scheduling-domains/m', { master_share: 0 }, 400, 'INVALID_ARGUMENT', 'master_share'],
      ['master_share 65536', 'PATCH', '/api/v1/scheduling-domains/m', { master_share: 65536 }, 400, 'INVALID_ARGUMENT', 'master_share'],
      ['a change of nothing', 'PATCH', '/api/v1/scheduling-domains/m', {}, 400, 'INVALID_ARGUMENT', 'body'],
      ['a change with an unknown property', 'PATCH', '/api/v1/scheduling-domains/m', { master_share: 10, members: [] }, 400, 'INVALID_ARGUMENT', 'members'],
    ];
    for (const [what, method, url, body, status, code, field] of shareCases) {
      it(`refuse ${what}: ${status} ${code} on ${field}`, async (t) => {
        const d = await withGroups(t);
        const groups = (await d.request('GET', '/api/v1/scheduling-domains')).body;
        const domains = (await d.request('GET', '/api/v1/domains')).body;
        const res = await d.request(method as 'GET', url, body);
        assert.deepEqual([res.status, res.body.code, res.body.field], [status, code, field], JSON.stringify(res.body));
        assert.deepEqual((await d.request('GET', '/api/v1/scheduling-domains')).body, groups);
        assert.deepEqual((await d.request('GET', '/api/v1/domains')).body, domains);
      });
    }

    it('remove a member, then dissolve a group', async (t) => {
      const d = await withGroups(t);
      const removed = await d.request('DELETE', '/api/v1/scheduling-domains/m/members/a');
      assert.deepEqual([removed.status, removed.body.members.map((m: { domain: number }) => m.domain)], [200, [4]]);
      assert.equal((await d.request('GET', '/api/v1/domains/a')).body.scheduling_domain, null);
      const dissolved = await d.request('DELETE', '/api/v1/scheduling-domains/m');
      assert.equal(dissolved.status, 204);
      assert.equal((await d.request('GET', '/api/v1/domains/c')).body.scheduling_domain, null);
      assert.equal((await d.request('GET', '/api/v1/scheduling-domains/m')).status, 404);
    });

    it('deleting a member drops its membership; deleting a master dissolves its group', async (t) => {
      const d = await withGroups(t);
      assert.equal((await d.request('DELETE', '/api/v1/scheduling-domains/m')).status, 204); // m alone: adding c makes a group of the two
      await d.request('POST', '/api/v1/scheduling-domains/m/members', { domain: 'c' });
      await d.request('DELETE', '/api/v1/domains/c');
      assert.deepEqual((await d.request('GET', '/api/v1/scheduling-domains/m')).body.members, []);
      await d.request('POST', '/api/v1/scheduling-domains/m/members', { domain: 'a' });
      await d.request('POST', '/api/v1/domains/m/destroy');
      assert.equal((await d.request('DELETE', '/api/v1/domains/m')).status, 204);
      assert.equal((await d.request('GET', '/api/v1/scheduling-domains/1')).status, 404);
      assert.equal((await d.request('GET', '/api/v1/domains/a')).body.scheduling_domain, null);
    });
  });
});
