import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { loadConfig, type ConfigError } from '../../src/config.ts';
import { build } from '../helpers.ts';

const TOKEN = 'a-token-of-24-characters';

describe('/metrics and the token', () => {
  it('need the token on /metrics when one is set, unless NEMESIS_METRICS_PUBLIC', async (t) => {
    const d = await build(t, { token: TOKEN });
    const open = await build(t, { token: TOKEN, metricsPublic: true });
    const refused = await d.request('GET', '/metrics');
    assert.deepEqual([refused.status, refused.body.code], [401, 'UNAUTHORIZED']);
    assert.equal((await d.request('GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await d.request('GET', '/healthz')).status, 200); // health never needs it
    assert.equal((await open.request('GET', '/metrics')).status, 200);
  });

  it('refuse a token shorter than 16 characters when HOST is not loopback', () => {
    assert.throws(() => loadConfig({ HOST: '0.0.0.0', NEMESIS_TOKEN: 'short' }), (error: ConfigError) =>
      error.problems.length === 1 && /NEMESIS_TOKEN must have at least 16 characters when HOST 0\.0\.0\.0/.test(error.message));
    assert.equal(loadConfig({ HOST: '0.0.0.0', NEMESIS_TOKEN: 'sixteen-chars-ok' }).token, 'sixteen-chars-ok');
    assert.equal(loadConfig({ NEMESIS_TOKEN: 'short' }).token, 'short'); // loopback: the user's own choice
    assert.deepEqual(loadConfig({ NEMESIS_ALLOWED_HOSTS: 'a.example, b.example', NEMESIS_RATE_LIMIT: '0' }).allowedHosts, ['a.example', 'b.example']);
    assert.throws(() => loadConfig({ NEMESIS_ALLOWED_HOSTS: 'http://x/' }), /NEMESIS_ALLOWED_HOSTS: "http:\/\/x\/" is not a host name/);
  });
});

describe('request logs', () => {
  it('log every change at info with its request id, operation, target and outcome, and never a token', async (t) => {
    const lines: Record<string, unknown>[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const d = await build(t, { token: TOKEN, logLevel: 'debug', logStream: stream });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const created = await d.request('POST', '/api/v1/domains', { name: 'web' }, auth);
    await d.request('POST', '/api/v1/domains/web/pause', undefined, auth);
    await d.request('GET', `/api/v1/domains/web?token=${TOKEN}&x=1`, undefined, auth);
    await d.request('GET', '/api/v1/host', undefined, { authorization: `Bearer ${TOKEN}-wrong` });
    const mutations = lines.filter((line) => line['msg'] === 'mutation');
    assert.deepEqual(mutations.map((m) => [m['level'], m['operation'], m['target'], m['status'], m['outcome']]), [
      [30, 'createDomain', {}, 201, 'ok'],
      [30, 'pauseDomain', { ref: 'web' }, 409, 'BAD_POWER_STATE'],
    ]);
    assert.equal(mutations[0]?.['reqId'], created.headers['x-request-id']);
    const read = lines.find((line) => line['msg'] === 'request' && String(line['url']).startsWith('/api/v1/domains/web?'));
    assert.equal(read?.['url'], '/api/v1/domains/web?token=[redacted]&x=1');
    assert.ok(lines.length >= 4);
    assert.ok(!lines.some((line) => JSON.stringify(line).includes(TOKEN)), 'a log line carries the token');
  });
});
