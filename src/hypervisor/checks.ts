/**
 * The check phase of every domctl: whether an operation is allowed, decided
 * from the facts alone and changing nothing. The host runs it before applying
 * an operation (and applying a checked one cannot fail); the control layer
 * runs it over a whole request, through a plan, before it persists anything.
 * Each of Xen's rules is written here once.
 */
import { CAP_UNCHANGED, WEIGHT_UNCHANGED, type Affinity, type CpupoolOp, type CreateDomain, type DomctlOp, type SchedGroupOp } from './domctl.ts';
import { CpupoolRefusal, cpupoolError, DomctlErrorCode, domctlError, invalid, type DomctlError } from './errors.ts';
import { groupVcpus, type DomainFacts, type HostFacts, type PolicyRules, type PoolFacts } from './facts.ts';
import { DEFAULT_SHARE, DOMAIN0_ID, MAX_CPUPOOL_NAME, MAX_DOMID, MAX_POOL_ID, MAX_SHARE, maxCapFor, maxVcpusFor, MIN_SHARE, POOL0_ID } from './limits.ts';
import { CREDIT2_RUNQUEUE_ARRANGEMENTS } from './sched/credit2.ts';
import { SCHED_NAMES, type DomainSchedParams } from './sched/scheduler.ts';
import { MAX_USAGE_STEPS, USAGE_HISTORY_NS } from './usage-history.ts';
import { WORKLOAD_MAX_PHASE_MS, WORKLOAD_MIN_PHASE_MS, type Workload } from './workload.ts';

type Check = DomctlError | null;

export function checkDomctl(facts: HostFacts, op: DomctlOp): Check {
  switch (op.op) {
    case 'createdomain':
      return checkCreate(facts, op);
    case 'destroydomain':
      return withDomain(facts, op.domid, (d) => (d.domid === DOMAIN0_ID ? domctlError(DomctlErrorCode.DOMAIN0_PROTECTED, 'Domain-0 cannot be destroyed') : null));
    case 'pausedomain':
    case 'unpausedomain':
      return withDomain(facts, op.domid, (d) => checkPause(d, op.op === 'pausedomain'));
    case 'getdomaininfo':
    case 'getvcpuinfo':
      return exists(facts, op.domid);
    case 'max_vcpus':
      return withDomain(facts, op.domid, (d) => checkMaxVcpus(facts, d, op.max_vcpus));
    case 'setonlinevcpus':
      return withDomain(facts, op.domid, (d) => checkInteger('vcpus', op.vcpus, 1, d.max_vcpus));
    case 'setvcpuaffinity':
      return withDomain(facts, op.domid, (d) => checkVcpu(d, op.vcpu) ?? checkAffinity(facts, op.pcpus));
    case 'setworkload':
      return withDomain(facts, op.domid, () => checkWorkload(op.workload));
    case 'scheduler_op':
      return withDomain(facts, op.domid, (d) => (op.cmd === 'getinfo' ? null : checkSchedParams(facts, d, resolveSched(d.sched, op.weight, op.cap))));
    case 'cpupool_create':
    case 'cpupool_destroy':
    case 'cpupool_add_pcpu':
    case 'cpupool_remove_pcpu':
    case 'cpupool_move_domain':
    case 'cpupool_info':
    case 'cpupool_list':
    case 'cpupool_sched':
      return checkCpupool(facts, op);
    case 'sched_global':
      return op.cmd === 'getinfo' ? null : facts.policy.checkGlobalParams({ ...facts.global, ...op.params });
    case 'schedgroup':
      return checkSchedGroup(facts, op);
    case 'getusage':
      return checkInteger('window_ns', op.window_ns, 0, USAGE_HISTORY_NS);
    case 'getusageseries':
      return checkInteger('window_ns', op.window_ns, 0, USAGE_HISTORY_NS) ?? checkInteger('step_ns', op.step_ns, Math.max(1, Math.ceil(op.window_ns / MAX_USAGE_STEPS)), USAGE_HISTORY_NS);
    case 'getdomaininfolist':
    case 'getcpuinfo':
    case 'physinfo':
    case 'schedstats':
    case 'topologyinfo':
      return null;
  }
}

/** XEN_DOMCTL_SCHEDOP_putinfo's sentinels: weight 0 and cap 0xFFFF leave a value alone. */
export function resolveSched(current: DomainSchedParams, weight: number, cap: number): DomainSchedParams {
  return { weight: weight === WEIGHT_UNCHANGED ? current.weight : weight, cap: cap === CAP_UNCHANGED ? current.cap : cap };
}

/** A new domain's weight and cap: the policy's defaults unless given. */
export const initialSched = (policy: PolicyRules, op: CreateDomain): DomainSchedParams =>
  resolveSched(policy.defaultDomainParams, op.weight ?? WEIGHT_UNCHANGED, op.cap ?? CAP_UNCHANGED);

/** An affinity as a pCPU mask (null = every pCPU); only for an affinity that passed `checkAffinity`. */
export function affinityMask(pcpuCount: number, pcpus: Affinity): Uint8Array | null {
  if (pcpus === 'all') return null;
  const mask = new Uint8Array(pcpuCount);
  for (const id of pcpus) mask[id] = 1;
  return mask;
}

const noDomain = (domid: number): DomctlError => domctlError(DomctlErrorCode.NO_SUCH_DOMAIN, `no domain with domid ${domid}`, 'domid');

const exists = (facts: HostFacts, domid: number): Check => (facts.has(domid) ? null : noDomain(domid));

function withDomain(facts: HostFacts, domid: number, check: (domain: DomainFacts) => Check): Check {
  const domain = facts.domain(domid);
  return domain === undefined ? noDomain(domid) : check(domain);
}

function checkInteger(field: string, value: number, min: number, max: number): Check {
  if (Number.isInteger(value) && value >= min && value <= max) return null;
  return invalid(field, `must be an integer in ${min}..${max}, got ${value}`);
}

export function checkWorkload(workload: Workload): Check {
  switch (workload.type) {
    case 'cpu':
    case 'idle':
      return null;
    case 'duty':
      for (const field of ['run_ms', 'sleep_ms'] as const) {
        const value = workload[field];
        if (!Number.isFinite(value) || value < WORKLOAD_MIN_PHASE_MS || value > WORKLOAD_MAX_PHASE_MS) {
          return invalid(`workload.${field}`, `must be a number of ms in ${WORKLOAD_MIN_PHASE_MS}..${WORKLOAD_MAX_PHASE_MS}, got ${value}`);
        }
      }
      return null;
    default:
      return invalid('workload.type', 'must be one of cpu, idle, duty');
  }
}

export function checkAffinity(facts: Pick<HostFacts, 'pcpuCount'>, pcpus: Affinity): Check {
  if (pcpus === 'all') return null;
  const n = facts.pcpuCount;
  if (pcpus.length === 0) return domctlError(DomctlErrorCode.BAD_AFFINITY, `affinity names no pCPU (host has pCPUs 0..${n - 1})`, 'pcpus');
  const bad = pcpus.find((id) => !Number.isInteger(id) || id < 0 || id >= n);
  if (bad === undefined) return null;
  return domctlError(DomctlErrorCode.BAD_AFFINITY, `pCPU ${bad} does not exist (host has pCPUs 0..${n - 1})`, 'pcpus');
}

function checkVcpu(domain: DomainFacts, id: number): Check {
  if (Number.isInteger(id) && id >= 0 && id < domain.max_vcpus) return null;
  return domctlError(DomctlErrorCode.NO_SUCH_VCPU, `domain ${domain.domid} has no vCPU ${id} (it has 0..${domain.max_vcpus - 1})`, 'vcpu');
}

/** The policy of the pool a domain lives in: its weight and cap are that policy's. */
const policyOf = (facts: HostFacts, domain: Pick<DomainFacts, 'pool'>): PolicyRules => facts.pool(domain.pool)?.policy ?? facts.policy;

function checkSchedParams(facts: HostFacts, domain: DomainFacts, params: DomainSchedParams): Check {
  return policyOf(facts, domain).checkDomainParams(params, groupVcpus(facts, domain));
}

// --- lifecycle ---

function checkCreate(facts: HostFacts, op: CreateDomain): Check {
  if (facts.has(op.domid)) return domctlError(DomctlErrorCode.DOMAIN_EXISTS, `domid ${op.domid} is in use`, 'domid');
  const problem =
    checkInteger('domid', op.domid, 0, MAX_DOMID) ??
    checkInteger('max_vcpus', op.max_vcpus, 1, maxVcpusFor(op.domid, facts.pcpuCount)) ??
    checkInteger('vcpus', op.vcpus, 1, op.max_vcpus) ??
    checkWorkload(op.workload ?? { type: 'cpu' });
  if (problem !== null) return problem;
  const affinity = op.affinity ?? [];
  if (affinity.length > op.max_vcpus) return invalid('affinity', `has ${affinity.length} entries for ${op.max_vcpus} vCPUs`);
  for (const pcpus of affinity) {
    const bad = checkAffinity(facts, pcpus);
    if (bad !== null) return bad;
  }
  const pool = facts.pool(op.pool ?? POOL0_ID);
  if (pool === undefined) return noPool(op.pool!);
  if (pool.pcpus.length === 0) return cpupoolError(CpupoolRefusal.POOL_EMPTY, `cpupool ${pool.name} has no pCPU to run a domain on`, 'pool');
  return pool.policy.checkDomainParams(initialSched(pool.policy, op), op.max_vcpus);
}

// --- cpupools ---

const noPool = (id: number): DomctlError => cpupoolError(CpupoolRefusal.NO_SUCH_POOL, `no cpupool with id ${id}`, 'pool');

function withPool(facts: HostFacts, id: number, check: (pool: PoolFacts) => Check): Check {
  const pool = facts.pool(id);
  return pool === undefined ? noPool(id) : check(pool);
}

/** Xen's cpupool rules (cpupool.c, xl's cpupool commands), each one a typed refusal that changes nothing. */
function checkCpupool(facts: HostFacts, op: CpupoolOp): Check {
  switch (op.op) {
    case 'cpupool_create':
      return checkPoolCreate(facts, op);
    case 'cpupool_destroy':
      return withPool(facts, op.pool, (pool) => {
        if (pool.id === POOL0_ID) return cpupoolError(CpupoolRefusal.POOL0_PROTECTED, 'Pool-0 cannot be destroyed', 'pool');
        if (pool.domains.length > 0) {
          return cpupoolError(CpupoolRefusal.POOL_HAS_DOMAINS, `cpupool ${pool.name} still has domains (${pool.domains.join(', ')}); move or destroy them first`, 'pool');
        }
        return null;
      });
    case 'cpupool_add_pcpu':
      return withPool(facts, op.pool, () => {
        const bad = checkPcpu(facts, op.pcpu);
        if (bad !== null) return bad;
        const owner = facts.pcpuPoolId(op.pcpu);
        if (owner === null) return null;
        return cpupoolError(CpupoolRefusal.PCPU_NOT_FREE, `pCPU ${op.pcpu} belongs to cpupool ${facts.pool(owner)!.name}; remove it from there first`, 'pcpu');
      });
    case 'cpupool_remove_pcpu':
      return withPool(facts, op.pool, (pool) => {
        if (!pool.pcpus.includes(op.pcpu)) return cpupoolError(CpupoolRefusal.PCPU_NOT_IN_POOL, `pCPU ${op.pcpu} is not in cpupool ${pool.name}`, 'pcpu');
        if (pool.pcpus.length > 1) return null;
        if (pool.id === POOL0_ID) return cpupoolError(CpupoolRefusal.POOL0_PROTECTED, 'Pool-0 keeps at least one pCPU', 'pcpu');
        if (pool.domains.length > 0) return cpupoolError(CpupoolRefusal.LAST_PCPU, `pCPU ${op.pcpu} is the last of cpupool ${pool.name}, where domains live`, 'pcpu');
        return null;
      });
    case 'cpupool_move_domain':
      return withDomain(facts, op.domid, (domain) =>
        withPool(facts, op.pool, (pool) => {
          if (domain.master !== null || domain.members !== null) {
            const master = domain.master ?? domain.domid;
            return cpupoolError(CpupoolRefusal.GROUPED_DOMAIN, `domain ${domain.domid} is in ${master}'s scheduling domain, which stays in one cpupool`, 'domid');
          }
          if (pool.pcpus.length === 0) return cpupoolError(CpupoolRefusal.POOL_EMPTY, `cpupool ${pool.name} has no pCPU to run a domain on`, 'pool');
          return pool.policy.checkDomainParams(domain.sched, groupVcpus(facts, domain));
        }),
      );
    case 'cpupool_info':
      return withPool(facts, op.pool, () => null);
    case 'cpupool_list':
      return null;
    case 'cpupool_sched':
      return withPool(facts, op.pool, (pool) => (op.cmd === 'getinfo' ? null : pool.policy.checkGlobalParams({ ...pool.global, ...op.params })));
  }
}

function checkPoolCreate(facts: HostFacts, op: Extract<CpupoolOp, { op: 'cpupool_create' }>): Check {
  const bad = checkInteger('id', op.id, 0, MAX_POOL_ID);
  if (bad !== null) return bad;
  if (facts.pool(op.id) !== undefined) return cpupoolError(CpupoolRefusal.POOL_EXISTS, `cpupool id ${op.id} is in use`, 'id');
  if (typeof op.name !== 'string' || op.name.length === 0 || op.name.length > MAX_CPUPOOL_NAME) {
    return invalid('name', `must be a string of 1..${MAX_CPUPOOL_NAME} characters`);
  }
  const taken = facts.poolIds().find((id) => facts.pool(id)?.name === op.name);
  if (taken !== undefined) return cpupoolError(CpupoolRefusal.NAME_TAKEN, `a cpupool named ${op.name} exists (id ${taken})`, 'name');
  if (!SCHED_NAMES.includes(op.sched)) return invalid('sched', `must be one of ${SCHED_NAMES.join(', ')}`);
  if (op.credit2_runqueue !== undefined && !CREDIT2_RUNQUEUE_ARRANGEMENTS.includes(op.credit2_runqueue)) {
    return invalid('credit2_runqueue', `must be one of ${CREDIT2_RUNQUEUE_ARRANGEMENTS.join(', ')}`);
  }
  return null;
}

function checkPcpu(facts: HostFacts, pcpu: number): Check {
  if (Number.isInteger(pcpu) && pcpu >= 0 && pcpu < facts.pcpuCount) return null;
  return domctlError(DomctlErrorCode.BAD_AFFINITY, `pCPU ${pcpu} does not exist (host has pCPUs 0..${facts.pcpuCount - 1})`, 'pcpu');
}

function checkPause(domain: DomainFacts, pause: boolean): Check {
  if (domain.domid === DOMAIN0_ID) return domctlError(DomctlErrorCode.DOMAIN0_PROTECTED, 'Domain-0 cannot be paused or unpaused');
  if (domain.paused !== pause) return null;
  const [expected, actual] = pause ? ['running', 'paused'] : ['paused', 'running'];
  return domctlError(DomctlErrorCode.BAD_POWER_STATE, `domain ${domain.domid} is ${actual}, expected ${expected}`);
}

function checkMaxVcpus(facts: HostFacts, domain: DomainFacts, max: number): Check {
  const problem = checkInteger('max_vcpus', max, domain.online_vcpus, maxVcpusFor(domain.domid, facts.pcpuCount));
  if (problem !== null) return problem;
  const { cap } = domain.sched;
  const vcpus = groupVcpus(facts, domain) - domain.max_vcpus + max;
  return cap > maxCapFor(vcpus) ? invalid('max_vcpus', `${max} vCPUs cannot carry the domain's cap of ${cap}`) : null;
}

// --- scheduling domains ---

function checkSchedGroup(facts: HostFacts, op: SchedGroupOp): Check {
  if (op.cmd === 'list') return facts.policy.groupsChanged === undefined ? noGroups(facts.policy) : null;
  return withDomain(facts, op.master, (master) => {
    const policy = policyOf(facts, master);
    if (policy.groupsChanged === undefined) return noGroups(policy);
    switch (op.cmd) {
      case 'create':
        if (master.members !== null) return domctlError(DomctlErrorCode.GROUP_EXISTS, `domain ${master.domid} is already the master of a scheduling domain`, 'master');
        return masterProblem(master);
      case 'get':
      case 'dissolve':
        return master.members === null ? noGroup(master) : null;
      case 'add_member':
        return withDomain(facts, op.member, (member) => memberProblem(master, member) ?? samePool(facts, master, member) ?? checkShare('share', op.share ?? DEFAULT_SHARE));
      case 'remove_member':
        return withDomain(facts, op.member, (member) =>
          member.master === master.domid
            ? null
            : domctlError(DomctlErrorCode.NOT_A_MEMBER, `domain ${member.domid} is not a member of ${master.domid}'s scheduling domain`, 'member'),
        );
      case 'set_share':
        return withDomain(facts, op.domid, (domain) => shareProblem(master, domain, op.share));
    }
  });
}

const noGroups = (policy: PolicyRules): DomctlError => domctlError(DomctlErrorCode.NOT_SUPPORTED, `the ${policy.name} scheduler has no scheduling domains`);

/** A scheduling domain is one pool's business: members join only a master in their own pool. */
function samePool(facts: HostFacts, master: DomainFacts, member: DomainFacts): Check {
  if (member.pool === master.pool) return null;
  const name = (id: number): string => facts.pool(id)?.name ?? String(id);
  return cpupoolError(CpupoolRefusal.MEMBER_POOL, `domain ${member.domid} lives in cpupool ${name(member.pool)}, its would-be master in ${name(master.pool)}`, 'member');
}

const noGroup = (master: DomainFacts): DomctlError =>
  domctlError(DomctlErrorCode.NO_SUCH_GROUP, `domain ${master.domid} is not the master of a scheduling domain`, 'master');

/** Scheduling domains do not nest: a member cannot be a master. */
export function masterProblem(master: Membership): Check {
  if (master.master === null) return null;
  return domctlError(DomctlErrorCode.NESTED_GROUP, `domain ${master.domid} is a member of ${master.master}'s scheduling domain and cannot be a master`, 'master');
}

/** What the membership rules read: the configuration's view of a domain serves as well as the host's. */
export type Membership = Pick<DomainFacts, 'domid' | 'master' | 'members'>;

/** The membership rules: no Domain-0, no self, one group at a time, no nesting. */
export function memberProblem(master: Membership, member: Membership): Check {
  const code = DomctlErrorCode;
  if (member.domid === DOMAIN0_ID) return domctlError(code.DOMAIN0_PROTECTED, 'Domain-0 cannot be a member of a scheduling domain', 'member');
  if (member.domid === master.domid) return domctlError(code.SELF_MEMBERSHIP, `domain ${master.domid} cannot join its own scheduling domain`, 'member');
  if (member.master !== null) {
    return domctlError(code.ALREADY_IN_GROUP, `domain ${member.domid} is already a member of ${member.master}'s scheduling domain`, 'member');
  }
  if (member.members !== null) {
    return domctlError(code.NESTED_GROUP, `domain ${member.domid} is the master of a scheduling domain and cannot be a member of another`, 'member');
  }
  return masterProblem(master);
}

export const checkShare = (field: string, share: number): Check => checkInteger(field, share, MIN_SHARE, MAX_SHARE);

function shareProblem(master: DomainFacts, domain: DomainFacts, share: number): Check {
  if (master.members === null) return noGroup(master);
  if (domain.domid !== master.domid && domain.master !== master.domid) {
    return domctlError(DomctlErrorCode.NOT_A_MEMBER, `domain ${domain.domid} is not in ${master.domid}'s scheduling domain`, 'domid');
  }
  return checkShare('share', share);
}
