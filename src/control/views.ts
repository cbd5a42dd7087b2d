/** What the control layer reports: configuration joined with live runtime state. */
import type { Static } from '@sinclair/typebox';
import type { Affinity, DomainInfo, SchedGroupInfo, VcpuInfo } from '../hypervisor/index.ts';
import type { DomainRecord, GroupRecord } from '../store/index.ts';
import type { Domain, Vcpu } from '../schemas/domain.ts';
import type { SchedulingDomain } from '../schemas/scheduling-domain.ts';
import type { ConfigState } from './config-state.ts';
import { poolName } from './cpupool-facts.ts';

/** The API's shapes are the schemas' (one schema per shape, see src/schemas). */
export type DomainView = Static<typeof Domain>;
export type VcpuView = Static<typeof Vcpu>;
export type GroupView = Static<typeof SchedulingDomain>;

export function domainView(state: ConfigState, domain: DomainRecord, info: DomainInfo | undefined): DomainView {
  return {
    id: domain.domid,
    uuid: domain.uuid,
    name: domain.name,
    state: domain.state,
    vcpus: domain.vcpus,
    max_vcpus: domain.max_vcpus,
    memory_mb: domain.memory_mb,
    sched: { weight: domain.weight, cap: domain.cap },
    workload: domain.workload,
    scheduling_domain: state.masterOfMember(domain.domid) ?? (state.group(domain.domid) === undefined ? null : domain.domid),
    cpu_time_ns: info?.cpu_time_ns ?? 0,
    cpupool: poolName(state, domain.cpupool),
  };
}

const copyAffinity = (affinity: Affinity): number[] | 'all' => (affinity === 'all' ? 'all' : [...affinity]);

export function vcpuViews(domain: DomainRecord, live: readonly VcpuInfo[] | undefined): VcpuView[] {
  if (live !== undefined) {
    return live.map((v) => ({
      id: v.id,
      state: v.state,
      pcpu: v.online ? v.pcpu : null,
      affinity: copyAffinity(v.affinity),
      cpu_time_ns: v.cpu_time_ns,
      credit: v.credit,
      priority: v.priority,
      runqueue: v.runqueue,
      budget_ns: v.budget_ns,
      parked: v.parked,
      runstate_ns: { ...v.runstate_ns },
      wakeups: v.wakeups,
      active: v.active,
      wake_latency: { ...v.wake_latency },
    }));
  }
  return domain.affinity.map((affinity, id) => ({
    id,
    state: 'offline',
    pcpu: null,
    affinity: copyAffinity(affinity),
    cpu_time_ns: 0,
    credit: null,
    priority: null,
    runqueue: null,
    budget_ns: null,
    parked: false,
    runstate_ns: { running: 0, runnable: 0, blocked: 0, offline: 0 },
    wakeups: 0,
    active: false,
    wake_latency: { count: 0, mean_ns: 0, max_ns: 0, p99_ns: 0 },
  }));
}

/** `ended_ns`: what its earlier hypervisor groups used (those ended with their master's shutdown). */
export function groupView(group: GroupRecord, live: SchedGroupInfo | undefined, ended_ns: number): GroupView {
  const active = live !== undefined;
  const members = group.members.map((m) => ({
    domain: m.domid,
    share: m.share,
    active: active && live.members.some((lm) => lm.domid === m.domid),
  }));
  const cpu_time_ns = ended_ns + (live?.cpu_time_ns ?? 0);
  return { master: group.master, master_share: group.master_share, active, members, cpu_time_ns };
}
