/**
 * What the domctl checks read: the facts about each domain that decide
 * whether an operation is allowed (not its runtime state). The live host
 * offers them (engine.ts), and so does a plan of operations not yet applied
 * (plan.ts), so a whole request is checked before anything changes.
 */
import type { CpupoolInfo } from './domctl.ts';
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
  /** The cpupool it lives in. */
  readonly pool: number;
}

/** What a check reads of a cpupool: what cpupool_info tells of it, and its policy's rules. */
export interface PoolFacts extends Pick<CpupoolInfo, 'id' | 'name' | 'sched' | 'pcpus' | 'domains'> {
  readonly policy: PolicyRules;
  readonly global: SchedParams;
}

/** The policy's own rules: its name, ranges and defaults. */
export type PolicyRules = Pick<Scheduler, 'name' | 'defaultDomainParams' | 'checkDomainParams' | 'checkGlobalParams' | 'groupsChanged'>;

export interface HostFacts {
  readonly pcpuCount: number;
  /** Pool-0's policy and parameters (the boot scheduler's). */
  readonly policy: PolicyRules;
  readonly global: SchedParams;
  pool(id: number): PoolFacts | undefined;
  poolIds(): readonly number[];
  /** The pool a pCPU belongs to, or null when it is free. */
  pcpuPoolId(pcpu: number): number | null;
  has(domid: number): boolean;
  domain(domid: number): DomainFacts | undefined;
}

/** vCPUs a domain's cap covers: its own and, for a master, its members' (max_vcpus). */
export function groupVcpus(facts: HostFacts, domain: DomainFacts): number {
  let count = domain.max_vcpus;
  for (const member of domain.members ?? []) count += facts.domain(member)?.max_vcpus ?? 0;
  return count;
}

/**
 * A pool's facts whose domains are listed only when read: few checks read them (destroying
 * a pool, freeing its last pCPU), so creating a domain need not list a pool's domains.
 */
export function poolFacts(pool: Omit<PoolFacts, 'domains'>, domainsOf: () => readonly number[]): PoolFacts {
  const { id, name, sched, pcpus, policy, global } = pool;
  return {
    id,
    name,
    sched,
    pcpus,
    get domains(): readonly number[] {
      return domainsOf();
    },
    policy,
    global,
  };
}
