import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { build, type TestDaemon } from '../helpers.ts';

const NS_PER_S = 1e9;
const DB1 = { name: 'db.1', vcpus: 2, max_vcpus: 4, memory_mb: 2048, weight: 512, cap: 150, workload: { type: 'duty', run_ms: 5, sleep_ms: 15 }, start: true };

/** Every test's own daemon (2 pCPUs), with `web` (halted, defaults, domid 1) and `db.1` (running, DB1, domid 2). */
async function withDomains(t: TestContext): Promise<TestDaemon> {
  const d = await build(t, { pcpus: 2 });
  assert.equal((await d.request('POST', '/api/v1/domains', { name: 'web' })).body.id, 1);
  assert.equal((await d.request('POST', '/api/v1/domains', DB1)).body.id, 2);
  return d;
}

describe('/api/v1/domains', () => {

  describe('create, read, list', () => {
    it('list only Domain-0 on a new host, with one vCPU per pCPU', async (t) => {
      const d = await build(t, { pcpus: 2 });
      const res = await d.request('GET', '/api/v1/domains');
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 1);
      assert.deepEqual(
        { id: res.body[0].id, name: res.body[0].name, state: res.body[0].state, vcpus: res.body[0].vcpus, max: res.body[0].max_vcpus },
        { id: 0, name: 'Domain-0', state: 'running', vcpus: 2, max: 2 },
      );
    });

    it('create a halted domain with the defaults, 201 and Location', async (t) => {
      const d = await build(t, { pcpus: 2 });
      const res = await d.request('POST', '/api/v1/domains', { name: 'web' });
      assert.equal(res.status, 201);
      assert.equal(res.headers['location'], `/api/v1/domains/${res.body.id}`);
      assert.match(res.body.uuid, /^[0-9a-f-]{36}$/);
      assert.deepEqual({ ...res.body, uuid: 'any' }, {
        uuid: 'any',
        id: 1,
        name: 'web',
        state: 'halted',
        vcpus: 1,
        max_vcpus: 1,
        memory_mb: 256,
        sched: { weight: 256, cap: 0 },
        workload: { type: 'cpu' },
        scheduling_domain: null,
        cpu_time_ns: 0,
        cpupool: 'Pool-0',
      });
    });

    it('create and start at once, with every field given', async (t) => {
      const d = await build(t, { pcpus: 2 });
      const res = await d.request('POST', '/api/v1/domains', DB1);
      assert.equal(res.status, 201);
      assert.equal(res.body.id, 1);
      assert.equal(res.body.state, 'running');
      assert.deepEqual([res.body.vcpus, res.body.max_vcpus, res.body.memory_mb], [2, 4, 2048]);
      assert.deepEqual(res.body.sched, { weight: 512, cap: 150 });
      assert.deepEqual(res.body.workload, { type: 'duty', run_ms: 5, sleep_ms: 15 });
    });

    it('get by domid and by name', async (t) => {
      const d = await withDomains(t);
      const byId = await d.request('GET', '/api/v1/domains/2');
      const byName = await d.request('GET', '/api/v1/domains/db.1');
      assert.equal(byId.status, 200);
      assert.deepEqual(byId.body, byName.body);
    });

    it('404 NO_SUCH_DOMAIN for an unknown domid or name', async (t) => {
      const d = await withDomains(t);
      for (const ref of ['99', 'nobody']) {
        const res = await d.request('GET', `/api/v1/domains/${ref}`);
        assert.equal(res.status, 404);
        assert.equal(res.body.code, 'NO_SUCH_DOMAIN');
        assert.equal(res.body.error, 'Not Found');
      }
    });
  });

  describe('validation (400, nothing created)', () => {
    const bad: [string, unknown, string][] = [
      ['unknown property', { name: 'x', colour: 'red' }, 'colour'],
      ['missing name', { vcpus: 1 }, 'name'],
      ['all-digit name', { name: '123' }, 'name'],
      ['name with a space', { name: 'a b' }, 'name'],
      ['name too long', { name: 'a'.repeat(65) }, 'name'],
      ['weight 0', { name: 'x', weight: 0 }, 'weight'],
      ['weight 65536', { name: 'x', weight: 65536 }, 'weight'],
      ['weight as a string', { name: 'x', weight: '256' }, 'weight'],
      ['vcpus 0', { name: 'x', vcpus: 0 }, 'vcpus'],
      ['max_vcpus 129', { name: 'x', max_vcpus: 129 }, 'max_vcpus'],
      ['vcpus above max_vcpus', { name: 'x', vcpus: 3, max_vcpus: 2 }, 'vcpus'],
      ['cap above 100 per vCPU', { name: 'x', vcpus: 2, cap: 201 }, 'cap'],
      ['memory 0', { name: 'x', memory_mb: 0 }, 'memory_mb'],
      ['unknown workload', { name: 'x', workload: { type: 'gpu' } }, 'workload.type'],
      ['duty without sleep_ms', { name: 'x', workload: { type: 'duty', run_ms: 1 } }, 'workload.sleep_ms'],
      ['duty with run_ms 0', { name: 'x', workload: { type: 'duty', run_ms: 0, sleep_ms: 1 } }, 'workload.run_ms'],
      ['extra workload field', { name: 'x', workload: { type: 'cpu', run_ms: 1 } }, 'workload.run_ms'],
      ['start not boolean', { name: 'x', start: 'yes' }, 'start'],
    ];
    for (const [what, body, field] of bad) {
      it(`reject ${what}, naming ${field}`, async (t) => {
        const d = await build(t, { pcpus: 2 });
        const before = (await d.request('GET', '/api/v1/domains')).body.length;
        const res = await d.request('POST', '/api/v1/domains', body);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.code, 'INVALID_ARGUMENT');
        assert.equal(res.body.field, field);
        assert.match(res.body.message, new RegExp(field.split('.').at(-1) ?? field));
        assert.equal((await d.request('GET', '/api/v1/domains')).body.length, before);
      });
    }

    it('reject malformed JSON and a non-JSON body', async (t) => {
      const d = await build(t, { pcpus: 2 });
      const res = await d.app.inject({ method: 'POST', url: '/api/v1/domains', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().code, 'INVALID_ARGUMENT');
      const text = await d.app.inject({ method: 'POST', url: '/api/v1/domains', headers: { 'content-type': 'text/plain' }, payload: 'name=x' });
      assert.deepEqual([text.statusCode, text.json().code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
      const xml = await d.app.inject({ method: 'POST', url: '/api/v1/domains', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
      assert.deepEqual([xml.statusCode, xml.json().statusCode, xml.json().code], [415, 415, 'UNSUPPORTED_MEDIA_TYPE']);
    });

    it('409 NAME_TAKEN for a name in use, and the domid counter does not move', async (t) => {
      const d = await withDomains(t);
      const res = await d.request('POST', '/api/v1/domains', { name: 'web' });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'NAME_TAKEN');
      const next = await d.request('POST', '/api/v1/domains', { name: 'next' });
      assert.equal(next.body.id, 3);
    });
  });

  describe('PATCH', () => {
    it('change a halted domain\'s configuration', async (t) => {
      const d = await withDomains(t);
      const res = await d.request('PATCH', '/api/v1/domains/web', {
        name: 'www',
        max_vcpus: 3,
        vcpus: 2,
        memory_mb: 512,
        weight: 100,
        cap: 250,
        workload: { type: 'idle' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        [res.body.name, res.body.vcpus, res.body.max_vcpus, res.body.memory_mb, res.body.sched, res.body.workload],
        ['www', 2, 3, 512, { weight: 100, cap: 250 }, { type: 'idle' }],
      );
      assert.equal((await d.request('GET', '/api/v1/domains/web')).status, 404, 'the old name is free');
      assert.equal((await d.request('GET', '/api/v1/vcpus')).status, 404);
      const vcpus = await d.request('GET', '/api/v1/domains/www/vcpus');
      assert.equal(vcpus.body.length, 3);
    });

    it('change a running domain in the hypervisor too: its vCPUs, weight and workload', async (t) => {
      const d = await withDomains(t);
      // A CPU-bound rival of weight 256 on the 2 pCPUs.
      await d.request('POST', '/api/v1/domains', { name: 'rival', vcpus: 2, start: true });
      const res = await d.request('PATCH', '/api/v1/domains/db.1', { vcpus: 4, weight: 1024, cap: 0, workload: { type: 'cpu' } });
      assert.equal(res.status, 200);
      const vcpus = await d.request('GET', '/api/v1/domains/db.1/vcpus');
      assert.deepEqual(vcpus.body.map((v: { state: string }) => v.state !== 'offline'), [true, true, true, true]);
      const before = (await d.request('GET', '/api/v1/domains')).body;
      await d.request('POST', '/api/v1/host/clock/advance', { ms: 10_000 });
      const after = (await d.request('GET', '/api/v1/domains')).body;
      const used = (name: string): number => {
        const [was, is] = [before, after].map((list: { name: string; cpu_time_ns: number }[]) => list.find((x) => x.name === name)!.cpu_time_ns);
        return (is! - was!) / (10 * NS_PER_S);
      };
      // Weights 1024 : 256 of 2 pCPUs: 1.6 and 0.4 pCPUs (the old weight 512 would give 1.33 and 0.67).
      assert.ok(Math.abs(used('db.1') - 1.6) < 0.05, `db.1 used ${used('db.1')} pCPUs`);
      assert.ok(Math.abs(used('rival') - 0.4) < 0.05, `rival used ${used('rival')} pCPUs`);
      // CPU-bound now: no vCPU blocks any more.
      const blocked = (await d.request('GET', '/api/v1/domains/db.1/vcpus')).body.map((v: { runstate_ns: { blocked: number } }) => v.runstate_ns.blocked);
      await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
      const blockedLater = (await d.request('GET', '/api/v1/domains/db.1/vcpus')).body.map((v: { runstate_ns: { blocked: number } }) => v.runstate_ns.blocked);
      assert.deepEqual(blockedLater, blocked);
      const shrink = await d.request('PATCH', '/api/v1/domains/db.1', { max_vcpus: 2, cap: 200 });
      assert.equal(shrink.status, 200, JSON.stringify(shrink.body));
      assert.deepEqual([shrink.body.vcpus, shrink.body.max_vcpus], [2, 2]);
      assert.equal((await d.request('GET', '/api/v1/domains/db.1/vcpus')).body.length, 2);
    });

    it('reject an empty patch, a taken name, a cap the vCPUs cannot carry, and renaming Domain-0', async (t) => {
      const d = await withDomains(t);
      await d.request('PATCH', '/api/v1/domains/web', { name: 'www', max_vcpus: 3, vcpus: 2, cap: 250 });
      const empty = await d.request('PATCH', '/api/v1/domains/www', {});
      assert.equal(empty.status, 400);
      const taken = await d.request('PATCH', '/api/v1/domains/www', { name: 'db.1' });
      assert.deepEqual([taken.status, taken.body.code], [409, 'NAME_TAKEN']);
      const cap = await d.request('PATCH', '/api/v1/domains/www', { max_vcpus: 1, vcpus: 1 });
      assert.deepEqual([cap.status, cap.body.code, cap.body.field], [400, 'INVALID_ARGUMENT', 'cap']);
      const dom0 = await d.request('PATCH', '/api/v1/domains/0', { name: 'root' });
      assert.deepEqual([dom0.status, dom0.body.code], [409, 'DOMAIN0_PROTECTED']);
      const missing = await d.request('PATCH', '/api/v1/domains/nobody', { memory_mb: 1 });
      assert.equal(missing.status, 404);
      const www = await d.request('GET', '/api/v1/domains/www');
      assert.deepEqual([www.body.max_vcpus, www.body.sched.cap], [3, 250], 'unchanged');
    });
  });

  describe('power actions', () => {
    /** A daemon of the test's own with one halted domain; returns it and the domain's id. */
    const withHalted = async (t: TestContext): Promise<[TestDaemon, number]> => {
      const d = await build(t, { pcpus: 2 });
      return [d, (await d.request('POST', '/api/v1/domains', { name: 'p' })).body.id];
    };

    it('start, pause, unpause, shutdown, start, destroy', async (t) => {
      const [d, id] = await withHalted(t);
      const steps: [string, string][] = [
        ['start', 'running'],
        ['pause', 'paused'],
        ['unpause', 'running'],
        ['shutdown', 'halted'],
        ['start', 'running'],
        ['destroy', 'halted'],
      ];
      for (const [action, state] of steps) {
        const res = await d.request('POST', `/api/v1/domains/${id}/${action}`);
        assert.equal(res.status, 200, `${action}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.state, state);
      }
    });

    it('409 BAD_POWER_STATE with expected and actual for a wrong state', async (t) => {
      const [d, id] = await withHalted(t);
      const cases: [string, string[], string][] = [
        ['pause', ['running'], 'halted'],
        ['unpause', ['paused'], 'halted'],
        ['shutdown', ['running', 'paused'], 'halted'],
        ['destroy', ['running', 'paused'], 'halted'],
      ];
      for (const [action, expected, actual] of cases) {
        const res = await d.request('POST', `/api/v1/domains/${id}/${action}`);
        assert.equal(res.status, 409);
        assert.deepEqual([res.body.code, res.body.expected, res.body.actual], ['BAD_POWER_STATE', expected, actual]);
        assert.match(res.body.message, new RegExp(`is ${actual}`));
      }
      await d.request('POST', `/api/v1/domains/${id}/start`);
      const again = await d.request('POST', `/api/v1/domains/${id}/start`);
      assert.deepEqual([again.status, again.body.expected, again.body.actual], [409, ['halted'], 'running']);
      const unpause = await d.request('POST', `/api/v1/domains/${id}/unpause`);
      assert.deepEqual([unpause.status, unpause.body.actual], [409, 'running']);
    });

    it('protect Domain-0 from shutdown, destroy, pause and delete', async (t) => {
      const d = await build(t, { pcpus: 2 });
      for (const action of ['shutdown', 'destroy', 'pause', 'unpause']) {
        const res = await d.request('POST', `/api/v1/domains/0/${action}`);
        assert.deepEqual([res.status, res.body.code], [409, 'DOMAIN0_PROTECTED'], action);
      }
      const del = await d.request('DELETE', '/api/v1/domains/Domain-0');
      assert.deepEqual([del.status, del.body.code], [409, 'DOMAIN0_PROTECTED']);
      assert.equal((await d.request('GET', '/api/v1/domains/0')).body.state, 'running');
    });

    it('delete only when halted; the domid is never reused', async (t) => {
      const [d, id] = await withHalted(t);
      await d.request('POST', `/api/v1/domains/${id}/start`);
      const running = await d.request('DELETE', `/api/v1/domains/${id}`);
      assert.deepEqual([running.status, running.body.code, running.body.expected], [409, 'BAD_POWER_STATE', ['halted']]);
      await d.request('POST', `/api/v1/domains/${id}/destroy`);
      const deleted = await d.request('DELETE', `/api/v1/domains/${id}`);
      assert.equal(deleted.status, 204);
      assert.equal(deleted.body, undefined);
      assert.equal((await d.request('GET', `/api/v1/domains/${id}`)).status, 404);
      assert.equal((await d.request('DELETE', `/api/v1/domains/${id}`)).status, 404);
      const next = await d.request('POST', '/api/v1/domains', { name: `after${id}` });
      assert.equal(next.body.id, id + 1);
    });

    it('404 for power actions on unknown domains', async (t) => {
      const d = await build(t, { pcpus: 2 });
      const res = await d.request('POST', '/api/v1/domains/nobody/start');
      assert.deepEqual([res.status, res.body.code], [404, 'NO_SUCH_DOMAIN']);
    });
  });

  describe('sched, vcpus, affinity', () => {
    it('get and set weight and cap; persist for halted domains, apply for live ones', async (t) => {
      const d = await withDomains(t);
      const halted = await d.request('PUT', '/api/v1/domains/web/sched', { weight: 100 });
      assert.deepEqual(halted.body, { weight: 100, cap: 0 });
      assert.deepEqual((await d.request('GET', '/api/v1/domains/web/sched')).body, { weight: 100, cap: 0 });
      const set = await d.request('PUT', '/api/v1/domains/db.1/sched', { cap: 50 });
      assert.deepEqual(set.body, { weight: 512, cap: 50 });
      assert.deepEqual((await d.request('GET', '/api/v1/domains/db.1')).body.sched, { weight: 512, cap: 50 });
    });

    it('reject bad sched input', async (t) => {
      const d = await withDomains(t);
      const cases: [unknown, number, string][] = [
        [{}, 400, 'INVALID_ARGUMENT'],
        [{ weight: 0 }, 400, 'INVALID_ARGUMENT'],
        [{ cap: 401 }, 400, 'INVALID_ARGUMENT'],
        [{ cap: -1 }, 400, 'INVALID_ARGUMENT'],
        [{ weight: 1, extra: 1 }, 400, 'INVALID_ARGUMENT'],
      ];
      for (const [body, status, code] of cases) {
        const res = await d.request('PUT', '/api/v1/domains/db.1/sched', body);
        assert.deepEqual([res.status, res.body.code], [status, code], JSON.stringify(body));
      }
      assert.equal((await d.request('PUT', '/api/v1/domains/nobody/sched', { cap: 1 })).status, 404);
      assert.equal((await d.request('GET', '/api/v1/domains/nobody/sched')).status, 404);
      assert.deepEqual((await d.request('GET', '/api/v1/domains/db.1/sched')).body, { weight: 512, cap: 150 });
    });

    it('list vCPUs: live ones from the hypervisor, halted ones offline', async (t) => {
      const d = await withDomains(t);
      const live = await d.request('GET', '/api/v1/domains/db.1/vcpus');
      assert.equal(live.status, 200);
      assert.deepEqual(Object.keys(live.body[0]).sort(), [
        'active', 'affinity', 'budget_ns', 'cpu_time_ns', 'credit', 'id', 'parked', 'pcpu', 'priority', 'runqueue', 'runstate_ns', 'state', 'wake_latency', 'wakeups',
      ]);
      assert.equal(typeof live.body[0].credit, 'number');
      assert.equal(live.body[0].cpu_time_ns, live.body[0].runstate_ns.running);
      const halted = await d.request('GET', '/api/v1/domains/web/vcpus');
      assert.deepEqual(halted.body[0], {
        id: 0, state: 'offline', pcpu: null, affinity: 'all', cpu_time_ns: 0, credit: null, priority: null, runqueue: null, budget_ns: null,
        parked: false, runstate_ns: { running: 0, runnable: 0, blocked: 0, offline: 0 }, wakeups: 0,
        active: false, wake_latency: { count: 0, mean_ns: 0, max_ns: 0, p99_ns: 0 },
      });
      assert.equal((await d.request('GET', '/api/v1/domains/nobody/vcpus')).status, 404);
    });

    it('hot-plug vCPUs up to max_vcpus', async (t) => {
      const d = await withDomains(t);
      const res = await d.request('PUT', '/api/v1/domains/db.1/vcpus', { online: 1 });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.map((v: { state: string }) => v.state === 'offline'), [false, true, true, true]);
      assert.equal((await d.request('GET', '/api/v1/domains/db.1')).body.vcpus, 1);
      const over = await d.request('PUT', '/api/v1/domains/db.1/vcpus', { online: 5 });
      assert.deepEqual([over.status, over.body.field], [400, 'online']);
      assert.equal((await d.request('PUT', '/api/v1/domains/db.1/vcpus', { online: 0 })).status, 400);
      assert.equal((await d.request('PUT', '/api/v1/domains/nobody/vcpus', { online: 1 })).status, 404);
    });

    it('pin a vCPU, live and halted; reject missing vCPUs and pCPUs', async (t) => {
      const d = await withDomains(t);
      await d.request('PATCH', '/api/v1/domains/web', { name: 'www', max_vcpus: 3 });
      const live = await d.request('PUT', '/api/v1/domains/db.1/vcpus/0/affinity', { pcpus: [1] });
      assert.equal(live.status, 200);
      assert.deepEqual([live.body.id, live.body.affinity], [0, [1]]);
      const halted = await d.request('PUT', '/api/v1/domains/www/vcpus/2/affinity', { pcpus: [0, 1] });
      assert.deepEqual(halted.body.affinity, [0, 1]);
      const all = await d.request('PUT', '/api/v1/domains/db.1/vcpus/0/affinity', { pcpus: 'all' });
      assert.equal(all.body.affinity, 'all');
      const cases: [string, unknown, number, string][] = [
        ['/api/v1/domains/db.1/vcpus/4/affinity', { pcpus: [0] }, 404, 'NO_SUCH_VCPU'],
        ['/api/v1/domains/db.1/vcpus/0/affinity', { pcpus: [2] }, 400, 'BAD_AFFINITY'],
        ['/api/v1/domains/db.1/vcpus/0/affinity', { pcpus: [] }, 400, 'INVALID_ARGUMENT'],
        ['/api/v1/domains/db.1/vcpus/0/affinity', { pcpus: [0, 0] }, 400, 'INVALID_ARGUMENT'],
        ['/api/v1/domains/db.1/vcpus/0/affinity', { pcpus: 'some' }, 400, 'INVALID_ARGUMENT'],
        ['/api/v1/domains/db.1/vcpus/x/affinity', { pcpus: [0] }, 400, 'INVALID_ARGUMENT'],
        ['/api/v1/domains/nobody/vcpus/0/affinity', { pcpus: [0] }, 404, 'NO_SUCH_DOMAIN'],
      ];
      for (const [url, body, status, code] of cases) {
        const res = await d.request('PUT', url, body);
        assert.deepEqual([res.status, res.body.code], [status, code], `${url} ${JSON.stringify(body)}`);
      }
      assert.deepEqual((await d.request('GET', '/api/v1/domains/www/vcpus')).body[2].affinity, [0, 1], 'kept');
    });
  });

  describe('CPU time', () => {
    it('report simulated CPU time: two CPU-bound domains on pCPUs of their own get 100% each', async (t) => {
      const local = await build(t, { pcpus: 2 });
      await local.request('POST', '/api/v1/domains', { name: 'a', start: true });
      await local.request('POST', '/api/v1/domains', { name: 'b', start: true });
      await local.request('POST', '/api/v1/host/clock/advance', { ms: 10_000 });
      const list = await local.request('GET', '/api/v1/domains');
      const [, a, b] = list.body;
      // Work conserving: each uncapped CPU-bound vCPU has a whole pCPU of the two.
      assert.ok(Math.abs(a.cpu_time_ns / (10 * NS_PER_S) - 1) < 0.01, String(a.cpu_time_ns));
      assert.ok(Math.abs(b.cpu_time_ns / (10 * NS_PER_S) - 1) < 0.01, String(b.cpu_time_ns));
      const shut = await local.request('POST', '/api/v1/domains/a/shutdown');
      assert.equal(shut.body.cpu_time_ns, 0, 'a halted domain reports 0');
    });
  });
});
