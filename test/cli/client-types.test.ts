import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CLIENT_TYPES_FILE, renderClientTypes } from '../../scripts/client-types.ts';
import type { components, paths } from '../../src/cli/generated/api-types.ts';
import { connect } from '../../src/cli/client.ts';
import { buildCli } from './helpers.ts';

type Workload = components['schemas']['Workload'];
type CreateConflict = paths['/api/v1/domains']['post']['responses'][409]['content']['application/json'];

/** Compiles only while the workload variants are a union discriminated by `type` (checked by `tsc --noEmit`). */
const burst_ms = (workload: Workload): number => (workload.type === 'duty' ? workload.run_ms : 0);
/** Compiles only while error responses carry the Error schema. */
const codeOf = (error: CreateConflict): string => error.code;

describe('the generated client', () => {
  it('is what openapi-typescript generates from openapi.yaml (run `npm run sdk` after changing a route)', async () => {
    assert.equal(readFileSync(CLIENT_TYPES_FILE, 'utf8'), await renderClientTypes());
  });

  describe('against the daemon, through openapi-fetch', () => {
    it('sends a discriminated workload and reads it back', async (t) => {
      const d = await buildCli(t);
      const { api } = connect(d.url, undefined);
      const { data, error } = await api.POST('/api/v1/domains', { body: { name: 'io', workload: { type: 'duty', run_ms: 5, sleep_ms: 15 } } });
      assert.equal(error, undefined);
      assert.deepEqual(data?.workload, { type: 'duty', run_ms: 5, sleep_ms: 15 });
      assert.equal(burst_ms(data?.workload ?? { type: 'idle' }), 5);
    });

    it('gives an error response its typed body', async (t) => {
      const d = await buildCli(t);
      assert.equal((await d.request('POST', '/api/v1/domains', { name: 'io' })).status, 201);
      const { api } = connect(d.url, undefined);
      const { data, error, response } = await api.POST('/api/v1/domains', { body: { name: 'io' } });
      assert.equal(data, undefined);
      assert.equal(response.status, 409);
      assert.equal(codeOf(error as CreateConflict), 'NAME_TAKEN');
    });
  });
});
