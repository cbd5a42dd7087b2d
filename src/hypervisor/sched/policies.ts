/**
 * The policies a cpupool can run, by name: the factory that makes one, and its
 * rules (ranges, defaults, whether it has scheduling domains) for checking an
 * operation on a pool that does not exist yet (a plan's new pool).
 */
import type { PolicyRules } from '../facts.ts';
import { createCreditScheduler } from './credit.ts';
import { credit2With, type RunqueueArrangement } from './credit2.ts';
import type { SchedName, Scheduler, SchedulerContext, SchedulerFactory } from './scheduler.ts';

export function factoryFor(sched: SchedName, runqueue: RunqueueArrangement): SchedulerFactory {
  return sched === 'credit2' ? credit2With({ runqueue }) : createCreditScheduler;
}

/** An instance over a one-pCPU host that is never run, only asked about its rules (they are pure). */
function rulesInstance(sched: SchedName): Scheduler {
  const context: SchedulerContext = {
    pcpuCount: 1,
    pcpus: [0],
    topology: { sockets: 1, cores: 1, threads: 1 },
    now_ns: () => 0,
    setTimer: () => undefined,
    domains: () => [],
    current: () => null,
    idlePcpus: () => 1,
    tickStateChanged: () => undefined,
    lastTickNs: () => -1,
    requestReschedule: () => undefined,
    setProcessor: () => undefined,
    migrate: () => undefined,
    park: () => undefined,
    unpark: () => undefined,
    traceSink: null,
  };
  return factoryFor(sched, 'socket')(context);
}

const rules = new Map<SchedName, Scheduler>();

export function policyRulesFor(sched: SchedName): PolicyRules & Pick<Scheduler, 'getGlobalParams'> {
  let instance = rules.get(sched);
  if (instance === undefined) {
    instance = rulesInstance(sched);
    rules.set(sched, instance);
  }
  return instance;
}
