import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, startDaemon, tempDir } from '../helpers.ts';

/** `W/"7"` or `"7"` → 7. */
const versionOf = (etag: unknown): number => {
  const match = /^(?:W\/)?"([0-9]+)"$/.exec(String(etag));
  assert.ok(match !== null, `an ETag of a version, got ${String(etag)}`);
  return Number(match[1]);
};

describe('versions and conditional requests', () => {
  it('of two clients racing to change one domain from the same version, exactly one wins; the other gets 412, changes nothing, and succeeds after reading again', async (t) => {
    const d = await build(t);
    await d.request('POST', '/api/v1/domains', { name: 'web', start: true });
    const [first, second] = await Promise.all([d.request('GET', '/api/v1/domains/web/sched'), d.request('GET', '/api/v1/domains/web/sched')]);
    assert.equal(first.headers['etag'], second.headers['etag']);
    const read = String(first.headers['etag']);
    assert.match(read, /^"[0-9]+"$/, 'the credit parameters are all configuration: a strong ETag');

    const answers = await Promise.all([
      d.request('PUT', '/api/v1/domains/web/sched', { weight: 512 }, { 'if-match': read }),
      d.request('PUT', '/api/v1/domains/web/sched', { weight: 1024 }, { 'if-match': read }),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 412]);
    const winner = answers.find((a) => a.status === 200)!;
    const loser = answers.find((a) => a.status === 412)!;
    const now = versionOf(winner.headers['etag']);
    assert.ok(now > versionOf(read));
    assert.equal(loser.body.code, 'PRECONDITION_FAILED');
    assert.equal(loser.body.message, `domain web has changed since version ${versionOf(read)}: it is at version ${now} now (ETag "${now}"); nothing was changed, read it again and retry`);
    const after = await d.request('GET', '/api/v1/domains/web/sched');
    assert.deepEqual(after.body, winner.body, 'the refused write changed nothing');
    assert.equal(after.headers['etag'], winner.headers['etag']);

    const retried = await d.request('PUT', '/api/v1/domains/web/sched', { cap: 50 }, { 'if-match': String(after.headers['etag']) });
    assert.equal(retried.status, 200);
    assert.deepEqual(retried.body, { weight: winner.body.weight, cap: 50 });
    assert.ok(versionOf(retried.headers['etag']) > now);
  });

  it('answer 304 to If-None-Match while the configuration is unchanged, even as CPU time moves (a weak ETag), and 200 after a change', async (t) => {
    const d = await build(t);
    await d.request('POST', '/api/v1/domains', { name: 'web', start: true });
    const first = await d.request('GET', '/api/v1/domains/web');
    const etag = String(first.headers['etag']);
    assert.match(etag, /^W\/"[0-9]+"$/, 'the domain carries cpu_time_ns: a weak ETag');
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 100 });
    const unchanged = await d.request('GET', '/api/v1/domains/web', undefined, { 'if-none-match': etag });
    assert.equal(unchanged.status, 304);
    assert.equal(unchanged.body, undefined);
    assert.equal(unchanged.headers['etag'], etag);
    const moved = await d.request('GET', '/api/v1/domains/web');
    assert.ok(moved.body.cpu_time_ns > first.body.cpu_time_ns, 'CPU time moved without a new version');
    assert.equal(moved.headers['etag'], etag);

    await d.request('PATCH', '/api/v1/domains/web', { memory_mb: 512 });
    const changed = await d.request('GET', '/api/v1/domains/web', undefined, { 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.memory_mb, 512);
    assert.ok(versionOf(changed.headers['etag']) > versionOf(etag));
  });

  it('guard every change of a domain, a scheduling domain and the scheduler with If-Match, and report each version in its events', async (t) => {
    const d = await build(t);
    const created = await d.request('POST', '/api/v1/domains', { name: 'a', start: true });
    assert.equal(created.status, 201);
    await d.request('POST', '/api/v1/domains', { name: 'b' });
    const stale = String((await d.request('GET', '/api/v1/domains/a')).headers['etag']);
    await d.request('POST', '/api/v1/domains/a/pause', undefined, { 'if-match': stale });
    const refusals = [
      await d.request('POST', '/api/v1/domains/a/unpause', undefined, { 'if-match': stale }),
      await d.request('PATCH', '/api/v1/domains/a', { memory_mb: 300 }, { 'if-match': stale }),
      await d.request('PUT', '/api/v1/domains/a/vcpus', { online: 1 }, { 'if-match': stale }),
      await d.request('PUT', '/api/v1/domains/a/vcpus/0/affinity', { pcpus: [0] }, { 'if-match': stale }),
    ];
    assert.deepEqual(refusals.map((r) => [r.status, r.body.code]), Array(4).fill([412, 'PRECONDITION_FAILED']));
    assert.equal((await d.request('GET', '/api/v1/domains/a')).body.state, 'paused', 'refused changes changed nothing');

    // A member joining changes the group and the member (its scheduling_domain), not the master's other figures.
    const b = String((await d.request('GET', '/api/v1/domains/b')).headers['etag']);
    const joined = await d.request('POST', '/api/v1/scheduling-domains/a/members', { domain: 'b' }, {});
    assert.equal(joined.status, 201);
    const group = String(joined.headers['etag']);
    assert.notEqual((await d.request('GET', '/api/v1/domains/b')).headers['etag'], b);
    assert.equal((await d.request('GET', '/api/v1/scheduling-domains/a')).headers['etag'], group);
    assert.equal((await d.request('PATCH', '/api/v1/scheduling-domains/a', { master_share: 512 }, { 'if-match': group })).status, 200);
    const refused = await d.request('PUT', '/api/v1/scheduling-domains/a/members/b', { share: 9 }, { 'if-match': group });
    assert.equal(refused.status, 412);
    assert.match(refused.body.message, /^the scheduling domain of a has changed/);

    const scheduler = await d.request('GET', '/api/v1/scheduler');
    assert.match(String(scheduler.headers['etag']), /^"[0-9]+"$/);
    assert.equal((await d.request('PUT', '/api/v1/scheduler', { tslice_ms: 10 }, { 'if-match': String(scheduler.headers['etag']) })).status, 200);
    const lost = await d.request('PUT', '/api/v1/scheduler', { tslice_ms: 20 }, { 'if-match': String(scheduler.headers['etag']) });
    assert.equal(lost.status, 412);
    assert.equal((await d.request('GET', '/api/v1/scheduler')).body.tslice_ms, 10);

    assert.equal((await d.request('DELETE', '/api/v1/domains/b', undefined, { 'if-match': b })).status, 412);
    assert.equal((await d.request('GET', '/api/v1/domains/b')).status, 200, 'not deleted');
    assert.equal((await d.request('PATCH', '/api/v1/domains/b', { memory_mb: 64 }, { 'if-match': '*' })).status, 200, '* matches any version');
    assert.equal((await d.request('PATCH', '/api/v1/domains/b', { memory_mb: 65 }, { 'if-match': 'v1' })).body.code, 'INVALID_ARGUMENT');
    assert.equal((await d.request('PATCH', '/api/v1/domains/nobody', { memory_mb: 65 }, { 'if-match': '"1"' })).body.code, 'NO_SUCH_DOMAIN');

    const history = d.control.events.since(`${d.control.events.boot}-0`);
    assert.ok(!history.lost);
    const last = (type: string) => [...history.events].reverse().find((e) => e.type === type)!.data as { version?: number };
    assert.equal(last('scheduler.updated').version, versionOf((await d.request('GET', '/api/v1/scheduler')).headers['etag']));
    assert.equal(last('domain.updated').version, versionOf((await d.request('GET', '/api/v1/domains/b')).headers['etag']));
    assert.equal(last('scheduling-domain.share-changed').version, versionOf((await d.request('GET', '/api/v1/scheduling-domains/a')).headers['etag']));
  });

  it('keep versions across a restart, and never give a deleted resource\'s version to a new one', async () => {
    const dir = tempDir();
    try {
      const first = await startDaemon({ dir });
      await first.request('POST', '/api/v1/domains', { name: 'a' });
      await first.request('POST', '/api/v1/scheduling-domains', { master: 'a' });
      const domain = (await first.request('GET', '/api/v1/domains/a')).headers['etag'];
      const group = (await first.request('GET', '/api/v1/scheduling-domains/a')).headers['etag'];
      const scheduler = (await first.request('GET', '/api/v1/scheduler')).headers['etag'];
      await first.close();
      const second = await startDaemon({ dir });
      try {
        assert.equal((await second.request('GET', '/api/v1/domains/a')).headers['etag'], domain);
        assert.equal((await second.request('GET', '/api/v1/scheduling-domains/a')).headers['etag'], group);
        assert.equal((await second.request('GET', '/api/v1/scheduler')).headers['etag'], scheduler);
        await second.request('DELETE', '/api/v1/scheduling-domains/a');
        await second.request('POST', '/api/v1/scheduling-domains', { master: 'a' });
        const again = (await second.request('GET', '/api/v1/scheduling-domains/a')).headers['etag'];
        assert.ok(versionOf(again) > versionOf(group));
      } finally {
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });
});
