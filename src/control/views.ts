/** What the control layer reports: configuration joined with live runtime state. */
import type { Affinity, DomainInfo, SchedGroupInfo, VcpuInfo, Workload } from '../hypervisor/index.ts';
import type { DomainRecord, GroupRecord, PowerState } from '../store/index.ts';
import type { ConfigState } from './config-state.ts';

export interface DomainView {
  readonly id: number;
  readonly uuid: string;
  readonly name: string;
  readonly state: PowerState;
  readonly vcpus: number;
  readonly max_vcpus: number;
  readonly memory_mb: number;
  readonly sched: { readonly weight: number; readonly cap: number };
  readonly workload: Workload;
  readonly scheduling_domain: number | null;
  readonly cpu_time_ns: number;
}

export interface VcpuView {
  readonly id: number;
  readonly state: VcpuInfo['state'];
  readonly pcpu: number | null;
  readonly affinity: number[] | 'all';
  readonly cpu_time_ns: number;
  readonly credit: number | null;
  readonly priority: string | null;
}

export interface GroupView {
  readonly master: number;
  readonly master_share: number;
  /** True while the master is live: the group is in force in the hypervisor. */
  readonly active: boolean;
  readonly members: { readonly domain: number; readonly share: number; readonly active: boolean }[];
  /** CPU time of master and members together, cumulative, live ones only. */
  readonly cpu_time_ns: number;
}

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
    scheduling_domain: state.masterOfMember(domain.domid) ?? null,
    cpu_time_ns: info?.cpu_time_ns ?? 0,
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
  }));
}

export function groupView(
  group: GroupRecord,
  isLive: (domid: number) => boolean,
  live: SchedGroupInfo | undefined,
  cpuTimeNs: (domid: number) => number,
): GroupView {
  const active = live !== undefined;
  const members = group.members.map((m) => ({
    domain: m.domid,
    share: m.share,
    active: active && live.members.some((lm) => lm.domid === m.domid),
  }));
  const cpu_time_ns = [group.master, ...group.members.map((m) => m.domid)]
    .filter(isLive)
    .reduce((sum, domid) => sum + cpuTimeNs(domid), 0);
  return { master: group.master, master_share: group.master_share, active, members, cpu_time_ns };
}
