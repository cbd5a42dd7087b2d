/**
 * Read-only, typed views of the host's inner state (like `xl debug-keys`):
 * what runs and what waits where, each vCPU's placement and runstate, the
 * groups. For invariant checks and tools; nothing here changes the host.
 */
import type { Engine } from './engine.ts';
import { RUNSTATE_NAMES, type Runstate, type RunstateName, type Vcpu } from './model.ts';
import type { DomainSchedParams, Topology } from './sched/scheduler.ts';

export interface VcpuRef {
  readonly domid: number;
  readonly vcpu: number;
}

export interface InspectedQueueEntry extends VcpuRef {
  readonly priority: string;
  readonly credit: number;
}

export interface InspectedPcpu {
  readonly id: number;
  readonly current: VcpuRef | null;
  readonly busy_ns: number;
  readonly idle_ns: number;
  /** Its run queue, in the order the policy would pick. */
  readonly runq: readonly InspectedQueueEntry[];
}

export interface InspectedVcpu {
  readonly id: number;
  readonly processor: number;
  readonly online: boolean;
  readonly runnable: boolean;
  readonly parked: boolean;
  readonly affinity: readonly number[] | 'all';
  readonly runstate: RunstateName;
  readonly runstate_ns: Readonly<Record<RunstateName, number>>;
}

export interface InspectedDomain {
  readonly domid: number;
  readonly paused: boolean;
  readonly sched: DomainSchedParams;
  readonly master: number | null;
  readonly members: readonly number[] | null;
  readonly share: number;
  /** The cpupool it lives in. */
  readonly pool: number;
  readonly vcpus: readonly InspectedVcpu[];
}

export interface InspectedPool {
  readonly id: number;
  readonly name: string;
  readonly sched: string;
  readonly pcpus: readonly number[];
  /** Its policy's own debug dump. */
  readonly dump: unknown;
}

export interface HostInspection {
  readonly now_ns: number;
  readonly pcpus: readonly InspectedPcpu[];
  /** Live domains in creation order (Domain-0 first). */
  readonly domains: readonly InspectedDomain[];
  /** Pool-0's policy's own debug dump (credit: active entities, balance, queues as text). */
  readonly dump: unknown;
  /** sockets × cores × threads. */
  readonly topology: Topology;
  /** Every cpupool, Pool-0 first, with its policy's dump. */
  readonly pools: readonly InspectedPool[];
}

const ref = (vcpu: Vcpu): VcpuRef => ({ domid: vcpu.domain.domid, vcpu: vcpu.id });

export function inspectEngine(engine: Engine): HostInspection {
  for (const pool of engine.pools.values()) pool.scheduler.checkInvariants?.(engine.now_ns);
  const pcpus = engine.pcpus.map((pcpu): InspectedPcpu => {
    const scheduler = engine.pcpuPool[pcpu.id]?.scheduler;
    return {
      id: pcpu.id,
      current: pcpu.current === null ? null : ref(pcpu.current),
      busy_ns: engine.pcpuBusyNs(pcpu),
      idle_ns: engine.pcpuIdleNs(pcpu),
      runq: (scheduler?.runQueue(pcpu.id) ?? []).map((vcpu) => {
        const { priority, credit } = scheduler!.vcpuInfo(vcpu);
        return { ...ref(vcpu), priority, credit };
      }),
    };
  });
  const domains = [...engine.domains.values()].map((domain): InspectedDomain => ({
    domid: domain.domid,
    paused: domain.paused,
    sched: engine.schedulerOf(domain).getDomainParams(domain),
    master: domain.master === null ? null : domain.master.domid,
    members: domain.group === null ? null : domain.group.members.map((m) => m.domid),
    share: domain.share,
    pool: domain.pool,
    vcpus: domain.vcpus.map((vcpu): InspectedVcpu => ({
      id: vcpu.id,
      processor: vcpu.processor,
      online: vcpu.online,
      runnable: vcpu.runnable,
      parked: vcpu.parked,
      affinity: vcpu.affinity === null ? 'all' : [...vcpu.affinity.keys()].filter((id) => vcpu.affinity?.[id] === 1),
      runstate: RUNSTATE_NAMES[vcpu.runstate],
      runstate_ns: Object.fromEntries(RUNSTATE_NAMES.map((name, i) => [name, engine.runstateNs(vcpu, i as Runstate)])) as Record<RunstateName, number>,
    })),
  }));
  const pools = [...engine.pools.values()].map((pool): InspectedPool => ({ id: pool.id, name: pool.name, sched: pool.sched, pcpus: [...pool.pcpus], dump: pool.scheduler.dump() }));
  return { now_ns: engine.now_ns, pcpus, domains, dump: engine.scheduler.dump(), topology: { ...engine.topology }, pools };
}
