import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { editDistance, nearestName } from '../../src/control/nearest-name.ts';
import { build } from '../helpers.ts';

describe('errors that help', () => {
  it('a domain name with a typo: 404 naming it and the nearest name; a name far from every other, or a domid, gets no guess', async (t) => {
    const d = await build(t);
    for (const name of ['guest', 'stubdom', 'web']) assert.equal((await d.request('POST', '/api/v1/domains', { name })).status, 201);
    const typo = await d.request('GET', '/api/v1/domains/gest');
    assert.equal(typo.status, 404);
    assert.deepEqual([typo.body.code, typo.body.message], ['NO_SUCH_DOMAIN', 'no domain has domid or name "gest"; did you mean guest?']);
    const swapped = await d.request('PUT', '/api/v1/domains/stbudom/sched', { weight: 512 });
    assert.deepEqual([swapped.status, swapped.body.message], [404, 'no domain has domid or name "stbudom"; did you mean stubdom?']);
    const member = await d.request('POST', '/api/v1/scheduling-domains/guest/members', { domain: 'wbe' });
    assert.deepEqual([member.status, member.body.message], [404, 'no domain has domid or name "wbe"; did you mean web?']);
    assert.equal((await d.request('GET', '/api/v1/domains/database')).body.message, 'no domain has domid or name "database"');
    assert.equal((await d.request('GET', '/api/v1/domains/4')).body.message, 'no domain has domid or name "4"');
    // Nothing was changed by the refused requests.
    assert.equal((await d.request('GET', '/api/v1/domains/stubdom')).body.sched.weight, 256);
    assert.deepEqual((await d.request('GET', '/api/v1/scheduling-domains')).body, []);
  });

  it('edit distance: insertions, deletions, changes and swaps of neighbours count one each', () => {
    assert.deepEqual(
      [editDistance('gest', 'guest'), editDistance('guest', 'gest'), editDistance('stbudom', 'stubdom'), editDistance('web', 'wab'), editDistance('', 'abc'), editDistance('same', 'same')],
      [1, 1, 1, 1, 3, 0],
    );
    assert.equal(nearestName('Gest', ['web', 'guest']), 'guest');
    assert.equal(nearestName('gues', ['guest', 'gues1']), 'guest');
    assert.equal(nearestName('xyz', ['guest']), undefined);
  });

  it('group errors name domains by name with the domid in brackets', async (t) => {
    const d = await build(t);
    for (const name of ['guest', 'stub', 'other']) assert.equal((await d.request('POST', '/api/v1/domains', { name, start: true })).status, 201);
    assert.equal((await d.request('POST', '/api/v1/scheduling-domains', { master: 'guest', members: [{ domain: 'stub' }] })).status, 201);

    const nested = await d.request('POST', '/api/v1/scheduling-domains', { master: 'stub' });
    assert.deepEqual(
      [nested.status, nested.body.code, nested.body.message],
      [409, 'NESTED_GROUP', "domain stub (2) is a member of domain guest (1)'s scheduling domain and cannot be a master"],
    );
    const masterAsMember = await d.request('POST', '/api/v1/scheduling-domains', { master: 'other', members: [{ domain: 'guest' }] });
    assert.deepEqual(
      [masterAsMember.status, masterAsMember.body.code, masterAsMember.body.message],
      [409, 'NESTED_GROUP', 'domain guest (1) is the master of a scheduling domain and cannot be a member of another'],
    );
    const twice = await d.request('POST', '/api/v1/scheduling-domains/guest/members', { domain: 'stub' });
    assert.deepEqual([twice.status, twice.body.code, twice.body.message], [409, 'ALREADY_IN_GROUP', "domain stub (2) is already a member of domain guest (1)'s scheduling domain"]);
    const self = await d.request('POST', '/api/v1/scheduling-domains/guest/members', { domain: 'guest' });
    assert.deepEqual([self.status, self.body.code, self.body.message], [409, 'SELF_MEMBERSHIP', 'domain guest (1) cannot join its own scheduling domain']);
    const notMember = await d.request('DELETE', '/api/v1/scheduling-domains/guest/members/other');
    assert.deepEqual([notMember.status, notMember.body.code, notMember.body.message], [404, 'NOT_A_MEMBER', "domain other (3) is not a member of domain guest (1)'s scheduling domain"]);
    const noGroup = await d.request('GET', '/api/v1/scheduling-domains/other');
    assert.deepEqual([noGroup.status, noGroup.body.code, noGroup.body.message], [404, 'NO_SUCH_SCHEDULING_DOMAIN', 'domain other (3) is not the master of a scheduling domain']);
    const exists = await d.request('POST', '/api/v1/scheduling-domains', { master: 'guest' });
    assert.deepEqual([exists.status, exists.body.code, exists.body.message], [409, 'GROUP_EXISTS', 'domain guest (1) is already the master of a scheduling domain']);
  });

  it("a master's cap limit says that it counts its members' vCPUs", async (t) => {
    const d = await build(t);
    await d.request('POST', '/api/v1/domains', { name: 'guest', start: true });
    await d.request('POST', '/api/v1/domains', { name: 'stub', start: true, max_vcpus: 2, vcpus: 2 });
    const alone = await d.request('PUT', '/api/v1/domains/guest/sched', { cap: 101 });
    assert.deepEqual([alone.status, alone.body.code, alone.body.message], [400, 'INVALID_ARGUMENT', 'cap: must be an integer in 0..100 (100 per vCPU; 0 = no cap), got 101']);
    await d.request('POST', '/api/v1/scheduling-domains', { master: 'guest', members: [{ domain: 'stub' }] });
    const grouped = await d.request('PUT', '/api/v1/domains/guest/sched', { cap: 301 });
    assert.deepEqual(
      [grouped.status, grouped.body.code, grouped.body.message],
      [400, 'INVALID_ARGUMENT', "cap: must be an integer in 0..300 (100 per vCPU of its scheduling domain, which the cap covers: its own 1 vCPU and its members' 2 vCPUs; 0 = no cap), got 301"],
    );
    assert.deepEqual((await d.request('PUT', '/api/v1/domains/guest/sched', { cap: 300 })).body, { weight: 256, cap: 300 });
  });

  it('/healthz documents the 4XX it gives: 403 for a Host that is not a name of the daemon', async (t) => {
    const d = await build(t);
    const refused = await d.request('GET', '/healthz', undefined, { host: 'evil.example' });
    assert.deepEqual([refused.status, refused.body.code], [403, 'HOST_NOT_ALLOWED']);
    const spec = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, { get: { responses: Record<string, unknown> } }> };
    assert.deepEqual(Object.keys(spec.paths['/healthz']!.get.responses), ['200', '403', '503']);
  });

  it("a member's weight or cap: stored, and the answer warns that it is not in force while in the group", async (t) => {
    const d = await build(t);
    for (const name of ['guest', 'stub', 'solo']) await d.request('POST', '/api/v1/domains', { name, start: true });
    await d.request('POST', '/api/v1/scheduling-domains', { master: 'guest', members: [{ domain: 'stub' }] });
    const member = await d.request('PUT', '/api/v1/domains/stub/sched', { weight: 512 });
    assert.equal(member.status, 200);
    assert.deepEqual(member.body, {
      weight: 512,
      cap: 0,
      warnings: [
        "weight of stub (2) stored but not in force: it is a member of guest (1)'s scheduling domain, where guest's weight and cap govern the group and a member's part is its share; they apply again when it leaves",
      ],
    });
    const both = await d.request('PUT', '/api/v1/domains/stub/sched', { weight: 128, cap: 50 });
    assert.match(both.body.warnings[0], /^weight and cap of stub \(2\) stored but not in force/);
    assert.deepEqual((await d.request('GET', '/api/v1/domains/stub/sched')).body, { weight: 128, cap: 50 });
    // Not a member, or the master itself: in force, no warning.
    assert.deepEqual((await d.request('PUT', '/api/v1/domains/solo/sched', { weight: 512 })).body, { weight: 512, cap: 0 });
    assert.deepEqual((await d.request('PUT', '/api/v1/domains/guest/sched', { weight: 512 })).body, { weight: 512, cap: 0 });
  });
});
