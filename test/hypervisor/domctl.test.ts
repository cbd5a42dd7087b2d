/** domctl: typed errors for bad input, and a failed operation changes nothing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CAP_UNCHANGED, DomctlErrorCode, WEIGHT_UNCHANGED, type DomctlOp } from '../../src/hypervisor/index.ts';
import { NS_PER_S, createDomain, must, newHost, snapshot } from './helpers.ts';

function busyHost() {
  const host = newHost(2);
  createDomain(host, 1, { max_vcpus: 2, vcpus: 1, cap: 150 });
  createDomain(host, 2, { workload: { type: 'duty', run_ms: 3, sleep_ms: 4 } });
  host.advanceTo(NS_PER_S);
  return host;
}

const BAD: readonly [string, DomctlOp, string, string | undefined][] = [
  ['unknown domain', { op: 'pausedomain', domid: 99 }, DomctlErrorCode.NO_SUCH_DOMAIN, 'domid'],
  ['domid in use', { op: 'createdomain', domid: 1, max_vcpus: 1, vcpus: 1 }, DomctlErrorCode.DOMAIN_EXISTS, 'domid'],
  ['negative domid', { op: 'createdomain', domid: -1, max_vcpus: 1, vcpus: 1 }, DomctlErrorCode.INVALID_ARGUMENT, 'domid'],
  ['too many vCPUs', { op: 'createdomain', domid: 5, max_vcpus: 129, vcpus: 1 }, DomctlErrorCode.INVALID_ARGUMENT, 'max_vcpus'],
  ['more online than max', { op: 'createdomain', domid: 5, max_vcpus: 2, vcpus: 3 }, DomctlErrorCode.INVALID_ARGUMENT, 'vcpus'],
  ['weight 0 at creation means default, 70000 is out of range', { op: 'createdomain', domid: 5, max_vcpus: 1, vcpus: 1, weight: 70000 }, DomctlErrorCode.INVALID_ARGUMENT, 'weight'],
  ['cap above 100 per vCPU at creation', { op: 'createdomain', domid: 5, max_vcpus: 1, vcpus: 1, cap: 101 }, DomctlErrorCode.INVALID_ARGUMENT, 'cap'],
  ['duty with no run time', { op: 'createdomain', domid: 5, max_vcpus: 1, vcpus: 1, workload: { type: 'duty', run_ms: 0, sleep_ms: 1 } }, DomctlErrorCode.INVALID_ARGUMENT, 'workload.run_ms'],
  ['affinity to a missing pCPU', { op: 'createdomain', domid: 5, max_vcpus: 1, vcpus: 1, affinity: [[2]] }, DomctlErrorCode.BAD_AFFINITY, 'pcpus'],
  ['weight out of range', { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: 65536, cap: CAP_UNCHANGED }, DomctlErrorCode.INVALID_ARGUMENT, 'weight'],
  ['fractional weight', { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: 1.5, cap: CAP_UNCHANGED }, DomctlErrorCode.INVALID_ARGUMENT, 'weight'],
  ['cap above 100 x max_vcpus', { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: 201 }, DomctlErrorCode.INVALID_ARGUMENT, 'cap'],
  ['affinity with no pCPU', { op: 'setvcpuaffinity', domid: 1, vcpu: 0, pcpus: [] }, DomctlErrorCode.BAD_AFFINITY, 'pcpus'],
  ['affinity with only invalid pCPUs', { op: 'setvcpuaffinity', domid: 1, vcpu: 0, pcpus: [7] }, DomctlErrorCode.BAD_AFFINITY, 'pcpus'],
  ['affinity of a missing vCPU', { op: 'setvcpuaffinity', domid: 1, vcpu: 2, pcpus: 'all' }, DomctlErrorCode.NO_SUCH_VCPU, 'vcpu'],
  ['zero vCPUs online', { op: 'setonlinevcpus', domid: 1, vcpus: 0 }, DomctlErrorCode.INVALID_ARGUMENT, 'vcpus'],
  ['more vCPUs online than max', { op: 'setonlinevcpus', domid: 1, vcpus: 3 }, DomctlErrorCode.INVALID_ARGUMENT, 'vcpus'],
  ['max below online', { op: 'max_vcpus', domid: 1, max_vcpus: 0 }, DomctlErrorCode.INVALID_ARGUMENT, 'max_vcpus'],
  ['max too small for the cap', { op: 'max_vcpus', domid: 1, max_vcpus: 1 }, DomctlErrorCode.INVALID_ARGUMENT, 'max_vcpus'],
  ['unpause a running domain', { op: 'unpausedomain', domid: 1 }, DomctlErrorCode.BAD_POWER_STATE, undefined],
  ['destroy Domain-0', { op: 'destroydomain', domid: 0 }, DomctlErrorCode.DOMAIN0_PROTECTED, undefined],
  ['pause Domain-0', { op: 'pausedomain', domid: 0 }, DomctlErrorCode.DOMAIN0_PROTECTED, undefined],
  ['tslice out of range', { op: 'sched_global', cmd: 'putinfo', params: { tslice_ms: 1001 } }, DomctlErrorCode.INVALID_ARGUMENT, 'tslice_ms'],
  ['ratelimit between 0 and 100', { op: 'sched_global', cmd: 'putinfo', params: { ratelimit_us: 50 } }, DomctlErrorCode.INVALID_ARGUMENT, 'ratelimit_us'],
  ['ratelimit above the timeslice', { op: 'sched_global', cmd: 'putinfo', params: { tslice_ms: 2, ratelimit_us: 3000 } }, DomctlErrorCode.INVALID_ARGUMENT, 'ratelimit_us'],
  ['a slice shorter than the ratelimit', { op: 'sched_global', cmd: 'putinfo', params: { tslice_ms: 1, ratelimit_us: 1000 + 1 } }, DomctlErrorCode.INVALID_ARGUMENT, 'ratelimit_us'],
  ['unknown workload', { op: 'setworkload', domid: 1, workload: { type: 'disk' } as never }, DomctlErrorCode.INVALID_ARGUMENT, 'workload.type'],
];

describe('domctl errors', () => {
  for (const [what, op, code, field] of BAD) {
    it(`${what}: ${code}, and nothing changes`, () => {
      const host = busyHost();
      const before = snapshot(host);
      const result = host.domctl(op);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.code, code);
      assert.equal(result.error.field, field);
      assert.ok(result.error.message.length > 0);
      assert.equal(snapshot(host), before);
    });
  }
});

describe('domctl operations', () => {
  it('Domain-0 exists from the start with one idle vCPU per pCPU', () => {
    const host = newHost(3);
    const [dom0] = must(host, { op: 'getdomaininfolist' });
    assert.deepEqual(
      { domid: dom0!.domid, state: dom0!.state, vcpus: dom0!.online_vcpus, workload: dom0!.workload, sched: dom0!.sched },
      { domid: 0, state: 'running', vcpus: 3, workload: { type: 'idle' }, sched: { weight: 256, cap: 0 } },
    );
    assert.deepEqual(must(host, { op: 'getvcpuinfo', domid: 0 }).map((v) => v.state), ['blocked', 'blocked', 'blocked']);
  });

  it('putinfo honours the "leave unchanged" sentinels', () => {
    const host = busyHost();
    assert.deepEqual(must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: 512, cap: CAP_UNCHANGED }), { weight: 512, cap: 150 });
    assert.deepEqual(must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: WEIGHT_UNCHANGED, cap: 0 }), { weight: 512, cap: 0 });
    assert.deepEqual(must(host, { op: 'scheduler_op', domid: 1, cmd: 'getinfo' }), { weight: 512, cap: 0 });
  });

  it('destroying a domain frees its pCPU at once and forgets it', () => {
    const host = newHost(1);
    createDomain(host, 1);
    host.advanceTo(NS_PER_S);
    assert.equal(must(host, { op: 'getcpuinfo' })[0]!.current?.domain, 1);
    must(host, { op: 'destroydomain', domid: 1 });
    assert.equal(must(host, { op: 'getcpuinfo' })[0]!.current, null);
    assert.equal(host.domctl({ op: 'getdomaininfo', domid: 1 }).ok, false);
    host.advanceTo(2 * NS_PER_S);
    assert.equal(must(host, { op: 'getcpuinfo' })[0]!.idle_ns, NS_PER_S);
  });

  it('a workload can change at run time: idle frees the pCPU, cpu takes it back', () => {
    const host = newHost(1);
    createDomain(host, 1);
    host.advanceTo(NS_PER_S);
    must(host, { op: 'setworkload', domid: 1, workload: { type: 'idle' } });
    const idleFrom = must(host, { op: 'getdomaininfo', domid: 1 }).cpu_time_ns;
    host.advanceTo(2 * NS_PER_S);
    assert.equal(must(host, { op: 'getdomaininfo', domid: 1 }).cpu_time_ns, idleFrom);
    assert.equal(must(host, { op: 'getvcpuinfo', domid: 1 })[0]!.state, 'blocked');
    must(host, { op: 'setworkload', domid: 1, workload: { type: 'cpu' } });
    host.advanceTo(3 * NS_PER_S);
    assert.equal(must(host, { op: 'getdomaininfo', domid: 1 }).cpu_time_ns, idleFrom + NS_PER_S);
  });

  it('runstate times add up to the time the vCPU has existed', () => {
    const host = busyHost();
    host.advanceTo(5 * NS_PER_S);
    for (const domid of [1, 2]) {
      for (const vcpu of must(host, { op: 'getvcpuinfo', domid })) {
        const total = Object.values(vcpu.runstate_ns).reduce((a, b) => a + b, 0);
        assert.equal(total, 5 * NS_PER_S);
      }
    }
    const pcpus = must(host, { op: 'getcpuinfo' });
    for (const pcpu of pcpus) assert.equal(pcpu.busy_ns + pcpu.idle_ns, 5 * NS_PER_S);
  });
});
