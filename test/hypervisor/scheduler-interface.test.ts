/**
 * The scheduler is an ops table: a second policy plugs into the framework
 * without touching it. This one is a plain round-robin, per-pCPU FIFO, 10 ms
 * slices, no credit, no scheduling domains.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomctlErrorCode, Host, NS_PER_MS } from '../../src/hypervisor/index.ts';
import type { Vcpu } from '../../src/hypervisor/model.ts';
import type { Scheduler, SchedulerContext } from '../../src/hypervisor/sched/scheduler.ts';
import { assertNear, createDomain, measureShares, must } from './helpers.ts';

const SLICE_NS = 10 * NS_PER_MS;

function roundRobin(ctx: SchedulerContext): Scheduler {
  const queues: Vcpu[][] = Array.from({ length: ctx.pcpuCount }, () => []);
  const dequeue = (vcpu: Vcpu) => {
    const queue = queues[vcpu.processor]!;
    const at = queue.indexOf(vcpu);
    if (at >= 0) queue.splice(at, 1);
  };
  return {
    name: 'round-robin',
    tick_ns: SLICE_NS,
    accountingPeriodNs: () => 100 * NS_PER_MS,
    insertDomain: () => {},
    removeDomain: () => {},
    insertVcpu: () => {},
    removeVcpu: dequeue,
    wake(vcpu) {
      if (ctx.current(vcpu.processor) === vcpu || queues[vcpu.processor]!.includes(vcpu)) return;
      queues[vcpu.processor]!.push(vcpu);
      if (ctx.current(vcpu.processor) === null) ctx.requestReschedule(vcpu.processor);
    },
    sleep(vcpu) {
      if (ctx.current(vcpu.processor) === vcpu) ctx.requestReschedule(vcpu.processor);
      else dequeue(vcpu);
    },
    tick: () => {},
    account: () => {},
    pick(pcpu, prev, prevRunnable) {
      if (prev !== null && prevRunnable) queues[pcpu]!.push(prev);
      return { vcpu: queues[pcpu]!.shift() ?? null, slice_ns: SLICE_NS };
    },
    defaultDomainParams: { weight: 256, cap: 0 },
    checkDomainParams: () => null,
    checkGlobalParams: () => null,
    getDomainParams: () => ({ weight: 256, cap: 0 }),
    adjustDomain: () => {},
    getGlobalParams: () => ({ tslice_ms: 10, ratelimit_us: 0, accounting: 'exact' }),
    adjustGlobal: () => {},
    vcpuInfo: () => ({ credit: 0, priority: 'fifo', runqueue: null, budget_ns: null, parked: false, active: false }),
    runQueue: (pcpu) => queues[pcpu]!,
    dump: () => queues.map((q) => q.map((v) => `${v.domain.domid}.${v.id}`)),
  };
}

describe('the scheduler interface', () => {
  it('runs a second policy unchanged: round-robin ignores weights and shares equally', () => {
    const host = new Host({ pcpus: 1, scheduler: roundRobin });
    createDomain(host, 1, { weight: 1000 });
    createDomain(host, 2);
    const [a, b] = measureShares(host, [1, 2], 10);
    assertNear(a!, 50, 0.1, 'heavy-weight domain under round-robin');
    assertNear(b!, 50, 0.1, 'default-weight domain under round-robin');
    assert.equal(must(host, { op: 'physinfo' }).scheduler, 'round-robin');
  });

  it('a policy without scheduling domains refuses them, changing nothing', () => {
    const host = new Host({ pcpus: 1, scheduler: roundRobin });
    createDomain(host, 1);
    createDomain(host, 2);
    const result = host.domctl({ op: 'schedgroup', cmd: 'add_member', master: 1, member: 2 });
    assert.equal(result.ok ? 'ok' : result.error.code, DomctlErrorCode.NOT_SUPPORTED);
    assert.equal(must(host, { op: 'getdomaininfo', domid: 2 }).scheduling_domain, null);
  });
});
