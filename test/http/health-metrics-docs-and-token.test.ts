import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PACKAGE_VERSION } from '../../src/vocabulary/version.ts';
import { build } from '../helpers.ts';

describe('outside /api/v1', () => {
  it('healthz answers without a token', async (t) => {
    const d = await build(t, { pcpus: 1, token: 's3cret' });
    const res = await d.request('GET', '/healthz');
    assert.deepEqual([res.status, res.body], [200, { status: 'ok', now_ns: 0, store: 'ok' }]);
  });

  it('metrics: domains by state, CPU seconds per domain, the clock, the tick loop, HTTP requests', async (t) => {
    const d = await build(t, { pcpus: 1, token: 's3cret' });
    const auth = { authorization: 'Bearer s3cret' };
    await d.request('POST', '/api/v1/domains', { name: 'a', start: true }, auth);
    await d.request('POST', '/api/v1/domains', { name: 'b' }, auth);
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 2000 }, auth);
    await d.request('GET', '/api/v1/domains/a', undefined, auth);
    await d.request('GET', '/api/v1/domains/nobody', undefined, auth);
    await d.request('GET', '/api/v1/domains/a');
    await d.request('GET', '/no/such/route');
    const res = await d.app.inject({ method: 'GET', url: '/metrics', headers: auth });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type']?.toString() ?? '', /^text\/plain/);
    const lines = res.body.split('\n');
    for (const expected of [
      'nemesis_domains{state="running"} 2',
      'nemesis_domains{state="halted"} 1',
      'nemesis_domains{state="paused"} 0',
      'nemesis_domain_cpu_seconds_total{domid="1",name="a"} 2',
      'nemesis_domain_cpu_seconds_total{domid="2",name="b"} 0',
      '# TYPE nemesis_domain_cpu_seconds_total counter',
      '# TYPE nemesis_ticks_total counter',
      'nemesis_sim_time_seconds 2',
      'nemesis_clock_speed 0',
      'nemesis_tick_skipped_seconds_total 0',
      'nemesis_http_requests_total{method="POST",route="/api/v1/domains",status="201"} 2',
      'nemesis_http_requests_total{method="GET",route="/api/v1/domains/:ref",status="200"} 1',
      'nemesis_http_requests_total{method="GET",route="/api/v1/domains/:ref",status="404"} 1',
      'nemesis_http_requests_total{method="GET",route="/api/v1/domains/:ref",status="401"} 1',
      'nemesis_http_requests_total{method="GET",route="unmatched",status="404"} 1',
    ]) {
      assert.ok(lines.includes(expected), `missing: ${expected}`);
    }
    assert.ok(lines.some((l) => l.startsWith('nemesis_tick_lag_seconds ')));
  });

  it('serve the OpenAPI document and the docs UI', async (t) => {
    const d = await build(t, { pcpus: 1, token: 's3cret' });
    const spec = await d.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(spec.statusCode, 200);
    assert.equal(spec.json().openapi, '3.0.3');
    assert.deepEqual([spec.json().info.title, spec.json().info.version], ['nemesisd', PACKAGE_VERSION]);
    assert.ok('/api/v1/scheduling-domains/{master}/members' in spec.json().paths, 'the document describes the API');
    const docs = await d.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.headers['content-type']?.toString() ?? '', /^text\/html/);
    assert.match(docs.body, /swagger-ui/i);
  });

  it('answer unknown routes with the error shape', async (t) => {
    const d = await build(t, { pcpus: 1, token: 's3cret' });
    const res = await d.request('GET', '/no/such/route');
    assert.deepEqual(res.body, { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'no route GET /no/such/route' });
  });
});

describe('bearer token on /api/v1', () => {
  for (const [what, headers] of [
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['another scheme', { authorization: 'Basic czNjcmV0' }],
  ] as const) {
    it(`401 with ${what}, and nothing is done`, async (t) => {
      const d = await build(t, { pcpus: 1, token: 's3cret' });
      const res = await d.request('POST', '/api/v1/domains', { name: 'x' }, headers);
      assert.deepEqual([res.status, res.body.code, res.body.error], [401, 'UNAUTHORIZED', 'Unauthorized']);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="nemesisd"');
      const list = await d.request('GET', '/api/v1/domains', undefined, { authorization: 'Bearer s3cret' });
      assert.equal(list.body.some((dom: { name: string }) => dom.name === 'x'), false);
    });
  }

  it('accept the right token, for reads and changes', async (t) => {
    const d = await build(t, { pcpus: 1, token: 's3cret' });
    const auth = { authorization: 'Bearer s3cret' };
    const res = await d.request('GET', '/api/v1/host', undefined, auth);
    assert.deepEqual([res.status, res.body.pcpus, res.body.version], [200, 1, PACKAGE_VERSION]);
    const created = await d.request('POST', '/api/v1/domains', { name: 'x' }, auth);
    assert.deepEqual([created.status, created.body.name, created.body.state], [201, 'x', 'halted']);
    const list = await d.request('GET', '/api/v1/domains', undefined, auth);
    assert.deepEqual(list.body.map((dom: { name: string }) => dom.name), ['Domain-0', 'x']);
  });
});
