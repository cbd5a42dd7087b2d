/**
 * The XenAPI objects of the simulated host, from control-layer views: refs
 * (a VM's is `OpaqueRef:<its uuid>`; the pool's, host's, pCPUs' and metrics'
 * are derived, so stable across restarts) and records in XenAPI's field
 * names and types.
 */
import type { Control, ControlEvent, CpupoolView, DomainView } from '../control/index.ts';
import type { XenApiVmRecord } from '../schemas/xenapi.ts';
import { DEFAULT_SHARE, DOMAIN0_ID } from '../vocabulary/domains.ts';
import { BYTES_PER_MB } from '../vocabulary/units.ts';
import { cpuPoolRef, cpuPoolUuid, NULL_REF, refOf, simulatedDate, stableUuid, XenFloat, type XenDateTime } from './values.ts';

/** XenAPI 2.21 (the API level whose classes this subset follows). */
const API_VERSION = { major: 2, minor: 21 };

/** A VM as the dispatcher resolves it. */
export interface VmHandle {
  readonly ref: string;
  readonly uuid: string;
  readonly domid: number;
  /** The ref of its VM_metrics object. */
  readonly metrics: string;
}

/** What the index keeps of a VM beside its handle: one object, so a host of 100,000 VMs has no further maps by domid. */
interface IndexedVm extends VmHandle {
  /** The ref of the cpupool it lives in, as the events so far left it (a moved VM's old pool's events need it). */
  poolRef: string;
  /** When it last started, simulated ns (0: before this daemon's life). */
  started_ns: number;
}

/** A VM's scheduling domain: its master's domid and its own share (a master's is its master share). */
export interface Membership {
  readonly master: number;
  readonly share: number;
}

const POWER_STATES = { running: 'Running', paused: 'Paused', halted: 'Halted' } as const;

/** Where the host is reached: the daemon's listen address and the machine's host name. */
export interface HostIdentity {
  readonly address: string;
  readonly hostname: string;
}

export class XenObjects {
  readonly control: Control;
  private readonly identity: HostIdentity;
  readonly poolRef = refOf(stableUuid('pool'));
  readonly hostUuid = stableUuid('host');
  readonly hostRef = refOf(this.hostUuid);
  private readonly byRef = new Map<string, IndexedVm>();
  private readonly byDomid = new Map<number, IndexedVm>();
  private readonly byMetrics = new Map<string, IndexedVm>();
  private readonly cpuRefs: string[];
  /** Each cpupool's ref by name: what a pool's event changes. */
  private readonly poolRefByName = new Map<string, string>();
  /** Pool-0's ref (listed first; never destroyed nor renamed). */
  readonly pool0Ref: string;

  constructor(control: Control, identity: HostIdentity) {
    this.control = control;
    this.identity = identity;
    const pools = control.cpupools.list();
    for (const pool of pools) this.poolRefByName.set(pool.name, cpuPoolRef(pool));
    this.pool0Ref = cpuPoolRef(pools[0]!);
    for (const domain of control.domains.list()) this.index(domain.id, domain.uuid, domain.cpupool);
    this.cpuRefs = control.host.listPcpus().map((p) => refOf(stableUuid(`host_cpu/${p.id}`)));
  }

  /** The simulated clock's time as a XenAPI date. */
  now(): XenDateTime {
    return simulatedDate(this.control.host.info().clock.now_ns);
  }

  /**
   * Keep the index in step with the control layer: call `learn` before
   * translating `event` (what it made) and `forget` after (what it ended: a
   * deleted domain or pool, a moved VM's old pool).
   */
  learn(event: ControlEvent): void {
    if (event.type === 'domain.created') {
      const domain = this.control.domains.get(String(event.data.domain));
      this.index(domain.id, domain.uuid, domain.cpupool);
    }
    if (event.type === 'domain.started') {
      const vm = this.byDomid.get(event.data.domain);
      if (vm !== undefined) vm.started_ns = event.at_ns;
    }
    if (event.type === 'cpupool.created') this.poolRefByName.set(event.data.name, cpuPoolRef({ id: event.data.cpupool, name: event.data.name }));
  }

  forget(event: ControlEvent): void {
    if (event.type === 'cpupool.destroyed') this.poolRefByName.delete(event.data.name);
    if (event.type === 'domain.cpupool') {
      const vm = this.byDomid.get(event.data.domain);
      if (vm !== undefined) vm.poolRef = this.cpuPoolRefNamed(event.data.cpupool);
    }
    if (event.type !== 'domain.deleted') return;
    const domid = event.data.domain;
    const vm = this.byDomid.get(domid);
    if (vm === undefined) return;
    this.byRef.delete(vm.ref);
    this.byMetrics.delete(vm.metrics);
    this.byDomid.delete(domid);
  }

  private index(domid: number, uuid: string, cpupool: string): void {
    const vm: IndexedVm = { ref: refOf(uuid), uuid, domid, metrics: refOf(stableUuid(`VM_metrics/${uuid}`)), poolRef: this.cpuPoolRefNamed(cpupool), started_ns: 0 };
    this.byRef.set(vm.ref, vm);
    this.byDomid.set(domid, vm);
    this.byMetrics.set(vm.metrics, vm);
  }

  /** The ref of the cpupool named `name` (NULL for a name no pool has). */
  cpuPoolRefNamed(name: string): string {
    return this.poolRefByName.get(name) ?? NULL_REF;
  }

  /** The ref of the cpupool a VM lives in, as the events so far left it. */
  cpuPoolRefOfVm(domid: number): string | undefined {
    return this.byDomid.get(domid)?.poolRef;
  }

  vm(ref: string): VmHandle | undefined {
    return this.byRef.get(ref);
  }

  vmByDomid(domid: number): VmHandle | undefined {
    return this.byDomid.get(domid);
  }

  vmByMetrics(ref: string): VmHandle | undefined {
    return this.byMetrics.get(ref);
  }

  vmRefs(): string[] {
    return [...this.byRef.keys()];
  }

  metricsRefs(): string[] {
    return [...this.byMetrics.keys()];
  }

  get cpus(): readonly string[] {
    return this.cpuRefs;
  }

  cpuNumber(ref: string): number | undefined {
    const n = this.cpuRefs.indexOf(ref);
    return n === -1 ? undefined : n;
  }

  /** Every VM's scheduling domain, by domid. */
  memberships(): Map<number, Membership> {
    const map = new Map<number, Membership>();
    for (const group of this.control.schedulingDomains.list()) {
      map.set(group.master, { master: group.master, share: group.master_share });
      for (const member of group.members) map.set(member.domain, { master: group.master, share: member.share });
    }
    return map;
  }

  /** Each cpupool's ref by its name (a domain's view names its pool). */
  cpuPoolRefs(): Map<string, string> {
    return new Map(this.control.cpupools.list().map((pool) => [pool.name, cpuPoolRef(pool)]));
  }

  vmRecord(domain: DomainView, memberships: ReadonlyMap<number, Membership>, cpuPoolRefs: ReadonlyMap<string, string>): XenApiVmRecord {
    const live = domain.state !== 'halted';
    const membership = memberships.get(domain.id);
    const memory = domain.memory_mb * BYTES_PER_MB;
    const vm = this.byDomid.get(domain.id);
    return {
      uuid: domain.uuid,
      name_label: domain.name,
      name_description: '',
      power_state: POWER_STATES[domain.state],
      allowed_operations: [],
      current_operations: {},
      is_a_template: false,
      is_control_domain: domain.id === DOMAIN0_ID,
      domid: live ? domain.id : -1,
      resident_on: live ? this.hostRef : NULL_REF,
      memory_static_max: memory,
      memory_dynamic_max: memory,
      VCPUs_max: domain.max_vcpus,
      VCPUs_at_startup: domain.vcpus,
      VCPUs_params: { weight: String(domain.sched.weight), cap: String(domain.sched.cap) },
      metrics: vm?.metrics ?? NULL_REF,
      consoles: [],
      VIFs: [],
      VBDs: [],
      other_config: {},
      scheduling_domain: membership === undefined ? NULL_REF : (this.byDomid.get(membership.master)?.ref ?? NULL_REF),
      scheduling_domain_share: membership?.share ?? DEFAULT_SHARE,
      cpu_pool: [cpuPoolRefs.get(domain.cpupool) ?? NULL_REF],
    };
  }

  /**
   * `domain_pct`: the domain's observed share over the usage window, percent
   * of one pCPU; it is split between its vCPUs by their CPU time.
   */
  metricsRecord(domain: DomainView, domain_pct: number): Record<string, unknown> {
    const live = domain.state !== 'halted';
    const utilisation: Record<string, XenFloat> = {};
    if (live) {
      const vcpus = this.control.domains.listVcpus(String(domain.id)).slice(0, domain.vcpus);
      const total_ns = vcpus.reduce((sum, v) => sum + v.cpu_time_ns, 0);
      for (const v of vcpus) {
        const part = total_ns > 0 ? v.cpu_time_ns / total_ns : 1 / vcpus.length;
        utilisation[String(v.id)] = new XenFloat(Math.min(1, (domain_pct / 100) * part));
      }
    }
    const vm = this.byDomid.get(domain.id);
    const now = this.now();
    return {
      uuid: vm === undefined ? '' : vm.metrics.slice('OpaqueRef:'.length),
      memory_actual: live ? domain.memory_mb * BYTES_PER_MB : 0,
      VCPUs_number: live ? domain.vcpus : 0,
      VCPUs_utilisation: utilisation,
      VCPUs_CPU: {},
      VCPUs_params: { weight: String(domain.sched.weight), cap: String(domain.sched.cap) },
      VCPUs_flags: {},
      state: [],
      start_time: simulatedDate(live ? (vm?.started_ns ?? 0) : 0),
      install_time: simulatedDate(0),
      last_updated: now,
      other_config: {},
      hvm: false,
      nested_virt: false,
      nomigrate: false,
      current_domain_type: 'pv',
    };
  }

  poolRecord(): Record<string, unknown> {
    return {
      uuid: this.poolRef.slice('OpaqueRef:'.length),
      name_label: 'nemesis',
      name_description: 'The simulated host (a pool of one).',
      master: this.hostRef,
      default_SR: NULL_REF,
      other_config: {},
      tags: [],
      ha_enabled: false,
    };
  }

  hostRecord(): Record<string, unknown> {
    const info = this.control.host.info();
    const resident = this.control.domains.list().filter((d) => d.state !== 'halted');
    return {
      uuid: this.hostUuid,
      name_label: 'nemesis',
      name_description: 'A simulated Xen host (credit scheduler with scheduling domains).',
      enabled: true,
      API_version_major: API_VERSION.major,
      API_version_minor: API_VERSION.minor,
      API_version_vendor: 'nemesis',
      software_version: { product_brand: 'nemesis', product_version: info.version, xen: 'simulated' },
      address: this.identity.address,
      hostname: this.identity.hostname,
      host_CPUs: [...this.cpuRefs],
      resident_VMs: resident.flatMap((d) => this.byDomid.get(d.id)?.ref ?? []),
      sched_policy: info.scheduler,
      cpu_info: { cpu_count: String(info.pcpus) },
      metrics: NULL_REF,
      other_config: {},
      tags: [],
      allowed_operations: [],
      current_operations: {},
    };
  }

  /**
   * A cpupool's record, with xend's cpu_pool fields (XenAPI 1.0.10; XAPI has no
   * cpupools). A pool exists in the hypervisor from its creation, so it is
   * always `activated`; `ncpu` is how many pCPUs it has. `running` says which
   * domains run (started_VMs).
   */
  cpuPoolRecord(pool: CpupoolView, running: (domid: number) => boolean): Record<string, unknown> {
    return {
      uuid: cpuPoolUuid(pool),
      name_label: pool.name,
      name_description: '',
      resident_on: this.hostRef,
      auto_power_on: false,
      started_VMs: pool.domains.filter((d) => running(d.id)).flatMap((d) => this.byDomid.get(d.id)?.ref ?? []),
      ncpu: String(pool.pcpus.length),
      sched_policy: pool.sched,
      proposed_CPUs: [],
      host_CPUs: pool.pcpus.map((n) => this.cpuRefs[n]!),
      activated: true,
      other_config: {},
    };
  }

  hostCpuRecord(n: number, busy_pct: number): Record<string, unknown> {
    return {
      uuid: this.cpuRefs[n]!.slice('OpaqueRef:'.length),
      host: this.hostRef,
      number: n,
      vendor: 'nemesis',
      speed: 0,
      modelname: 'simulated pCPU',
      family: 0,
      model: 0,
      stepping: '',
      flags: '',
      features: '',
      utilisation: new XenFloat(Math.min(1, busy_pct / 100)),
      other_config: {},
    };
  }
}
