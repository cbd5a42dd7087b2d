/**
 * A plan: a sequence of domctls checked one after another against the facts
 * as the earlier ones will leave them, without changing the host. The control
 * layer builds a whole request as a plan, persists it, then has the host apply
 * it (`Host.apply`), where every operation is known to pass its check.
 */
import { checkDomctl, initialSched, resolveSched } from './checks.ts';
import type { CpupoolOp, DomctlOp, SchedGroupOp } from './domctl.ts';
import type { DomctlError } from './errors.ts';
import { poolFacts, type DomainFacts, type HostFacts, type PolicyRules, type PoolFacts } from './facts.ts';
import { DEFAULT_SHARE, POOL0_ID } from './limits.ts';
import { policyRulesFor } from './sched/policies.ts';
import type { SchedParams } from './sched/scheduler.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Facts = Mutable<Omit<DomainFacts, 'members'>> & { members: number[] | null };
/** A pool as the plan will leave it; its domains are worked out from the domains' facts when asked. */
type Pool = Mutable<Omit<PoolFacts, 'pcpus' | 'domains'>> & { pcpus: number[]; readonly baseDomains: () => readonly number[] };

export class DomctlPlan implements HostFacts {
  /** The checked operations, in order. */
  readonly ops: DomctlOp[] = [];
  /** The host's version the plan was checked against (it must not have changed when applied). */
  readonly version: number;
  readonly pcpuCount: number;
  readonly policy: PolicyRules;
  global: SchedParams;
  private readonly base: HostFacts;
  /** Domains the plan changes: their facts as they will be, or null once destroyed. */
  private readonly changed = new Map<number, Facts | null>();
  /** Every cpupool as it will be, copied from the host at the plan's first change to one. */
  private pools: Map<number, Pool> | null = null;

  constructor(base: HostFacts, version: number) {
    this.base = base;
    this.version = version;
    this.pcpuCount = base.pcpuCount;
    this.policy = base.policy;
    this.global = base.global;
  }

  has(domid: number): boolean {
    const changed = this.changed.get(domid);
    return changed === undefined ? this.base.has(domid) : changed !== null;
  }

  domain(domid: number): DomainFacts | undefined {
    const changed = this.changed.get(domid);
    return changed === undefined ? this.base.domain(domid) : (changed ?? undefined);
  }

  pool(id: number): PoolFacts | undefined {
    const pool = this.pools === null ? this.copyPool(id) : this.pools.get(id);
    if (pool === undefined) return undefined;
    return poolFacts(pool, () => this.domainsOf(pool));
  }

  /** The host's domains of the pool that the plan leaves there, then those it creates or moves there. */
  private domainsOf(pool: Pool): number[] {
    const domains = pool.baseDomains().filter((domid) => {
      const changed = this.changed.get(domid);
      return changed === undefined || (changed !== null && changed.pool === pool.id);
    });
    for (const [domid, changed] of this.changed) if (changed !== null && changed.pool === pool.id && !domains.includes(domid)) domains.push(domid);
    return domains;
  }

  poolIds(): readonly number[] {
    return this.pools === null ? this.base.poolIds() : [...this.pools.keys()];
  }

  pcpuPoolId(pcpu: number): number | null {
    if (this.pools === null) return this.base.pcpuPoolId(pcpu);
    for (const pool of this.pools.values()) if (pool.pcpus.includes(pcpu)) return pool.id;
    return null;
  }

  /** The host's pool, copied. */
  private copyPool(id: number): Pool | undefined {
    const pool = this.base.pool(id);
    if (pool === undefined) return undefined;
    return { id, name: pool.name, sched: pool.sched, pcpus: [...pool.pcpus], policy: pool.policy, global: pool.global, baseDomains: () => pool.domains };
  }

  /** The pools, copied for changing. */
  private editPools(): Map<number, Pool> {
    if (this.pools !== null) return this.pools;
    const pools = new Map<number, Pool>();
    for (const id of this.base.poolIds()) pools.set(id, this.copyPool(id)!);
    // Pool-0's parameters as the plan has them (a sched_global before this copy).
    pools.get(POOL0_ID)!.global = this.global;
    this.pools = pools;
    return pools;
  }

  /** Check `op` against the facts so far; when allowed, add it to the plan. Changes nothing in the host. */
  add(op: DomctlOp): DomctlError | null {
    const problem = checkDomctl(this, op);
    if (problem !== null) return problem;
    this.ops.push(op);
    this.follow(op);
    return null;
  }

  /** A domain's facts, copied into the plan for changing. */
  private edit(domid: number): Facts {
    const facts = this.domain(domid)!;
    const copy: Facts = { ...facts, members: facts.members === null ? null : [...facts.members] };
    this.changed.set(domid, copy);
    return copy;
  }

  /** What an allowed operation does to the facts. */
  private follow(op: DomctlOp): void {
    switch (op.op) {
      case 'createdomain': {
        const pool = op.pool ?? POOL0_ID;
        this.changed.set(op.domid, {
          domid: op.domid,
          paused: op.paused ?? false,
          max_vcpus: op.max_vcpus,
          online_vcpus: op.vcpus,
          sched: initialSched(this.pool(pool)!.policy, op),
          master: null,
          members: null,
          share: DEFAULT_SHARE,
          pool,
        });
        return;
      }
      case 'destroydomain': {
        const domain = this.domain(op.domid)!;
        if (domain.master !== null) this.leave(op.domid);
        if (domain.members !== null) this.dissolve(op.domid);
        this.changed.set(op.domid, null);
        return;
      }
      case 'pausedomain':
      case 'unpausedomain':
        this.edit(op.domid).paused = op.op === 'pausedomain';
        return;
      case 'max_vcpus':
        this.edit(op.domid).max_vcpus = op.max_vcpus;
        return;
      case 'setonlinevcpus':
        this.edit(op.domid).online_vcpus = op.vcpus;
        return;
      case 'scheduler_op':
        if (op.cmd === 'putinfo') {
          const domain = this.edit(op.domid);
          domain.sched = resolveSched(domain.sched, op.weight, op.cap);
        }
        return;
      case 'sched_global':
        if (op.cmd === 'putinfo') {
          this.global = { ...this.global, ...op.params };
          if (this.pools !== null) this.pools.get(POOL0_ID)!.global = this.global;
        }
        return;
      case 'schedgroup':
        this.followGroup(op);
        return;
      case 'cpupool_create':
      case 'cpupool_destroy':
      case 'cpupool_add_pcpu':
      case 'cpupool_remove_pcpu':
      case 'cpupool_move_domain':
      case 'cpupool_sched':
        this.followPool(op);
        return;
      case 'cpupool_info':
      case 'cpupool_list':
      case 'topologyinfo':
      case 'setvcpuaffinity':
      case 'setworkload':
      case 'getdomaininfo':
      case 'getdomaininfolist':
      case 'getvcpuinfo':
      case 'getcpuinfo':
      case 'physinfo':
      case 'getusage':
      case 'getusageseries':
      case 'schedstats':
        return;
    }
  }

  private followPool(op: CpupoolOp): void {
    const pools = this.editPools();
    switch (op.op) {
      case 'cpupool_create': {
        const policy = policyRulesFor(op.sched);
        pools.set(op.id, { id: op.id, name: op.name, sched: op.sched, pcpus: [], policy, global: policy.getGlobalParams(), baseDomains: () => [] });
        return;
      }
      case 'cpupool_destroy':
        pools.delete(op.pool);
        return;
      case 'cpupool_add_pcpu':
        pools.get(op.pool)!.pcpus.push(op.pcpu);
        return;
      case 'cpupool_remove_pcpu': {
        const pool = pools.get(op.pool)!;
        pool.pcpus = pool.pcpus.filter((p) => p !== op.pcpu);
        return;
      }
      case 'cpupool_move_domain': {
        this.edit(op.domid).pool = op.pool;
        return;
      }
      case 'cpupool_sched': {
        const pool = pools.get(op.pool)!;
        if (op.cmd === 'putinfo') pool.global = { ...pool.global, ...op.params };
        if (op.cmd === 'putinfo' && op.pool === POOL0_ID) this.global = pool.global;
        return;
      }
      case 'cpupool_info':
      case 'cpupool_list':
        return;
    }
  }

  private followGroup(op: SchedGroupOp): void {
    switch (op.cmd) {
      case 'create': {
        const master = this.edit(op.master);
        master.members = [];
        master.share = DEFAULT_SHARE;
        return;
      }
      case 'add_member': {
        const master = this.edit(op.master);
        if (master.members === null) {
          master.members = [];
          master.share = DEFAULT_SHARE;
        }
        master.members.push(op.member);
        const member = this.edit(op.member);
        member.master = op.master;
        member.share = op.share ?? DEFAULT_SHARE;
        return;
      }
      case 'remove_member':
        this.leave(op.member);
        return;
      case 'set_share':
        this.edit(op.domid).share = op.share;
        return;
      case 'dissolve':
        this.dissolve(op.master);
        return;
      case 'get':
      case 'list':
        return;
    }
  }

  private leave(domid: number): void {
    const member = this.edit(domid);
    const master = this.edit(member.master!);
    master.members = master.members!.filter((m) => m !== domid);
    member.master = null;
    member.share = DEFAULT_SHARE;
  }

  private dissolve(domid: number): void {
    for (const member of [...(this.domain(domid)!.members ?? [])]) this.leave(member);
    const master = this.edit(domid);
    master.members = null;
    master.share = DEFAULT_SHARE;
  }
}
