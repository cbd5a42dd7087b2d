/**
 * The check phase of every domctl: whether an operation is allowed, decided
 * from the facts alone and changing nothing. The host runs it before applying
 * an operation (and applying a checked one cannot fail); the control layer
 * runs it over a whole request, through a plan, before it persists anything.
 * Each of Xen's rules is written here once.
 */
import { CAP_UNCHANGED, WEIGHT_UNCHANGED, type Affinity, type CreateDomain, type DomctlOp, type SchedGroupOp } from './domctl.ts';
import { DomctlErrorCode, domctlError, invalid, type DomctlError } from './errors.ts';
import { groupVcpus, type DomainFacts, type HostFacts, type PolicyRules } from './facts.ts';
import { DEFAULT_SHARE, DOMAIN0_ID, MAX_DOMID, MAX_SHARE, maxCapFor, maxVcpusFor, MIN_SHARE } from './limits.ts';
import type { DomainSchedParams } from './sched/scheduler.ts';
import { USAGE_HISTORY_NS } from './usage-history.ts';
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
    case 'sched_global':
      return op.cmd === 'getinfo' ? null : facts.policy.checkGlobalParams({ ...facts.global, ...op.params });
    case 'schedgroup':
      return checkSchedGroup(facts, op);
    case 'getusage':
      return checkInteger('window_ns', op.window_ns, 0, USAGE_HISTORY_NS);
    case 'getdomaininfolist':
    case 'getcpuinfo':
    case 'physinfo':
    case 'schedstats':
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

function checkSchedParams(facts: HostFacts, domain: DomainFacts, params: DomainSchedParams): Check {
  return facts.policy.checkDomainParams(params, groupVcpus(facts, domain));
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
  return facts.policy.checkDomainParams(initialSched(facts.policy, op), op.max_vcpus);
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
  if (facts.policy.groupsChanged === undefined) {
    return domctlError(DomctlErrorCode.NOT_SUPPORTED, `the ${facts.policy.name} scheduler has no scheduling domains`);
  }
  if (op.cmd === 'list') return null;
  return withDomain(facts, op.master, (master) => {
    switch (op.cmd) {
      case 'create':
        if (master.members !== null) return domctlError(DomctlErrorCode.GROUP_EXISTS, `domain ${master.domid} is already the master of a scheduling domain`, 'master');
        return masterProblem(master);
      case 'get':
      case 'dissolve':
        return master.members === null ? noGroup(master) : null;
      case 'add_member':
        return withDomain(facts, op.member, (member) => memberProblem(master, member) ?? checkShare('share', op.share ?? DEFAULT_SHARE));
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

const noGroup = (master: DomainFacts): DomctlError =>
  domctlError(DomctlErrorCode.NO_SUCH_GROUP, `domain ${master.domid} is not the master of a scheduling domain`, 'master');

/** How a message names a domain: the hypervisor knows domids; the control layer adds names. */
export type DomainLabel = (domid: number) => string;
const byDomid: DomainLabel = (domid) => `domain ${domid}`;

/** Scheduling domains do not nest: a member cannot be a master. */
export function masterProblem(master: Membership, label: DomainLabel = byDomid): Check {
  if (master.master === null) return null;
  return domctlError(DomctlErrorCode.NESTED_GROUP, `${label(master.domid)} is a member of ${label(master.master)}'s scheduling domain and cannot be a master`, 'master');
}

/** What the membership rules read: the configuration's view of a domain serves as well as the host's. */
export type Membership = Pick<DomainFacts, 'domid' | 'master' | 'members'>;

/** The membership rules: no Domain-0, no self, one group at a time, no nesting. */
export function memberProblem(master: Membership, member: Membership, label: DomainLabel = byDomid): Check {
  const code = DomctlErrorCode;
  if (member.domid === DOMAIN0_ID) return domctlError(code.DOMAIN0_PROTECTED, 'Domain-0 cannot be a member of a scheduling domain', 'member');
  if (member.domid === master.domid) return domctlError(code.SELF_MEMBERSHIP, `${label(master.domid)} cannot join its own scheduling domain`, 'member');
  if (member.master !== null) {
    return domctlError(code.ALREADY_IN_GROUP, `${label(member.domid)} is already a member of ${label(member.master)}'s scheduling domain`, 'member');
  }
  if (member.members !== null) {
    return domctlError(code.NESTED_GROUP, `${label(member.domid)} is the master of a scheduling domain and cannot be a member of another`, 'member');
  }
  return masterProblem(master, label);
}

export const checkShare = (field: string, share: number): Check => checkInteger(field, share, MIN_SHARE, MAX_SHARE);

function shareProblem(master: DomainFacts, domain: DomainFacts, share: number): Check {
  if (master.members === null) return noGroup(master);
  if (domain.domid !== master.domid && domain.master !== master.domid) {
    return domctlError(DomctlErrorCode.NOT_A_MEMBER, `domain ${domain.domid} is not in ${master.domid}'s scheduling domain`, 'domid');
  }
  return checkShare('share', share);
}
