import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyFlags, loadHostShape, type ConfigError } from '../../src/config.ts';
import { build } from '../helpers.ts';

describe('the host shape: topology, boot scheduler, credit2 runqueues', () => {
  it('defaults to one socket of NEMESIS_PCPUS single-thread cores under credit', () => {
    assert.deepEqual(loadHostShape({}), { pcpus: 4, topology: { sockets: 1, cores: 4, threads: 1 }, sched: 'credit', credit2_runqueue: 'socket' });
    assert.deepEqual(loadHostShape({ NEMESIS_PCPUS: '6' }).topology, { sockets: 1, cores: 6, threads: 1 });
  });

  it('reads --topology, --sched and --credit2-runqueue over the environment', () => {
    const { env } = applyFlags(['--topology', '2x8x2', '--sched', 'credit2', '--credit2-runqueue', 'core'], { NEMESIS_SCHED: 'credit' });
    assert.deepEqual(loadHostShape(env), { pcpus: 32, topology: { sockets: 2, cores: 8, threads: 2 }, sched: 'credit2', credit2_runqueue: 'core' });
  });

  it('refuses a bad shape naming every problem', () => {
    assert.throws(
      () => loadHostShape({ NEMESIS_TOPOLOGY: '2x0x1', NEMESIS_SCHED: 'rtds', NEMESIS_CREDIT2_RUNQUEUE: 'numa' }),
      (error: ConfigError) => {
        assert.equal(error.problems.length, 3);
        assert.match(error.problems[0]!, /NEMESIS_TOPOLOGY must be SOCKETSxCORESxTHREADS.*got "2x0x1"/);
        assert.match(error.problems[1]!, /NEMESIS_SCHED must be one of credit, credit2, got "rtds"/);
        assert.match(error.problems[2]!, /NEMESIS_CREDIT2_RUNQUEUE must be one of cpu, core, socket, node, all, got "numa"/);
        return true;
      },
    );
    assert.throws(() => loadHostShape({ NEMESIS_PCPUS: '4', NEMESIS_TOPOLOGY: '2x4x1' }), /NEMESIS_PCPUS \(4\) disagrees with NEMESIS_TOPOLOGY 2x4x1 \(8 pCPUs\)/);
  });

  it('GET /host shows the topology, the boot scheduler and the runqueue arrangement', async (t) => {
    const d = await build(t, { pcpus: 8, topology: { sockets: 2, cores: 2, threads: 2 }, sched: 'credit2', credit2_runqueue: 'core' });
    const res = await d.request('GET', '/api/v1/host');
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.pcpus, res.body.scheduler, res.body.topology, res.body.credit2_runqueue, res.body.free_pcpus], [8, 'credit2', { sockets: 2, cores: 2, threads: 2 }, 'core', []]);
  });

  it('a credit host keeps its default shape', async (t) => {
    const d = await build(t, { pcpus: 2 });
    const res = await d.request('GET', '/api/v1/host');
    assert.deepEqual([res.body.scheduler, res.body.topology, res.body.credit2_runqueue], ['credit', { sockets: 1, cores: 2, threads: 1 }, 'socket']);
  });
});
