import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIdempotency, IDEMPOTENCY_KEEP_MS, IDEMPOTENCY_MAX_KEYS } from '../../src/control/idempotency.ts';
import { createStore } from '../../src/store/index.ts';
import { build, startDaemon, tempDir } from '../helpers.ts';

const NS_PER_MS = 1_000_000;

describe('Idempotency-Key', () => {
  it('a retried POST /host/clock/advance advances once and gets the first answer again', async (t) => {
    const d = await build(t);
    const key = { 'idempotency-key': 'advance-1' };
    const first = await d.request('POST', '/api/v1/host/clock/advance', { ms: 100 }, key);
    assert.equal(first.status, 200);
    assert.equal(first.body.now_ns, 100 * NS_PER_MS);
    const retried = await d.request('POST', '/api/v1/host/clock/advance', { ms: 100 }, key);
    assert.equal(retried.status, 200);
    assert.deepEqual(retried.body, first.body);
    assert.equal(retried.headers['idempotent-replayed'], 'true');
    assert.equal(first.headers['idempotent-replayed'], undefined);
    assert.equal((await d.request('GET', '/api/v1/host')).body.clock.now_ns, 100 * NS_PER_MS, 'advanced once');

    // Retries that arrive while the first still runs wait for its answer.
    const together = await Promise.all([0, 1, 2].map(() => d.request('POST', '/api/v1/host/clock/advance', { ms: 50 }, { 'idempotency-key': 'advance-2' })));
    assert.deepEqual(together.map((r) => [r.status, r.body.now_ns]), Array(3).fill([200, 150 * NS_PER_MS]));
    assert.equal((await d.request('GET', '/api/v1/host')).body.clock.now_ns, 150 * NS_PER_MS);
    // A new key is a new request.
    assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: 50 }, { 'idempotency-key': 'advance-3' })).body.now_ns, 200 * NS_PER_MS);
  });

  it('a retried POST /domains creates one domain; the same key with another body is 422 and does nothing', async (t) => {
    const d = await build(t);
    const key = { 'idempotency-key': '6d1f8e8e-2c1b-4d7e-9a51-1f9d3f1c2b7a' };
    const first = await d.request('POST', '/api/v1/domains', { name: 'web', start: true }, key);
    const retried = await d.request('POST', '/api/v1/domains', { start: true, name: 'web' }, key);
    assert.equal(first.status, 201);
    assert.deepEqual([retried.status, retried.headers['location'], retried.body], [201, first.headers['location'], first.body], 'the same answer (key order in the body does not matter)');
    assert.deepEqual((await d.request('GET', '/api/v1/domains')).body.map((x: { name: string }) => x.name), ['Domain-0', 'web']);
    assert.equal((await d.request('POST', '/api/v1/domains', { name: 'web' })).body.code, 'NAME_TAKEN', 'without a key, a second create is a new request');

    const reused = await d.request('POST', '/api/v1/domains', { name: 'db' }, key);
    assert.equal(reused.status, 422);
    assert.equal(reused.body.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(reused.body.message, `Idempotency-Key "${key['idempotency-key']}" was used for another request (another path or body); use a new key for a new request`);
    assert.equal((await d.request('POST', '/api/v1/domains/web/pause', undefined, key)).status, 422, 'another path too');
    assert.equal((await d.request('GET', '/api/v1/domains/db')).status, 404);
    assert.equal((await d.request('GET', '/api/v1/domains/web')).body.state, 'running');

    // A refused request is not kept: once the conflict is gone, a retry with the key runs.
    const refused = await d.request('POST', '/api/v1/domains/web/start', undefined, { 'idempotency-key': 'start-web' });
    assert.equal(refused.body.code, 'BAD_POWER_STATE');
    await d.request('POST', '/api/v1/domains/web/shutdown');
    assert.equal((await d.request('POST', '/api/v1/domains/web/start', undefined, { 'idempotency-key': 'start-web' })).status, 200);
    const deep = await d.request('POST', '/api/v1/domains/web/pause', '['.repeat(5000) + ']'.repeat(5000), { 'idempotency-key': 'deep', 'content-type': 'application/json' });
    assert.equal(deep.status, 400, 'a deeply nested body is refused, not a failure of the daemon');
    const bad = await d.request('POST', '/api/v1/domains', { name: 'x' }, { 'idempotency-key': 'a b' });
    assert.deepEqual([bad.status, bad.body.code], [400, 'INVALID_ARGUMENT']);
    assert.match(bad.body.field, /idempotency-key/i);
  });

  it('keep answers across a restart', async () => {
    const dir = tempDir();
    try {
      const first = await startDaemon({ dir });
      const created = await first.request('POST', '/api/v1/domains', { name: 'web' }, { 'idempotency-key': 'k' });
      await first.close();
      const second = await startDaemon({ dir });
      try {
        const retried = await second.request('POST', '/api/v1/domains', { name: 'web' }, { 'idempotency-key': 'k' });
        assert.deepEqual([retried.status, retried.body], [201, created.body]);
        assert.equal((await second.request('GET', '/api/v1/domains')).body.length, 2);
      } finally {
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });

  it(`forget answers after 24 h, and keep at most ${IDEMPOTENCY_MAX_KEYS} (the oldest go first)`, async () => {
    const store = createStore(':memory:');
    let now_ms = 1_000_000;
    const keys = createIdempotency(store, () => now_ms);
    const run = (key: string, request = 'POST /x {}'): string => {
      const started = keys.start(key, request);
      if (started.kind === 'first') started.finish({ status: 200, headers: {}, body: key });
      return started.kind;
    };
    assert.equal(run('a'), 'first');
    now_ms += IDEMPOTENCY_KEEP_MS;
    assert.equal(run('a'), 'retry', 'still kept at 24 h');
    now_ms += 1;
    assert.equal(run('a'), 'first', 'forgotten after 24 h');
    for (let i = 0; i < IDEMPOTENCY_MAX_KEYS; i++) {
      now_ms += 1;
      run(`k${i}`);
    }
    assert.equal(store.idempotency.count(), IDEMPOTENCY_MAX_KEYS);
    assert.equal(run('a'), 'first', 'the oldest went first');
    assert.equal(run(`k${IDEMPOTENCY_MAX_KEYS - 1}`), 'retry');
    assert.equal(store.idempotency.count(), IDEMPOTENCY_MAX_KEYS);
    const failed = keys.start('refused', 'POST /y {}');
    assert.equal(failed.kind, 'first');
    if (failed.kind === 'first') failed.finish({ status: 409, headers: {}, body: '' });
    assert.equal(run('refused', 'POST /y {}'), 'first', 'a refusal is not kept');
    store.close();
  });
});
