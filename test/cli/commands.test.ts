/**
 * Every command of the tool against a daemon with 2 pCPUs on a frozen clock:
 * tables checked cell by cell, --json against the API's own objects.
 * Figures: `web` has 2 CPU-bound vCPUs and no cap, so on 2 pCPUs it runs
 * all the time: after 2 simulated seconds it has 4.0 s and each pCPU 2.0 s busy.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PACKAGE_VERSION } from '../helpers.ts';
import { startCliDaemon, succeeded, type CliDaemon } from './helpers.ts';

describe('nemesis commands', () => {
  let d: CliDaemon;
  before(async () => {
    d = await startCliDaemon({ pcpus: 2 });
  });
  after(() => d.close());

  const ok = (...args: string[]): Promise<string[][]> => succeeded(d, ...args);
  const LIST_HEAD = ['Name', 'ID', 'Mem', 'VCPUs', 'State', 'Time(s)', 'Weight', 'Cap', 'Group'];

  it('create starts a domain with the flags given (and --json gives the API object)', async () => {
    assert.deepEqual(await ok('create', 'web', '--vcpus', '2', '--maxvcpus', '4', '--memory', '512', '--weight', '512', '--workload', 'cpu'), [
      LIST_HEAD, ['web', '1', '512', '2', 'running', '0.0', '512', '0', '-'],
    ]);
    const db = await d.json('create', 'db', '--workload', 'duty:5/15', '--cap', '50', '--paused');
    assert.deepEqual([db.id, db.state, db.workload, db.sched], [2, 'paused', { type: 'duty', run_ms: 5, sleep_ms: 15 }, { weight: 256, cap: 50 }]);
    assert.deepEqual((await d.request('GET', '/api/v1/domains/db')).body, db);
    assert.deepEqual(await ok('create', 'spare', '--defined', '--workload', 'idle'), [LIST_HEAD, ['spare', '3', '256', '1', 'halted', '0.0', '256', '0', '-']]);
  });

  it('clock runs the simulation forward; list shows the CPU time it gave', async () => {
    await d.request('POST', '/api/v1/domains/db/destroy');
    assert.deepEqual(await ok('clock', '--advance', '2000'), [
      ['now_s', ':', '2.000000000'], ['speed', ':', '0', '(frozen)'], ['running', ':', 'no'], ['skipped_s', ':', '0.000000000'], ['loop_late_ticks', ':', '0'], ['loop_max_late_ms', ':', '0'],
    ]);
    assert.deepEqual(await ok('list'), [
      LIST_HEAD,
      ['Domain-0', '0', '1024', '2', 'running', '0.0', '256', '0', '-'],
      ['web', '1', '512', '2', 'running', '4.0', '512', '0', '-'],
      ['db', '2', '256', '1', 'halted', '0.0', '256', '50', '-'],
      ['spare', '3', '256', '1', 'halted', '0.0', '256', '0', '-'],
    ]);
    const [listed, api] = await Promise.all([d.json('list', 'web', 'db'), d.request('GET', '/api/v1/domains')]);
    assert.deepEqual(listed, api.body.slice(1, 3));
    assert.equal(listed[0].cpu_time_ns, 4_000_000_000);
    const long = await ok('list', '-l', 'web');
    assert.deepEqual(long.find((row) => row[0] === 'sched.weight'), ['sched.weight', ':', '512']);
    assert.deepEqual(long.find((row) => row[0] === 'cpu_time_ns'), ['cpu_time_ns', ':', '4000000000']);
    assert.deepEqual((await d.json('clock')).now_ns, 2_000_000_000);
  });

  it('start, pause, unpause, shutdown and destroy', async () => {
    assert.deepEqual((await ok('start', 'db'))[1]?.slice(0, 5), ['db', '2', '256', '1', 'running']);
    assert.equal((await d.json('pause', 'db')).state, 'paused');
    assert.deepEqual((await ok('unpause', '2'))[1]?.slice(0, 5), ['db', '2', '256', '1', 'running']);
    assert.equal((await d.json('shutdown', 'db')).state, 'halted');
    await ok('start', 'db');
    assert.deepEqual((await ok('destroy', 'db'))[1]?.slice(0, 5), ['db', '2', '256', '1', 'halted']);
  });

  it('rename and delete', async () => {
    assert.deepEqual((await ok('rename', 'spare', 'extra'))[1]?.slice(0, 2), ['extra', '3']);
    assert.equal((await d.json('rename', 'extra', 'spare')).name, 'spare');
    assert.deepEqual(await d.run('delete', 'spare'), { code: 0, stdout: '', stderr: '' });
    assert.equal((await d.request('GET', '/api/v1/domains/spare')).status, 404);
  });

  it('sched-credit lists, shows and sets weights and caps, and the scheduler-wide parameters', async () => {
    const HEAD = ['Name', 'ID', 'Weight', 'Cap'];
    assert.deepEqual(await ok('sched-credit'), [HEAD, ['Domain-0', '0', '256', '0'], ['web', '1', '512', '0'], ['db', '2', '256', '50']]);
    assert.deepEqual(await ok('sched-credit', '-d', 'web', '-w', '1024', '-c', '150'), [HEAD, ['web', '1', '1024', '150']]);
    assert.deepEqual((await d.request('GET', '/api/v1/domains/web/sched')).body, { weight: 1024, cap: 150 });
    assert.deepEqual(await d.json('sched-credit', '-d', 'web'), { weight: 1024, cap: 150 });
    assert.deepEqual((await d.json('sched-credit'))[1], { id: 1, name: 'web', weight: 1024, cap: 150 });
    assert.deepEqual(await ok('sched-credit', '-s', '-t', '20', '-r', '500'), [
      ['scheduler', ':', 'credit'], ['tslice_ms', ':', '20'], ['ratelimit_us', ':', '500'], ['tick_ms', ':', '10'], ['accounting', ':', 'exact'],
    ]);
    assert.deepEqual(await d.json('sched-credit', '-s'), (await d.request('GET', '/api/v1/scheduler')).body);
  });

  it('vcpu-set, and vcpu-pin in xl CPU list syntax', async () => {
    const HEAD = ['Name', 'ID', 'VCPU', 'CPU', 'State', 'Time(s)', 'Affinity'];
    assert.deepEqual(await ok('vcpu-set', 'web', '3'), [
      HEAD, ['web', '1', '0', '0', 'running', '2.0', 'all'], ['web', '1', '1', '1', 'running', '2.0', 'all'], ['web', '1', '2', '0', 'runnable', '0.0', 'all'],
      ['web', '1', '3', '-', 'offline', '0.0', 'all'],
    ]);
    const [, row] = await ok('vcpu-pin', 'web', '2', '^0'); // ^0 on 2 pCPUs: pCPU 1 only, where it now is
    assert.deepEqual([row?.[0], row?.[2], row?.[3], row?.[6]], ['web', '2', '1', '1']);
    assert.deepEqual((await d.request('GET', '/api/v1/domains/web/vcpus')).body[2].affinity, [1]);
  });

  it('vcpu-pin all, and vcpu-list', async () => {
    const pinned = await ok('vcpu-pin', 'web', 'all', '0-1');
    assert.deepEqual(pinned.slice(1).map((row) => [row[2], row[6]]), [['0', '0-1'], ['1', '0-1'], ['2', '0-1'], ['3', '0-1']]);
    assert.deepEqual(await d.json('vcpu-list', 'web'), [{ id: 1, name: 'web', vcpus: (await d.request('GET', '/api/v1/domains/web/vcpus')).body }]);
    const all = await ok('vcpu-list');
    assert.deepEqual(all.map((row) => row.slice(0, 3).join(' ')), ['Name ID VCPU', 'Domain-0 0 0', 'Domain-0 0 1', 'web 1 0', 'web 1 1', 'web 1 2', 'web 1 3', 'db 2 0']);
  });

  it('sdom create, add, and share of the master', async () => {
    await d.request('POST', '/api/v1/domains', { name: 'stub1', start: true, workload: { type: 'idle' } });
    await d.request('POST', '/api/v1/domains', { name: 'stub2', start: true, workload: { type: 'idle' } });
    const HEAD = ['Master', 'ID', 'Share', 'Members', 'Active', 'Time(s)'];
    // A group's time is what it used since it formed: none yet, on the frozen clock.
    assert.deepEqual(await ok('sdom', 'create', 'web', 'stub1'), [HEAD, ['web', '1', '256', 'stub1:256', 'yes', '0.0']]);
    assert.deepEqual(await ok('sdom', 'add', 'web', 'stub2', '--share', '512'), [HEAD, ['web', '1', '256', 'stub1:256,stub2:512', 'yes', '0.0']]);
    assert.deepEqual(await ok('sdom', 'share', 'web', 'web', '768'), [HEAD, ['web', '1', '768', 'stub1:256,stub2:512', 'yes', '0.0']]);
  });

  it('sdom share of a member, and remove', async () => {
    const HEAD = ['Master', 'ID', 'Share', 'Members', 'Active', 'Time(s)'];
    assert.equal((await d.json('sdom', 'share', 'web', 'stub1', '100')).members[0].share, 100);
    assert.deepEqual(await ok('sdom', 'remove', 'web', 'stub2'), [HEAD, ['web', '1', '768', 'stub1:100', 'yes', '0.0']]);
    assert.deepEqual(await ok('list', 'stub1', 'stub2').then((rows) => rows.map((row) => row[8])), ['Group', 'web', '-']);
  });

  it('sdom list and destroy', async () => {
    const HEAD = ['Master', 'ID', 'Share', 'Members', 'Active', 'Time(s)'];
    const api = (await d.request('GET', '/api/v1/scheduling-domains')).body;
    assert.deepEqual(await d.json('sdom', 'list'), api);
    assert.deepEqual(await d.json('sdom', 'list', 'web'), api);
    assert.deepEqual(await d.run('sdom', 'destroy', 'web'), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(await ok('sdom', 'list'), [HEAD]);
  });

  it('info', async () => {
    const host = (await d.request('GET', '/api/v1/host')).body;
    const info = await ok('info');
    assert.deepEqual(info.filter((row) => ['nr_cpus', 'xen_scheduler', 'tslice_ms', 'now_s', 'trace_hash'].includes(row[0] ?? '')), [
      ['nr_cpus', ':', '2'], ['xen_scheduler', ':', 'credit'], ['tslice_ms', ':', '20'], ['now_s', ':', '2.000000000'], ['trace_hash', ':', host.trace_hash],
    ]);
    assert.deepEqual((await d.json('info')).host, host);
  });

  it('pcpu-list', async () => {
    const pcpus = await ok('pcpu-list');
    assert.deepEqual(pcpus.map((row) => [row[0], ...row.slice(-3)]), [['CPU', 'Busy(s)', 'Idle(s)', 'Busy(%)'], ['0', '2.0', '0.0', '100.0'], ['1', '2.0', '0.0', '100.0']]);
    assert.deepEqual(await d.json('pcpu-list'), (await d.request('GET', '/api/v1/host/pcpus')).body);
  });

  it('help lists the commands; help CMD gives its usage', async () => {
    const help = await d.run('help');
    assert.equal(help.code, 0);
    for (const command of ['list', 'create', 'sched-credit', 'vcpu-pin', 'sdom', 'clock', 'info', 'pcpu-list', 'top']) {
      assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'));
    }
    const pin = await d.run('help', 'vcpu-pin');
    assert.equal(pin.code, 0);
    assert.match(pin.stdout, /^Usage: nemesis vcpu-pin \[options\] <DOM> <VCPU> <CPUS>$/m);
    assert.match(help.stdout, /^ {2}-V, --version +print the tool's version$/m);
  });

  it('--version prints the version of its package, and nothing else', async () => {
    for (const flag of ['--version', '-V']) assert.deepEqual(await d.run(flag), { code: 0, stdout: `nemesis ${PACKAGE_VERSION}\n`, stderr: '' });
  });

  it('run as an installed program: the build, through its first line', { skip: process.platform === 'win32' }, () => {
    const program = fileURLToPath(new URL('../../dist/bin/nemesis.js', import.meta.url));
    const run = spawnSync(program, ['--version'], { encoding: 'utf8' });
    assert.deepEqual([run.status, run.stdout, run.stderr], [0, `nemesis ${PACKAGE_VERSION}\n`, '']);
  });
});
