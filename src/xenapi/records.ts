/**
 * Reading XenAPI objects in batches: one control-layer read of the domains,
 * memberships and usage per batch (a `get_all_records` or an `event.from`
 * answer), however many records it holds.
 */
import type { CpupoolView, DomainView } from '../control/index.ts';
import type { Membership, XenObjects } from './objects.ts';
import type { TaskTable } from './tasks.ts';
import { cpuPoolRef } from './values.ts';

/** The classes that have records, as event records name them (lower case). */
export const EVENT_CLASSES = ['pool', 'host', 'host_cpu', 'vm', 'vm_metrics', 'task', 'cpu_pool'] as const;
export type EventClass = (typeof EVENT_CLASSES)[number];

export type XenRecord = Record<string, unknown>;

/**
 * The window XenAPI's utilisation figures average over, simulated ms: XAPI's
 * come from one-minute RRD averages, and a minute is long enough for a cap's
 * bursts (credit parked and refilled every 30 ms period) to average out.
 */
export const UTILISATION_WINDOW_MS = 60_000;

export class RecordReader {
  private readonly objects: XenObjects;
  private readonly tasks: TaskTable;
  private domainsCache: Map<number, DomainView> | undefined;
  private membershipsCache: Map<number, Membership> | undefined;
  private cpuPoolRefsCache: Map<string, string> | undefined;
  private poolsCache: Map<string, CpupoolView> | undefined;
  private usageCache: { domains: Map<number, number>; pcpus: number[] } | undefined;

  constructor(objects: XenObjects, tasks: TaskTable) {
    this.objects = objects;
    this.tasks = tasks;
  }

  private get domains(): Map<number, DomainView> {
    this.domainsCache ??= new Map(this.objects.control.domains.list().map((d) => [d.id, d]));
    return this.domainsCache;
  }

  private get cpuPoolRefs(): Map<string, string> {
    this.cpuPoolRefsCache ??= this.objects.cpuPoolRefs();
    return this.cpuPoolRefsCache;
  }

  /** Every cpupool by ref. */
  private get pools(): Map<string, CpupoolView> {
    this.poolsCache ??= new Map(this.objects.control.cpupools.list().map((pool) => [cpuPoolRef(pool), pool]));
    return this.poolsCache;
  }

  private get memberships(): Map<number, Membership> {
    this.membershipsCache ??= this.objects.memberships();
    return this.membershipsCache;
  }

  private get usage(): { domains: Map<number, number>; pcpus: number[] } {
    if (this.usageCache === undefined) {
      const report = this.objects.control.usage.host(UTILISATION_WINDOW_MS);
      this.usageCache = { domains: new Map(report.domains.map((d) => [d.id, d.observed_pct])), pcpus: report.pcpus.map((p) => p.busy_pct) };
    }
    return this.usageCache;
  }

  /** One domain: from the batch's list when one was read, else alone (a getter must not read every domain). */
  private domain(domid: number): DomainView | undefined {
    if (this.domainsCache !== undefined) return this.domainsCache.get(domid);
    return this.objects.control.domains.get(String(domid));
  }

  vm(domid: number): XenRecord | undefined {
    const domain = this.domain(domid);
    return domain === undefined ? undefined : this.objects.vmRecord(domain, this.memberships, this.cpuPoolRefs);
  }

  metrics(domid: number): XenRecord | undefined {
    const domain = this.domain(domid);
    return domain === undefined ? undefined : this.objects.metricsRecord(domain, this.usage.domains.get(domid) ?? 0);
  }

  hostCpu(n: number): XenRecord {
    return this.objects.hostCpuRecord(n, this.usage.pcpus[n] ?? 0);
  }

  /** A pool's record; its started VMs from the batch's list of domains (the pool's view already read them all). */
  cpuPool(pool: CpupoolView): XenRecord {
    return this.objects.cpuPoolRecord(pool, (domid) => {
      const state = this.domains.get(domid)?.state;
      return state !== undefined && state !== 'halted';
    });
  }

  /** One object's record, or undefined when `ref` names none of `cls`. */
  get(cls: EventClass, ref: string): XenRecord | undefined {
    const { objects } = this;
    switch (cls) {
      case 'pool':
        return ref === objects.poolRef ? objects.poolRecord() : undefined;
      case 'host':
        return ref === objects.hostRef ? objects.hostRecord() : undefined;
      case 'host_cpu': {
        const n = objects.cpuNumber(ref);
        return n === undefined ? undefined : this.hostCpu(n);
      }
      case 'vm': {
        const vm = objects.vm(ref);
        return vm === undefined ? undefined : this.vm(vm.domid);
      }
      case 'vm_metrics': {
        const vm = objects.vmByMetrics(ref);
        return vm === undefined ? undefined : this.metrics(vm.domid);
      }
      case 'task':
        return this.tasks.record(ref);
      case 'cpu_pool': {
        const pool = this.pools.get(ref);
        return pool === undefined ? undefined : this.cpuPool(pool);
      }
    }
  }

  /** Every object of `cls`, ref → record. */
  all(cls: EventClass): Record<string, XenRecord> {
    const { objects } = this;
    const out: Record<string, XenRecord> = {};
    switch (cls) {
      case 'pool':
        out[objects.poolRef] = objects.poolRecord();
        break;
      case 'host':
        out[objects.hostRef] = objects.hostRecord();
        break;
      case 'host_cpu':
        objects.cpus.forEach((ref, n) => (out[ref] = this.hostCpu(n)));
        break;
      case 'vm':
        for (const domain of this.domains.values()) {
          const vm = objects.vmByDomid(domain.id);
          if (vm !== undefined) out[vm.ref] = objects.vmRecord(domain, this.memberships, this.cpuPoolRefs);
        }
        break;
      case 'vm_metrics':
        for (const domain of this.domains.values()) {
          const vm = objects.vmByDomid(domain.id);
          if (vm !== undefined) out[vm.metrics] = this.metrics(domain.id)!;
        }
        break;
      case 'task':
        for (const ref of this.tasks.refs()) out[ref] = this.tasks.record(ref)!;
        break;
      case 'cpu_pool':
        for (const [ref, pool] of this.pools) out[ref] = this.cpuPool(pool);
        break;
    }
    return out;
  }

  /** How many objects of `cls` there are (event.from's valid_ref_counts). */
  count(cls: EventClass): number {
    switch (cls) {
      case 'pool':
      case 'host':
        return 1;
      case 'host_cpu':
        return this.objects.cpus.length;
      case 'vm':
        return this.objects.vmRefs().length;
      case 'vm_metrics':
        return this.objects.metricsRefs().length;
      case 'task':
        return this.tasks.refs().length;
      case 'cpu_pool':
        return this.pools.size;
    }
  }
}
