/**
 * The cpupool commands against a daemon with 4 pCPUs on a frozen clock:
 * tables checked cell by cell, --json against the API's own objects, and
 * xl's rules reaching the user as one line naming the problem.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startCliDaemon, succeeded, type CliDaemon } from './helpers.ts';

const BATCH_CFG = fileURLToPath(new URL('./fixtures/batch.cpupool.cfg', import.meta.url));

describe('nemesis cpupool commands', () => {
  let d: CliDaemon;
  before(async () => {
    d = await startCliDaemon({ pcpus: 4 });
  });
  after(() => d.close());

  const ok = (...args: string[]): Promise<string[][]> => succeeded(d, ...args);
  const POOL_HEAD = ['Name', 'CPUs', 'Sched', 'Active', 'Domain', 'count'];

  it('cpupool-list shows Pool-0 with every CPU; -c its CPU list', async () => {
    assert.deepEqual(await ok('cpupool-list'), [POOL_HEAD, ['Pool-0', '4', 'credit', 'y', '1']]);
    assert.deepEqual(await ok('cpupool-list', '-c'), [['Name', 'CPU', 'list'], ['Pool-0', '0-3']]);
  });

  it('cpupool-create from an xlcpupool.cfg takes free CPUs only', async () => {
    const refused = await d.run('cpupool-create', '-f', BATCH_CFG);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pCPU 2 belongs to cpupool Pool-0/);
    assert.deepEqual(await ok('cpupool-cpu-remove', 'Pool-0', '2-3'), [POOL_HEAD, ['Pool-0', '2', 'credit', 'y', '1']]);
    assert.deepEqual(await ok('cpupool-create', '-f', BATCH_CFG), [POOL_HEAD, ['batch', '2', 'credit2', 'y', '0']]);
    assert.deepEqual(await d.json('cpupool-list', 'batch'), [(await d.request('GET', '/api/v1/cpupools/batch')).body]);
    assert.deepEqual(await ok('cpupool-list', '-c'), [['Name', 'CPU', 'list'], ['Pool-0', '0-1'], ['batch', '2-3']]);
  });

  it('cpupool-create takes xl\'s KEY=VALUE settings, unquoted as the shell leaves them, overriding a config file', async () => {
    await ok('cpupool-cpu-remove', 'Pool-0', '1');
    assert.deepEqual(await ok('cpupool-create', 'name=spare', 'sched=credit', 'cpus=1'), [POOL_HEAD, ['spare', '1', 'credit', 'y', '0']]);
    await ok('cpupool-destroy', 'spare');
    assert.deepEqual(await ok('cpupool-create', 'name="spare"', 'cpus=[1]'), [POOL_HEAD, ['spare', '1', 'credit', 'y', '0']], 'quoted, and a list');
    await ok('cpupool-destroy', 'spare');
    const twoFiles = await d.run('cpupool-create', BATCH_CFG, BATCH_CFG);
    assert.equal(twoFiles.code, 2);
    assert.match(twoFiles.stderr, /one config file at most/);
    assert.deepEqual(await ok('cpupool-cpu-add', 'Pool-0', '1'), [POOL_HEAD, ['Pool-0', '2', 'credit', 'y', '1']]);
  });

  it('cpupool-migrate moves a domain; list -c and top show its pool', async () => {
    await ok('create', 'hog', '--workload', 'cpu');
    await ok('cpupool-migrate', 'hog', 'batch');
    const listed = await ok('list', '-c', 'hog');
    assert.deepEqual(listed[0]!.at(-1), 'Cpupool');
    assert.deepEqual(listed[1]!.at(-1), 'batch');
    const top = await ok('top', '-b', '-i', '1');
    const header = top.find((row) => row[0] === 'NAME')!;
    assert.equal(header.at(-1), 'POOL');
    assert.equal(top.find((row) => row[0] === 'hog')!.at(-1), 'batch');
    assert.equal(top.find((row) => row[0] === 'Domain-0')!.at(-1), 'Pool-0');
  });

  it('sched-credit2 shows and sets a pool\'s parameters and its domains\' weights', async () => {
    assert.deepEqual(await ok('sched-credit2', '-s', '-p', 'batch'), [
      ['cpupool', ':', 'batch'], ['scheduler', ':', 'credit2'], ['profile', ':', 'xen-4.21'], ['ratelimit_us', ':', '1000'], ['inflight_credit', ':', 'true'], ['runqueue', ':', 'socket'],
    ]);
    assert.deepEqual((await ok('sched-credit2', '-s', '-p', 'batch', '-r', '500'))[3], ['ratelimit_us', ':', '500']);
    assert.equal((await d.request('GET', '/api/v1/cpupools/batch/scheduler')).body.ratelimit_us, 500);
    assert.deepEqual(await ok('sched-credit2', '-p', 'batch'), [['Name', 'ID', 'Weight', 'Cap'], ['hog', '1', '256', '0']]);
    await ok('sched-credit2', '-d', 'hog', '-w', '512');
    assert.deepEqual((await d.request('GET', '/api/v1/domains/hog/sched')).body, { weight: 512, cap: 0 });
  });

  it('sched-credit and sched-credit2 each list the domains of the pools running theirs, and refuse a domain or pool running the other', async () => {
    const head = ['Name', 'ID', 'Weight', 'Cap'];
    assert.deepEqual(await ok('sched-credit'), [head, ['Domain-0', '0', '256', '0']], 'hog lives in batch, which runs credit2');
    assert.deepEqual(await ok('sched-credit2'), [head, ['hog', '1', '512', '0']]);
    assert.deepEqual(await ok('sched-credit', '-p', 'Pool-0'), [head, ['Domain-0', '0', '256', '0']]);
    assert.deepEqual((await ok('sched-credit', '-s', '-p', 'Pool-0'))[0], ['scheduler', ':', 'credit']);
    const wrongDomain = await d.run('sched-credit', '-d', 'hog', '-w', '300');
    assert.equal(wrongDomain.code, 1);
    assert.equal(wrongDomain.stderr, 'nemesis: hog lives in cpupool batch, which does not run credit: use sched-credit2 -d hog\n');
    const wrongPool = await d.run('sched-credit', '-s', '-p', 'batch');
    assert.equal(wrongPool.code, 1);
    assert.equal(wrongPool.stderr, 'nemesis: cpupool batch runs credit2, not credit: use sched-credit2 -p batch\n');
    assert.equal((await d.run('sched-credit2', '-p', 'Pool-0')).code, 1);
    assert.deepEqual((await d.request('GET', '/api/v1/domains/hog/sched')).body, { weight: 512, cap: 0 }, 'nothing changed');
  });

  it('usage: the fairness report, then each pool\'s totals against its capacity', async () => {
    // Pool-0 (credit, pCPUs 0-1): web, one CPU-bound vCPU, gets one pCPU, 100 of 200; Domain-0 idles.
    // batch (credit2, pCPUs 2-3): hog alone, one vCPU, 100 of 200.
    await ok('create', 'web', '--workload', 'cpu');
    await ok('clock', '--advance', '3000');
    const rows = await ok('usage', '-w', '2000');
    assert.match(rows[0]!.join(' '), /^over 2\.\d+ s of simulated time/);
    const head = rows.findIndex((row) => row[0] === 'Pool' && row[1] === 'Sched');
    assert.deepEqual(rows[head], ['Pool', 'Sched', 'CPUs', 'Capacity(%)', 'Domains', 'Observed(%)', 'Expected(%)', 'Diff', 'Busy(%)']);
    const pools = rows.slice(head + 1).map(([name, sched, cpus, capacity, domains, observed, expected]) => [name, sched, cpus, capacity, domains, Math.round(Number(observed)), expected]);
    assert.deepEqual(pools, [['Pool-0', 'credit', '0-1', '200.0', '2', 100, '100.0'], ['batch', 'credit2', '2-3', '200.0', '1', 100, '100.0']]);
    const web = rows.find((row) => row[0] === 'web')!;
    assert.deepEqual([web[2], web[4]], ['Pool-0', '100.0']);
    const json = await d.json('usage', '-w', '2000');
    assert.deepEqual(json.cpupools, (await d.request('GET', '/api/v1/host/usage?window_ms=2000')).body.cpupools);
    await ok('destroy', 'web');
    await ok('delete', 'web');
  });

  it('xl\'s rules: a pool with domains stays, Pool-0 stays, the last CPU stays while domains live there', async () => {
    const busy = await d.run('cpupool-destroy', 'batch');
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /cpupool batch still has domains \(hog\)/);
    assert.match((await d.run('cpupool-destroy', 'Pool-0')).stderr, /Pool-0 cannot be destroyed/);
    await ok('cpupool-cpu-remove', 'batch', '3');
    assert.match((await d.run('cpupool-cpu-remove', 'batch', '2')).stderr, /pCPU 2 is the last of cpupool batch, where hog live/);
    await ok('cpupool-migrate', 'hog', 'Pool-0');
    await ok('cpupool-destroy', 'batch');
    assert.deepEqual(await ok('cpupool-cpu-add', 'Pool-0', '2-3'), [POOL_HEAD, ['Pool-0', '4', 'credit', 'y', '2']]);
  });
});
