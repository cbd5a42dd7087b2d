import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { OPENAPI_FILE, renderOpenapiYaml } from '../../scripts/openapi-document.ts';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  security?: unknown[];
  responses: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}

describe('openapi.yaml', () => {
  it('is what the server generates (run `npm run openapi` after changing a route)', async () => {
    assert.equal(readFileSync(OPENAPI_FILE, 'utf8'), await renderOpenapiYaml());
  });

  it('gives every operation a camelCase operationId, a tag, a summary, security and described responses', () => {
    const spec = parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Partial<Record<string, Operation>>> };
    const ids: string[] = [];
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (op === undefined) continue;
        assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, `${method} ${path}`);
        ids.push(op.operationId ?? '');
        assert.equal(op.tags?.length, 1, `${method} ${path} tag`);
        assert.ok(op.summary, `${method} ${path} summary`);
        assert.ok(op.security !== undefined, `${method} ${path} security`);
        for (const [status, response] of Object.entries(op.responses)) {
          assert.ok(response.description && response.description !== 'Default Response', `${method} ${path} ${status}`);
          if (path.startsWith('/api/v1') && status >= '400') {
            assert.equal(response.content?.['application/json']?.schema?.$ref, '#/components/schemas/Error');
          }
        }
        if (path.startsWith('/api/v1')) {
          for (const status of ['400', '401', '500']) assert.ok(status in op.responses, `${method} ${path} answers ${status}`);
        }
      }
    }
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const id of [
      'listDomains', 'getDomain', 'createDomain', 'updateDomain', 'deleteDomain', 'startDomain', 'pauseDomain',
      'unpauseDomain', 'shutdownDomain', 'destroyDomain', 'getDomainSched', 'setDomainSched', 'listDomainVcpus',
      'setDomainVcpus', 'setVcpuAffinity', 'getHost', 'listPcpus', 'setClock', 'advanceClock', 'getScheduler',
      'setScheduler', 'listSchedulingDomains', 'createSchedulingDomain', 'getSchedulingDomain', 'deleteSchedulingDomain',
      'addSchedulingDomainMember', 'removeSchedulingDomainMember', 'updateSchedulingDomain',
      'setSchedulingDomainMemberShare', 'streamEvents', 'getHealth', 'getMetrics',
    ]) {
      assert.ok(ids.includes(id), `missing operation ${id}`);
    }
  });
});
