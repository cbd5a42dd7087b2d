/**
 * What the domctl checks read: the facts about each domain that decide
 * whether an operation is allowed (not its runtime state). The live host
 * offers them (engine.ts), and so does a plan of operations not yet applied
 * (plan.ts), so a whole request is checked before anything changes.
 */
import type { DomainSchedParams, SchedParams, Scheduler } from './sched/scheduler.ts';

export interface DomainFacts {
  readonly domid: number;
  readonly paused: boolean;
  readonly max_vcpus: number;
  readonly online_vcpus: number;
  readonly sched: DomainSchedParams;
  /** Its master's domid when it is a member of a scheduling domain. */
  readonly master: number | null;
  /** Its members' domids when it is the master of a scheduling domain, else null. */
  readonly members: readonly number[] | null;
  readonly share: number;
}

/** The policy's own rules: its name, ranges and defaults. */
export type PolicyRules = Pick<Scheduler, 'name' | 'defaultDomainParams' | 'checkDomainParams' | 'checkGlobalParams' | 'groupsChanged'>;

export interface HostFacts {
  readonly pcpuCount: number;
  readonly policy: PolicyRules;
  readonly global: SchedParams;
  has(domid: number): boolean;
  domain(domid: number): DomainFacts | undefined;
}

/** vCPUs a domain's cap covers: its own and, for a master, its members' (max_vcpus). */
export function groupVcpus(facts: HostFacts, domain: DomainFacts): number {
  let count = domain.max_vcpus;
  for (const member of domain.members ?? []) count += facts.domain(member)?.max_vcpus ?? 0;
  return count;
}
