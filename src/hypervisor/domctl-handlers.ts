/**
 * The domctl handlers: validate every argument first, then act, so a failed
 * operation changes nothing. Reports are built here from the framework's state
 * and the policy's per-vCPU view.
 */
import {
  CAP_UNCHANGED,
  WEIGHT_UNCHANGED,
  type Affinity,
  type CreateDomain,
  type DomainInfo,
  type DomctlOp,
  type DomctlResult,
  type PcpuInfo,
  type SchedGroupInfo,
  type SchedGroupOp,
  type VcpuInfo,
} from './domctl.ts';
import { DomctlErrorCode, domctlError, invalid, type DomctlError } from './errors.ts';
import type { Host } from './host.ts';
import { DEFAULT_SHARE, groupVcpuCount, RUNSTATE_NAMES, Runstate, type Domain, type Vcpu } from './model.ts';
import { fail, ok, type Result } from './result.ts';
import { usageWindow, schedStats } from './usage-domctls.ts';
import { WORKLOAD_MAX_PHASE_MS, type Workload } from './workload.ts';

export const MAX_GUEST_VCPUS = 128;
/** Xen stops at 0x7FEF (DOMID_FIRST_RESERVED - 1); a simulated host of 100000 guests needs more. */
export const MAX_DOMID = 0x7fffffff;
export const MIN_SHARE = 1;
export const MAX_SHARE = 65535;
const DOMAIN0 = 0;

type Outcome = Result<unknown, DomctlError>;

export function executeDomctl<O extends DomctlOp>(host: Host, op: O): DomctlResult<O> {
  return dispatch(host, op) as DomctlResult<O>;
}

function dispatch(host: Host, op: DomctlOp): Outcome {
  switch (op.op) {
    case 'createdomain':
      return createDomain(host, op);
    case 'destroydomain':
      return withDomain(host, op.domid, (d) => destroyDomain(host, d));
    case 'pausedomain':
      return withDomain(host, op.domid, (d) => setPaused(host, d, true));
    case 'unpausedomain':
      return withDomain(host, op.domid, (d) => setPaused(host, d, false));
    case 'getdomaininfo':
      return withDomain(host, op.domid, (d) => ok(domainInfo(host, d)));
    case 'getdomaininfolist':
      return ok([...host.domains.values()].map((d) => domainInfo(host, d)));
    case 'max_vcpus':
      return withDomain(host, op.domid, (d) => setMaxVcpus(host, d, op.max_vcpus));
    case 'setonlinevcpus':
      return withDomain(host, op.domid, (d) => setOnlineVcpus(host, d, op.vcpus));
    case 'setvcpuaffinity':
      return withDomain(host, op.domid, (d) => setVcpuAffinity(host, d, op.vcpu, op.pcpus));
    case 'getvcpuinfo':
      return withDomain(host, op.domid, (d) => ok(d.vcpus.map((v) => vcpuInfo(host, v))));
    case 'setworkload':
      return withDomain(host, op.domid, (d) => setWorkload(host, d, op.workload));
    case 'scheduler_op':
      return withDomain(host, op.domid, (d) =>
        op.cmd === 'getinfo' ? ok(host.scheduler.getDomainParams(d)) : putDomainParams(host, d, op.weight, op.cap),
      );
    case 'sched_global':
      return op.cmd === 'getinfo' ? ok(host.scheduler.getGlobalParams()) : host.scheduler.adjustGlobal(op.params);
    case 'getcpuinfo':
      return ok(host.pcpus.map((p): PcpuInfo => pcpuInfo(host, p.id)));
    case 'physinfo':
      return ok({
        pcpus: host.pcpus.length,
        scheduler: host.scheduler.name,
        tick_ms: host.scheduler.tick_ns / 1_000_000,
        now_ns: host.now_ns,
        trace_hash: host.trace_hash,
        events_processed: host.events_processed,
      });
    case 'getusage':
      return usageWindow(host, op.window_ns);
    case 'schedstats':
      return ok(schedStats(host));
    case 'schedgroup':
      return schedGroup(host, op);
  }
}

function withDomain(host: Host, domid: number, action: (domain: Domain) => Outcome): Outcome {
  const domain = host.domains.get(domid);
  if (domain === undefined) return fail(domctlError(DomctlErrorCode.NO_SUCH_DOMAIN, `no domain with domid ${domid}`, 'domid'));
  return action(domain);
}

// --- validation ---

function checkInteger(field: string, value: number, min: number, max: number): DomctlError | null {
  if (Number.isInteger(value) && value >= min && value <= max) return null;
  return invalid(field, `must be an integer in ${min}..${max}, got ${value}`);
}

function checkWorkload(workload: Workload): DomctlError | null {
  switch (workload.type) {
    case 'cpu':
    case 'idle':
      return null;
    case 'duty':
      for (const field of ['run_ms', 'sleep_ms'] as const) {
        const value = workload[field];
        if (!Number.isFinite(value) || value < 0.000001 || value > WORKLOAD_MAX_PHASE_MS) {
          return invalid(`workload.${field}`, `must be a number of ms in 0.000001..${WORKLOAD_MAX_PHASE_MS}, got ${value}`);
        }
      }
      return null;
    default:
      return invalid('workload.type', 'must be one of cpu, idle, duty');
  }
}

/** An affinity as a pCPU mask (null = all), or an error naming the bad pCPU. */
function affinityMask(host: Host, pcpus: Affinity): Result<Uint8Array | null, DomctlError> {
  if (pcpus === 'all') return ok(null);
  const n = host.pcpus.length;
  if (pcpus.length === 0) return fail(domctlError(DomctlErrorCode.BAD_AFFINITY, `affinity names no pCPU (host has pCPUs 0..${n - 1})`, 'pcpus'));
  const mask = new Uint8Array(n);
  for (const id of pcpus) {
    if (!Number.isInteger(id) || id < 0 || id >= n) {
      return fail(domctlError(DomctlErrorCode.BAD_AFFINITY, `pCPU ${id} does not exist (host has pCPUs 0..${n - 1})`, 'pcpus'));
    }
    mask[id] = 1;
  }
  return ok(mask);
}

/** Guests have up to 128 vCPUs; Domain-0 has one per pCPU, however many that is. */
const maxVcpusFor = (host: Host, domid: number): number =>
  domid === DOMAIN0 ? Math.max(MAX_GUEST_VCPUS, host.pcpus.length) : MAX_GUEST_VCPUS;

// --- lifecycle ---

function createDomain(host: Host, op: CreateDomain): Outcome {
  if (host.domains.has(op.domid)) return fail(domctlError(DomctlErrorCode.DOMAIN_EXISTS, `domid ${op.domid} is in use`, 'domid'));
  const maxVcpus = maxVcpusFor(host, op.domid);
  const workload = op.workload ?? { type: 'cpu' };
  const problem =
    checkInteger('domid', op.domid, 0, MAX_DOMID) ??
    checkInteger('max_vcpus', op.max_vcpus, 1, maxVcpus) ??
    checkInteger('vcpus', op.vcpus, 1, op.max_vcpus) ??
    checkWorkload(workload);
  if (problem !== null) return fail(problem);
  const masks: (Uint8Array | null)[] = [];
  for (const [i, pcpus] of (op.affinity ?? []).entries()) {
    if (i >= op.max_vcpus) return fail(invalid('affinity', `has ${op.affinity?.length} entries for ${op.max_vcpus} vCPUs`));
    const mask = affinityMask(host, pcpus);
    if (!mask.ok) return mask;
    masks.push(mask.value);
  }
  const domain = host.createDomain(op.domid, op.max_vcpus, workload, op.paused ?? false);
  // The policy owns the ranges of its parameters: a refusal undoes the (still empty) domain.
  const adjusted = putDomainParams(host, domain, op.weight ?? WEIGHT_UNCHANGED, op.cap ?? CAP_UNCHANGED);
  if (!adjusted.ok) {
    host.destroyDomain(domain);
    return adjusted;
  }
  masks.forEach((mask, i) => host.setAffinity(domain.vcpus[i]!, mask));
  for (let i = 0; i < op.vcpus; i++) host.setOnline(domain.vcpus[i]!, true);
  return ok(domainInfo(host, domain));
}

function destroyDomain(host: Host, domain: Domain): Outcome {
  if (domain.domid === DOMAIN0) return fail(domctlError(DomctlErrorCode.DOMAIN0_PROTECTED, 'Domain-0 cannot be destroyed'));
  // Destroying a member removes it from its group; destroying a master dissolves the group.
  if (domain.master !== null || domain.group !== null) {
    if (domain.master !== null) leaveGroup(domain);
    if (domain.group !== null) dissolveGroup(domain);
    host.groupsChanged();
  }
  host.destroyDomain(domain);
  return ok(null);
}

function setPaused(host: Host, domain: Domain, paused: boolean): Outcome {
  if (domain.domid === DOMAIN0) return fail(domctlError(DomctlErrorCode.DOMAIN0_PROTECTED, 'Domain-0 cannot be paused or unpaused'));
  if (domain.paused === paused) {
    const [expected, actual] = paused ? ['running', 'paused'] : ['paused', 'running'];
    return fail(domctlError(DomctlErrorCode.BAD_POWER_STATE, `domain ${domain.domid} is ${actual}, expected ${expected}`));
  }
  host.setPaused(domain, paused);
  return ok(domainInfo(host, domain));
}

function setMaxVcpus(host: Host, domain: Domain, max: number): Outcome {
  const online = onlineCount(domain);
  const problem = checkInteger('max_vcpus', max, online, maxVcpusFor(host, domain.domid));
  if (problem !== null) return fail(problem);
  const { cap } = host.scheduler.getDomainParams(domain);
  const groupVcpus = groupVcpuCount(domain) - domain.vcpus.length + max;
  if (cap > 100 * groupVcpus) return fail(invalid('max_vcpus', `${max} vCPUs cannot carry the domain's cap of ${cap}`));
  host.resizeVcpus(domain, max);
  return ok(domainInfo(host, domain));
}

function setOnlineVcpus(host: Host, domain: Domain, count: number): Outcome {
  const problem = checkInteger('vcpus', count, 1, domain.vcpus.length);
  if (problem !== null) return fail(problem);
  domain.vcpus.forEach((vcpu) => host.setOnline(vcpu, vcpu.id < count));
  return ok(domainInfo(host, domain));
}

function setVcpuAffinity(host: Host, domain: Domain, id: number, pcpus: Affinity): Outcome {
  const vcpu = domain.vcpus[id];
  if (vcpu === undefined || !Number.isInteger(id)) {
    return fail(domctlError(DomctlErrorCode.NO_SUCH_VCPU, `domain ${domain.domid} has no vCPU ${id} (it has 0..${domain.vcpus.length - 1})`, 'vcpu'));
  }
  const mask = affinityMask(host, pcpus);
  if (!mask.ok) return mask;
  host.setAffinity(vcpu, mask.value);
  return ok(vcpuInfo(host, vcpu));
}

function setWorkload(host: Host, domain: Domain, workload: Workload): Outcome {
  const problem = checkWorkload(workload);
  if (problem !== null) return fail(problem);
  host.setWorkload(domain, workload);
  return ok(domainInfo(host, domain));
}

/** XEN_DOMCTL_SCHEDOP_putinfo with Xen's sentinels: weight 0 and cap 0xFFFF leave a value alone. */
function putDomainParams(host: Host, domain: Domain, weight: number, cap: number): Outcome {
  const current = host.scheduler.getDomainParams(domain);
  return host.scheduler.adjustDomain(domain, {
    weight: weight === WEIGHT_UNCHANGED ? current.weight : weight,
    cap: cap === CAP_UNCHANGED ? current.cap : cap,
  });
}

// --- scheduling domains ---

function schedGroup(host: Host, op: SchedGroupOp): Outcome {
  if (host.scheduler.groupsChanged === undefined) {
    return fail(domctlError(DomctlErrorCode.NOT_SUPPORTED, `the ${host.scheduler.name} scheduler has no scheduling domains`));
  }
  if (op.cmd === 'list') {
    const masters = [...host.domains.values()].filter((d) => d.group !== null);
    return ok(masters.map((m) => groupInfo(host, m)));
  }
  return withDomain(host, op.master, (master) => {
    const outcome = groupOperation(host, master, op);
    if (outcome.ok && op.cmd !== 'get') host.groupsChanged();
    return outcome;
  });
}

function groupOperation(host: Host, master: Domain, op: Exclude<SchedGroupOp, { cmd: 'list' }>): Outcome {
  switch (op.cmd) {
    case 'create':
      return createGroup(host, master);
    case 'get':
      return master.group === null ? noGroup(master) : ok(groupInfo(host, master));
    case 'dissolve':
      if (master.group === null) return noGroup(master);
      dissolveGroup(master);
      return ok(null);
    case 'add_member':
      return withDomain(host, op.member, (member) => addMember(host, master, member, op.share ?? DEFAULT_SHARE));
    case 'remove_member':
      return withDomain(host, op.member, (member) => removeMember(host, master, member));
    case 'set_share':
      return withDomain(host, op.domid, (domain) => setShare(host, master, domain, op.share));
  }
}

const noGroup = (master: Domain): Outcome =>
  fail(domctlError(DomctlErrorCode.NO_SUCH_GROUP, `domain ${master.domid} is not the master of a scheduling domain`, 'master'));

function masterProblem(master: Domain): DomctlError | null {
  if (master.master === null) return null;
  return domctlError(DomctlErrorCode.NESTED_GROUP, `domain ${master.domid} is a member of ${master.master.domid}'s scheduling domain and cannot be a master`, 'master');
}

function createGroup(host: Host, master: Domain): Outcome {
  if (master.group !== null) return fail(domctlError(DomctlErrorCode.GROUP_EXISTS, `domain ${master.domid} is already the master of a scheduling domain`, 'master'));
  const problem = masterProblem(master);
  if (problem !== null) return fail(problem);
  master.group = { members: [] };
  master.share = DEFAULT_SHARE;
  return ok(groupInfo(host, master));
}

function memberProblem(master: Domain, member: Domain, share: number): DomctlError | null {
  const code = DomctlErrorCode;
  if (member.domid === DOMAIN0) return domctlError(code.DOMAIN0_PROTECTED, 'Domain-0 cannot be a member of a scheduling domain', 'member');
  if (member === master) return domctlError(code.SELF_MEMBERSHIP, `domain ${master.domid} cannot join its own scheduling domain`, 'member');
  if (member.master !== null) {
    return domctlError(code.ALREADY_IN_GROUP, `domain ${member.domid} is already a member of ${member.master.domid}'s scheduling domain`, 'member');
  }
  if (member.group !== null) {
    return domctlError(code.NESTED_GROUP, `domain ${member.domid} is the master of a scheduling domain and cannot be a member of another`, 'member');
  }
  return masterProblem(master) ?? checkInteger('share', share, MIN_SHARE, MAX_SHARE);
}

function addMember(host: Host, master: Domain, member: Domain, share: number): Outcome {
  const problem = memberProblem(master, member, share);
  if (problem !== null) return fail(problem);
  if (master.group === null) {
    master.group = { members: [] };
    master.share = DEFAULT_SHARE;
  }
  master.group.members.push(member);
  member.master = master;
  member.share = share;
  return ok(groupInfo(host, master));
}

function removeMember(host: Host, master: Domain, member: Domain): Outcome {
  if (member.master !== master) {
    return fail(domctlError(DomctlErrorCode.NOT_A_MEMBER, `domain ${member.domid} is not a member of ${master.domid}'s scheduling domain`, 'member'));
  }
  leaveGroup(member);
  return ok(groupInfo(host, master));
}

function setShare(host: Host, master: Domain, domain: Domain, share: number): Outcome {
  if (master.group === null) return noGroup(master);
  if (domain !== master && domain.master !== master) {
    return fail(domctlError(DomctlErrorCode.NOT_A_MEMBER, `domain ${domain.domid} is not in ${master.domid}'s scheduling domain`, 'domid'));
  }
  const problem = checkInteger('share', share, MIN_SHARE, MAX_SHARE);
  if (problem !== null) return fail(problem);
  domain.share = share;
  return ok(groupInfo(host, master));
}

/** A member leaves: its own weight and cap (kept all along) apply again. */
function leaveGroup(member: Domain): void {
  const members = member.master?.group?.members;
  if (members !== undefined) members.splice(members.indexOf(member), 1);
  member.master = null;
  member.share = DEFAULT_SHARE;
}

function dissolveGroup(master: Domain): void {
  for (const member of [...(master.group?.members ?? [])]) leaveGroup(member);
  master.group = null;
  master.share = DEFAULT_SHARE;
}

// --- reports ---

const onlineCount = (domain: Domain): number => domain.vcpus.filter((v) => v.online).length;

function domainInfo(host: Host, domain: Domain): DomainInfo {
  return {
    domid: domain.domid,
    state: domain.paused ? 'paused' : 'running',
    max_vcpus: domain.vcpus.length,
    online_vcpus: onlineCount(domain),
    workload: domain.workload,
    sched: host.scheduler.getDomainParams(domain),
    scheduling_domain: domain.master === null ? null : domain.master.domid,
    share: domain.share,
    cpu_time_ns: host.domainCpuTimeNs(domain),
  };
}

function vcpuInfo(host: Host, vcpu: Vcpu): VcpuInfo {
  const sched = host.scheduler.vcpuInfo(vcpu);
  const runstate_ns = Object.fromEntries(RUNSTATE_NAMES.map((name, i) => [name, host.runstateNs(vcpu, i as Runstate)]));
  return {
    id: vcpu.id,
    state: RUNSTATE_NAMES[vcpu.runstate],
    pcpu: vcpu.processor,
    affinity: vcpu.affinity === null ? 'all' : [...vcpu.affinity.keys()].filter((id) => vcpu.affinity?.[id] === 1),
    online: vcpu.online,
    cpu_time_ns: host.runstateNs(vcpu, Runstate.running),
    runstate_ns: runstate_ns as VcpuInfo['runstate_ns'],
    wakeups: vcpu.wakeups,
    credit: sched.credit,
    priority: sched.priority,
    parked: sched.parked,
  };
}

function pcpuInfo(host: Host, id: number): PcpuInfo {
  const pcpu = host.pcpus[id]!;
  const current = pcpu.current === null ? null : { domain: pcpu.current.domain.domid, vcpu: pcpu.current.id };
  return { id, current, busy_ns: host.pcpuBusyNs(pcpu), idle_ns: host.pcpuIdleNs(pcpu) };
}

function groupInfo(host: Host, master: Domain): SchedGroupInfo {
  const members = master.group?.members ?? [];
  let cpu_time_ns = host.domainCpuTimeNs(master);
  for (const member of members) cpu_time_ns += host.domainCpuTimeNs(member);
  return { master: master.domid, master_share: master.share, members: members.map((m) => ({ domid: m.domid, share: m.share })), cpu_time_ns };
}
