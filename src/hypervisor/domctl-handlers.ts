/**
 * The apply phase of every domctl: the operation has passed its check
 * (checks.ts), so applying it cannot fail. Reports are built here from the
 * framework's state and the policy's per-vCPU view.
 */
import { affinityMask, initialSched, resolveSched } from './checks.ts';
import type { CpupoolInfo, CpupoolOp, CreateDomain, DomainInfo, DomctlOp, PcpuInfo, SchedGroupInfo, SchedGroupOp, VcpuInfo } from './domctl.ts';
import type { Engine } from './engine.ts';
import { invariant } from './invariant.ts';
import { summarizeLatency } from './latency-histogram.ts';
import { DEFAULT_SHARE, POOL0_ID } from './limits.ts';
import { RUNSTATE_NAMES, Runstate, type Domain, type SchedulingGroup, type Vcpu } from './model.ts';
import { schedStats } from './usage-domctls.ts';
import { NS_PER_MS } from '../vocabulary/units.ts';

/** Apply a checked operation and return its value. */
export function applyDomctl(engine: Engine, op: DomctlOp): unknown {
  switch (op.op) {
    case 'createdomain':
      return createDomain(engine, op);
    case 'destroydomain':
      destroyDomain(engine, domainOf(engine, op.domid));
      return null;
    case 'pausedomain':
    case 'unpausedomain': {
      const domain = domainOf(engine, op.domid);
      engine.setPaused(domain, op.op === 'pausedomain');
      return domainInfo(engine, domain);
    }
    case 'getdomaininfo':
      return domainInfo(engine, domainOf(engine, op.domid));
    case 'getdomaininfolist':
      return [...engine.domains.values()].map((d) => domainInfo(engine, d));
    case 'max_vcpus': {
      const domain = domainOf(engine, op.domid);
      engine.resizeVcpus(domain, op.max_vcpus);
      return domainInfo(engine, domain);
    }
    case 'setonlinevcpus': {
      const domain = domainOf(engine, op.domid);
      domain.vcpus.forEach((vcpu) => engine.setOnline(vcpu, vcpu.id < op.vcpus));
      return domainInfo(engine, domain);
    }
    case 'setvcpuaffinity': {
      const vcpu = domainOf(engine, op.domid).vcpus[op.vcpu]!;
      engine.setAffinity(vcpu, affinityMask(engine.pcpus.length, op.pcpus));
      return vcpuInfo(engine, vcpu);
    }
    case 'getvcpuinfo':
      return domainOf(engine, op.domid).vcpus.map((v) => vcpuInfo(engine, v));
    case 'setworkload': {
      const domain = domainOf(engine, op.domid);
      engine.setWorkload(domain, op.workload);
      return domainInfo(engine, domain);
    }
    case 'scheduler_op': {
      const domain = domainOf(engine, op.domid);
      const scheduler = engine.schedulerOf(domain);
      const current = scheduler.getDomainParams(domain);
      if (op.cmd === 'getinfo') return current;
      const params = resolveSched(current, op.weight, op.cap);
      scheduler.adjustDomain(domain, params);
      return params;
    }
    case 'sched_global':
      if (op.cmd === 'putinfo') engine.setPoolParams(POOL0_ID, { ...engine.scheduler.getGlobalParams(), ...op.params });
      return engine.scheduler.getGlobalParams();
    case 'getcpuinfo':
      return engine.pcpus.map((p): PcpuInfo => pcpuInfo(engine, p.id));
    case 'physinfo':
      return {
        pcpus: engine.pcpus.length,
        scheduler: engine.scheduler.name,
        tick_ms: engine.scheduler.tick_ns / NS_PER_MS,
        now_ns: engine.now_ns,
        trace_hash: engine.trace_hash,
        events_processed: engine.events_processed,
      };
    case 'getusage':
      return engine.usage.window(op.window_ns, engine.now_ns, engine);
    case 'getusageseries':
      return engine.usage.series(op.window_ns, op.step_ns, engine.now_ns, engine);
    case 'schedstats':
      return schedStats(engine);
    case 'schedgroup':
      return schedGroup(engine, op);
    case 'topologyinfo':
      return { ...engine.topology, free_pcpus: engine.pcpus.flatMap((p) => (engine.pcpuPool[p.id] === null ? [p.id] : [])), credit2_runqueue: engine.credit2Runqueue };
    case 'cpupool_create':
    case 'cpupool_destroy':
    case 'cpupool_add_pcpu':
    case 'cpupool_remove_pcpu':
    case 'cpupool_move_domain':
    case 'cpupool_info':
    case 'cpupool_list':
    case 'cpupool_sched':
      return applyCpupool(engine, op);
  }
}

function applyCpupool(engine: Engine, op: CpupoolOp): unknown {
  switch (op.op) {
    case 'cpupool_create':
      engine.createPool(op.id, op.name, op.sched, op.credit2_runqueue ?? engine.credit2Runqueue);
      return cpupoolInfo(engine, op.id);
    case 'cpupool_destroy':
      engine.destroyPool(op.pool);
      return null;
    case 'cpupool_add_pcpu':
    case 'cpupool_remove_pcpu':
      engine.setPoolPcpu(op.pool, op.pcpu, op.op === 'cpupool_add_pcpu');
      return cpupoolInfo(engine, op.pool);
    case 'cpupool_move_domain': {
      const domain = domainOf(engine, op.domid);
      if (domain.pool !== op.pool) engine.moveDomain(domain, op.pool);
      return cpupoolInfo(engine, op.pool);
    }
    case 'cpupool_info':
      return cpupoolInfo(engine, op.pool);
    case 'cpupool_list':
      return engine.poolIds().map((id) => cpupoolInfo(engine, id));
    case 'cpupool_sched': {
      if (op.cmd === 'putinfo') engine.setPoolParams(op.pool, { ...engine.pools.get(op.pool)!.scheduler.getGlobalParams(), ...op.params });
      return engine.pools.get(op.pool)!.scheduler.getGlobalParams();
    }
  }
}

function cpupoolInfo(engine: Engine, id: number): CpupoolInfo {
  const pool = engine.pool(id)!;
  const runqueues = engine.pools.get(id)!.scheduler.runqueuePcpus?.() ?? null;
  return { id, name: pool.name, sched: pool.sched, pcpus: [...pool.pcpus], domains: [...pool.domains], params: pool.global, runqueues };
}

/** Whether applying `op` may change the host (reads never do). */
export const isMutating = (op: DomctlOp): boolean => {
  switch (op.op) {
    case 'getdomaininfo':
    case 'getdomaininfolist':
    case 'getvcpuinfo':
    case 'getcpuinfo':
    case 'physinfo':
    case 'getusage':
    case 'getusageseries':
    case 'schedstats':
    case 'topologyinfo':
    case 'cpupool_info':
    case 'cpupool_list':
      return false;
    case 'cpupool_sched':
      return op.cmd === 'putinfo';
    case 'scheduler_op':
    case 'sched_global':
      return op.cmd === 'putinfo';
    case 'schedgroup':
      return op.cmd !== 'get' && op.cmd !== 'list';
    default:
      return true;
  }
};

function domainOf(engine: Engine, domid: number): Domain {
  const domain = engine.domains.get(domid);
  invariant(domain !== undefined, () => `domain ${domid} passed its check but does not exist`);
  return domain;
}

// --- lifecycle ---

function createDomain(engine: Engine, op: CreateDomain): DomainInfo {
  const domain = engine.createDomain(op.domid, op.max_vcpus, op.workload ?? { type: 'cpu' }, op.paused ?? false, op.pool ?? POOL0_ID);
  const scheduler = engine.schedulerOf(domain);
  scheduler.adjustDomain(domain, initialSched(scheduler, op));
  (op.affinity ?? []).forEach((pcpus, i) => engine.setAffinity(domain.vcpus[i]!, affinityMask(engine.pcpus.length, pcpus)));
  for (let i = 0; i < op.vcpus; i++) engine.setOnline(domain.vcpus[i]!, true);
  return domainInfo(engine, domain);
}

function destroyDomain(engine: Engine, domain: Domain): void {
  // Destroying a member removes it from its group; destroying a master dissolves the group.
  if (domain.master !== null || domain.group !== null) {
    if (domain.master !== null) leaveGroup(engine, domain);
    if (domain.group !== null) dissolveGroup(engine, domain);
    engine.groupsChanged();
  }
  engine.destroyDomain(domain);
}

// --- scheduling domains ---

function schedGroup(engine: Engine, op: SchedGroupOp): SchedGroupInfo | SchedGroupInfo[] | null {
  if (op.cmd === 'list') {
    const masters = [...engine.domains.values()].filter((d) => d.group !== null);
    return masters.map((m) => groupInfo(engine, m));
  }
  const master = domainOf(engine, op.master);
  if (op.cmd === 'get') return groupInfo(engine, master);
  changeGroup(engine, master, op);
  engine.groupsChanged();
  return op.cmd === 'dissolve' ? null : groupInfo(engine, master);
}

function changeGroup(engine: Engine, master: Domain, op: Exclude<SchedGroupOp, { cmd: 'list' | 'get' }>): void {
  switch (op.cmd) {
    case 'create':
      master.group = newGroup(engine, master);
      master.share = DEFAULT_SHARE;
      return;
    case 'dissolve':
      dissolveGroup(engine, master);
      return;
    case 'add_member': {
      const member = domainOf(engine, op.member);
      if (master.group === null) {
        master.group = newGroup(engine, master);
        master.share = DEFAULT_SHARE;
      }
      master.group.members.push(member);
      master.group.joinedAt_ns.set(member, engine.domainCpuTimeNs(member));
      member.master = master;
      member.share = op.share ?? DEFAULT_SHARE;
      return;
    }
    case 'remove_member':
      leaveGroup(engine, domainOf(engine, op.member));
      return;
    case 'set_share':
      domainOf(engine, op.domid).share = op.share;
      return;
  }
}

const newGroup = (engine: Engine, master: Domain): SchedulingGroup => ({
  members: [],
  joinedAt_ns: new Map([[master, engine.domainCpuTimeNs(master)]]),
  left_ns: 0,
});

/** A member leaves: its own weight and cap (kept all along) apply again; what it used in the group stays counted. */
function leaveGroup(engine: Engine, member: Domain): void {
  const group = member.master?.group;
  if (group !== undefined && group !== null) {
    group.members.splice(group.members.indexOf(member), 1);
    group.left_ns += engine.domainCpuTimeNs(member) - (group.joinedAt_ns.get(member) ?? 0);
    group.joinedAt_ns.delete(member);
  }
  member.master = null;
  member.share = DEFAULT_SHARE;
}

function dissolveGroup(engine: Engine, master: Domain): void {
  for (const member of [...(master.group?.members ?? [])]) leaveGroup(engine, member);
  master.group = null;
  master.share = DEFAULT_SHARE;
}

// --- reports ---

const onlineCount = (domain: Domain): number => domain.vcpus.filter((v) => v.online).length;

function domainInfo(engine: Engine, domain: Domain): DomainInfo {
  return {
    domid: domain.domid,
    state: domain.paused ? 'paused' : 'running',
    max_vcpus: domain.vcpus.length,
    online_vcpus: onlineCount(domain),
    workload: domain.workload,
    sched: engine.schedulerOf(domain).getDomainParams(domain),
    scheduling_domain: domain.master === null ? null : domain.master.domid,
    share: domain.share,
    cpu_time_ns: engine.domainCpuTimeNs(domain),
  };
}

function vcpuInfo(engine: Engine, vcpu: Vcpu): VcpuInfo {
  const sched = engine.schedulerOf(vcpu.domain).vcpuInfo(vcpu);
  const runstate_ns = Object.fromEntries(RUNSTATE_NAMES.map((name, i) => [name, engine.runstateNs(vcpu, i as Runstate)]));
  return {
    id: vcpu.id,
    state: RUNSTATE_NAMES[vcpu.runstate],
    pcpu: vcpu.processor,
    affinity: vcpu.affinity === null ? 'all' : [...vcpu.affinity.keys()].filter((id) => vcpu.affinity?.[id] === 1),
    online: vcpu.online,
    cpu_time_ns: engine.runstateNs(vcpu, Runstate.running),
    runstate_ns: runstate_ns as VcpuInfo['runstate_ns'],
    wakeups: vcpu.wakeups,
    wake_latency: summarizeLatency(vcpu.wakeLatency),
    active: sched.active,
    credit: sched.credit,
    priority: sched.priority,
    runqueue: sched.runqueue,
    budget_ns: sched.budget_ns,
    parked: sched.parked,
  };
}

function pcpuInfo(engine: Engine, id: number): PcpuInfo {
  const pcpu = engine.pcpus[id]!;
  const current = pcpu.current === null ? null : { domain: pcpu.current.domain.domid, vcpu: pcpu.current.id };
  return { id, current, busy_ns: engine.pcpuBusyNs(pcpu), idle_ns: engine.pcpuIdleNs(pcpu) };
}

/** Its CPU time is what its domains used while in it, so it never decreases while the group lives. */
function groupInfo(engine: Engine, master: Domain): SchedGroupInfo {
  const members = master.group?.members ?? [];
  let cpu_time_ns = master.group?.left_ns ?? 0;
  for (const domain of [master, ...members]) cpu_time_ns += engine.domainCpuTimeNs(domain) - (master.group?.joinedAt_ns.get(domain) ?? 0);
  return { master: master.domid, master_share: master.share, members: members.map((m) => ({ domid: m.domid, share: m.share })), cpu_time_ns };
}
