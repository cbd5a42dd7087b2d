/**
 * Inputs that used to hang the daemon or reach another resource: they are
 * refused with a 400 naming the field, and the refusal changes nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, type TestDaemon } from '../helpers.ts';

describe('inputs the daemon refuses', () => {
  const domainCount = async (d: TestDaemon): Promise<number> => (await d.request('GET', '/api/v1/domains')).body.length;

  for (const [what, workload, field] of [
    ['run_ms 1e-6', { type: 'duty', run_ms: 0.000001, sleep_ms: 0.000001 }, 'workload.run_ms'],
    ['sleep_ms 0.05', { type: 'duty', run_ms: 1, sleep_ms: 0.05 }, 'workload.sleep_ms'],
  ] as const) {
    it(`a duty workload with ${what}: 400 naming ${field} and the minimum, at create and at change`, async (t) => {
      const d = await build(t);
      const count = await domainCount(d);
      const created = await d.request('POST', '/api/v1/domains', { name: 'tiny', start: true, workload });
      assert.equal(created.status, 400, JSON.stringify(created.body));
      assert.deepEqual([created.body.code, created.body.field], ['INVALID_ARGUMENT', field]);
      assert.match(created.body.message, />= 0\.1/);
      assert.equal(await domainCount(d), count);

      assert.equal((await d.request('POST', '/api/v1/domains', { name: 'steady', start: true })).status, 201);
      const changed = await d.request('PATCH', '/api/v1/domains/steady', { workload });
      assert.deepEqual([changed.status, changed.body.field], [400, field]);
      assert.deepEqual((await d.request('GET', '/api/v1/domains/steady')).body.workload, { type: 'cpu' });
      assert.equal((await d.request('DELETE', '/api/v1/domains/steady')).status, 409, 'a running domain is not deleted');
      await d.request('POST', '/api/v1/domains/steady/destroy');
      assert.equal((await d.request('DELETE', '/api/v1/domains/steady')).status, 204);
    });
  }

  it('the minimum phase is accepted and runs: 0.1 ms bursts, 0.1 ms sleeps, half a pCPU', async (t) => {
    const d = await build(t);
    const created = await d.request('POST', '/api/v1/domains', { name: 'fast', start: true, workload: { type: 'duty', run_ms: 0.1, sleep_ms: 0.1 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const advanced = await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
    assert.equal(advanced.status, 200);
    const cpu_ns: number = (await d.request('GET', '/api/v1/domains/fast')).body.cpu_time_ns;
    assert.ok(Math.abs(cpu_ns - 500e6) <= 0.2e6, `${cpu_ns} ns`);
  });

  for (const name of ['.', '..', '...']) {
    it(`the name "${name}" is refused (it is a path segment clients normalise away), as a name and as a ref`, async (t) => {
      const d = await build(t);
      const count = await domainCount(d);
      const created = await d.request('POST', '/api/v1/domains', { name });
      assert.equal(created.status, 400, JSON.stringify(created.body));
      assert.deepEqual([created.body.code, created.body.field], ['INVALID_ARGUMENT', 'name']);
      assert.equal(await domainCount(d), count);
      const renamed = await d.request('PATCH', '/api/v1/domains/Domain-0', { name });
      assert.deepEqual([renamed.status, renamed.body.field], [400, 'name']);
      const member = await d.request('POST', '/api/v1/scheduling-domains', { master: name });
      assert.equal(member.status, 400);
    });
  }

  it('names with dots and other characters are still fine: ".web", "a.b", "..x"', async (t) => {
    const d = await build(t);
    for (const name of ['.web', 'a.b', '..x']) {
      const created = await d.request('POST', '/api/v1/domains', { name });
      assert.equal(created.status, 201, `${name}: ${JSON.stringify(created.body)}`);
      assert.equal(created.body.name, name);
      assert.equal((await d.request('DELETE', `/api/v1/domains/${encodeURIComponent(name)}`)).status, 204);
    }
  });
});
