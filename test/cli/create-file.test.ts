import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { buildCli } from './helpers.ts';

const SAMPLE = fileURLToPath(new URL('fixtures/web.cfg', import.meta.url));

describe('create -f: an xl domain config', () => {

  it('creates and starts the domain it describes, pinned as `cpus` says, listing the keys it ignored', async (t) => {
    const d = await buildCli(t, { pcpus: 4 });
    const result = await d.run('create', '-f', SAMPLE);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, `nemesis: ${SAMPLE}: ignored (no meaning on the simulated host): type, kernel, extra, disk, vif, on_crash\n`);
    assert.match(result.stdout, /^web +1 +2048 +2 +running +0\.0 +512 +150 +-$/m);
    const web = (await d.request('GET', '/api/v1/domains/web')).body;
    assert.deepEqual([web.vcpus, web.max_vcpus, web.memory_mb, web.sched, web.state], [2, 4, 2048, { weight: 512, cap: 150 }, 'running']);
    const vcpus = (await d.request('GET', '/api/v1/domains/web/vcpus')).body;
    assert.deepEqual(vcpus.map((v: { affinity: unknown }) => v.affinity), [[1, 3], [1, 3], [1, 3], [1, 3]]);
  });

  it('takes flags over the file, and a per-vCPU cpus list', async (t) => {
    const d = await buildCli(t, { pcpus: 4 });
    const file = join(d.dir.path, 'db.cfg');
    writeFileSync(file, 'name = "db"\nvcpus = 2\ncpus = ["0", "2-3"]\n');
    const created = await d.json('create', '-f', file, 'db2', '--defined', '--memory', '64');
    assert.deepEqual([created.name, created.state, created.memory_mb, created.vcpus], ['db2', 'halted', 64, 2]);
    const vcpus = (await d.request('GET', '/api/v1/domains/db2/vcpus')).body;
    assert.deepEqual(vcpus.map((v: { affinity: unknown }) => v.affinity), [[0], [2, 3]]);
  });

  it('leaves nothing behind when the daemon refuses the affinity', async (t) => {
    const d = await buildCli(t, { pcpus: 4 });
    const file = join(d.dir.path, 'bad.cfg');
    writeFileSync(file, 'name = "bad"\ncpus = "9"\n');
    const result = await d.run('create', '-f', file);
    assert.deepEqual([result.code, result.stdout], [1, '']);
    assert.match(result.stderr, /^nemesis: .*9/);
    assert.equal((await d.request('GET', '/api/v1/domains/bad')).status, 404);
  });
});
