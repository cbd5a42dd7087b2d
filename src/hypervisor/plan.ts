/**
 * A plan: a sequence of domctls checked one after another against the facts
 * as the earlier ones will leave them, without changing the host. The control
 * layer builds a whole request as a plan, persists it, then has the host apply
 * it (`Host.apply`), where every operation is known to pass its check.
 */
import { checkDomctl, initialSched, resolveSched } from './checks.ts';
import type { DomctlOp, SchedGroupOp } from './domctl.ts';
import type { DomctlError } from './errors.ts';
import type { DomainFacts, HostFacts, PolicyRules } from './facts.ts';
import { DEFAULT_SHARE } from './limits.ts';
import type { SchedParams } from './sched/scheduler.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Facts = Mutable<Omit<DomainFacts, 'members'>> & { members: number[] | null };

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
      case 'createdomain':
        this.changed.set(op.domid, {
          domid: op.domid,
          paused: op.paused ?? false,
          max_vcpus: op.max_vcpus,
          online_vcpus: op.vcpus,
          sched: initialSched(this.policy, op),
          master: null,
          members: null,
          share: DEFAULT_SHARE,
        });
        return;
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
        if (op.cmd === 'putinfo') this.global = { ...this.global, ...op.params };
        return;
      case 'schedgroup':
        this.followGroup(op);
        return;
      case 'setvcpuaffinity':
      case 'setworkload':
      case 'getdomaininfo':
      case 'getdomaininfolist':
      case 'getvcpuinfo':
      case 'getcpuinfo':
      case 'physinfo':
      case 'getusage':
      case 'schedstats':
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
