/**
 * The domain manager (xend's XendDomain): validates what a client asks for,
 * issues the domctls for live domains, persists the configuration and
 * publishes the change. Every operation either completes or changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { checkAffinity, maxCapFor, POOL0_ID, type Affinity, type DomainInfo, type DomctlPlan } from '../hypervisor/index.ts';
import { DOMAIN_NAME_PATTERN } from '../schemas/common.ts';
import type { CreateDomainRequest, DomainSchedChange, SetDomainSchedRequest, UpdateDomainRequest } from '../schemas/domain.ts';
import { shared, type DomainRecord, type PowerState } from '../store/index.ts';
import type { ControlContext } from './context.ts';
import { resolvePool } from './cpupool-facts.ts';
import { fromDomctl } from './domctl-errors.ts';
import { apiError, badPowerState, invalidArgument } from '../vocabulary/errors.ts';
import { CAP_PER_VCPU, capOutOfRange, DEFAULT_CAP, DEFAULT_WEIGHT, DOMAIN0_ID } from '../vocabulary/domains.ts';
import type { DomainEventDetails, DomainEventType, EventPayloads } from './events.ts';
import { bringUp, isLive, putSched, takeDown } from './lifecycle.ts';
import { keysetPage, type Page } from './pages.ts';
import { commit, plan } from './plan.ts';
import { domainView, vcpuViews, type DomainView, type VcpuView } from './views.ts';

export const DEFAULT_MEMORY_MB = 256;
export const NAME_PATTERN = new RegExp(DOMAIN_NAME_PATTERN);

export type CreateDomainSpec = Static<typeof CreateDomainRequest>;
export type UpdateDomainSpec = Static<typeof UpdateDomainRequest>;
export type SchedSpec = Static<typeof SetDomainSchedRequest>;
export type SchedChange = Static<typeof DomainSchedChange>;

export const POWER_ACTIONS = ['start', 'pause', 'unpause', 'shutdown', 'destroy'] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** For each action: the states it accepts, the state it leaves, the event it publishes. */
const TRANSITIONS: Record<PowerAction, { from: readonly PowerState[]; to: PowerState; event: 'domain.started' | 'domain.paused' | 'domain.unpaused' | 'domain.shutdown' | 'domain.destroyed' }> = {
  start: { from: ['halted'], to: 'running', event: 'domain.started' },
  pause: { from: ['running'], to: 'paused', event: 'domain.paused' },
  unpause: { from: ['paused'], to: 'running', event: 'domain.unpaused' },
  shutdown: { from: ['running', 'paused'], to: 'halted', event: 'domain.shutdown' },
  destroy: { from: ['running', 'paused'], to: 'halted', event: 'domain.destroyed' },
};

/** Which domains a page holds: filters, and keyset paging by domid (`after`: the last domid of the page before). */
export interface DomainQuery {
  readonly state?: PowerState | undefined;
  /** A prefix of the name. */
  readonly name?: string | undefined;
  /** The master (domid or name) whose scheduling domain's domains, master included, are wanted. */
  readonly scheduling_domain?: string | undefined;
  /** The cpupool (id or name) whose domains are wanted. */
  readonly cpupool?: string | undefined;
  readonly after?: number | undefined;
  readonly limit?: number | undefined;
  /** Whether to count every match (the page's `total`). */
  readonly total?: boolean | undefined;
}

export interface DomainManager {
  list(): DomainView[];
  /** Filtered, and paged when `limit` is given. */
  page(query: DomainQuery): Page<DomainView>;
  get(ref: string): DomainView;
  create(spec: CreateDomainSpec): DomainView;
  update(ref: string, spec: UpdateDomainSpec): DomainView;
  remove(ref: string): void;
  power(ref: string, action: PowerAction): DomainView;
  getSched(ref: string): { weight: number; cap: number };
  setSched(ref: string, spec: SchedSpec): SchedChange;
  listVcpus(ref: string): VcpuView[];
  setOnlineVcpus(ref: string, online: number): VcpuView[];
  setAffinity(ref: string, vcpu: number, pcpus: Affinity): VcpuView;
}

export function createDomainManager(ctx: ControlContext): DomainManager {
  const { state, host, clock } = ctx;

  const liveInfo = (domain: DomainRecord): DomainInfo | undefined => {
    if (!isLive(domain)) return undefined;
    const result = host.domctl({ op: 'getdomaininfo', domid: domain.domid });
    return result.ok ? result.value : undefined;
  };
  const view = (domain: DomainRecord): DomainView => domainView(state, domain, liveInfo(domain));
  /** Publish a `domain.*` event: the domain's id and name, and the details of its type. */
  const publish = <T extends DomainEventType>(type: T, domain: DomainRecord, ...details: Record<string, never> extends DomainEventDetails<T> ? [DomainEventDetails<T>?] : [DomainEventDetails<T>]): void =>
    ctx.events.publish(type, host.now_ns, {
      domain: domain.domid,
      name: domain.name,
      ...(type === 'domain.deleted' ? {} : { version: state.versionOf('domain', domain.domid) }),
      ...(details[0] as object | undefined),
    } as EventPayloads[T]);

  /** The highest cap `domain` may have: 100 per vCPU of it and, for a master, of its members; and how to say so. */
  const capLimit = (domain: DomainRecord, max_vcpus: number): { limit: number; counted: string } => {
    const members = state.group(domain.domid)?.members;
    if (members === undefined) return { limit: maxCapFor(max_vcpus), counted: `${CAP_PER_VCPU} per vCPU` };
    const memberVcpus = members.reduce((sum, m) => sum + state.get(m.domid).max_vcpus, 0);
    const vcpus = (n: number): string => `${n} vCPU${n === 1 ? '' : 's'}`;
    return {
      limit: maxCapFor(max_vcpus + memberVcpus),
      counted: `${CAP_PER_VCPU} per vCPU of its scheduling domain, which the cap covers: its own ${vcpus(max_vcpus)} and its members' ${vcpus(memberVcpus)}`,
    };
  };

  /** A member's own weight and cap are kept, but the group's (its master's) are in force: say so to whoever sets them. */
  const memberSchedWarnings = (domain: DomainRecord, spec: SchedSpec): string[] => {
    const master = state.masterOfMember(domain.domid);
    const set = (['weight', 'cap'] as const).filter((field) => spec[field] !== undefined);
    if (master === undefined || set.length === 0) return [];
    const masterName = state.get(master).name;
    return [
      `${set.join(' and ')} of ${domain.name} (${domain.domid}) stored but not in force: it is a member of ${masterName} (${master})'s scheduling domain, ` +
        `where ${masterName}'s weight and cap govern the group and a member's part is its share; they apply again when it leaves`,
    ];
  };

  const checkName = (name: string, self?: number): void => {
    if (!NAME_PATTERN.test(name)) {
      throw invalidArgument('name', 'must be 1..64 letters, digits, ".", "_" or "-", not all digits and not only dots');
    }
    const owner = state.nameOwner(name);
    if (owner !== undefined && owner !== self) throw apiError('NAME_TAKEN', `a domain named "${name}" exists (domid ${owner})`, { field: 'name' });
  };

  /**
   * The cap's limit binds a request that sets the cap or max_vcpus: a master
   * keeps a cap set for a larger group when members leave (applied as far as
   * the live group allows), and an update of anything else never fails for it.
   */
  const checkShape = (domain: DomainRecord, stored?: DomainRecord): void => {
    if (domain.vcpus > domain.max_vcpus) {
      throw invalidArgument('vcpus', `must not exceed max_vcpus (${domain.max_vcpus}), got ${domain.vcpus}`);
    }
    const { limit, counted } = capLimit(domain, domain.max_vcpus);
    const kept = stored !== undefined && domain.cap === stored.cap && domain.max_vcpus === stored.max_vcpus;
    if (domain.cap > limit && !kept) {
      throw invalidArgument('cap', capOutOfRange(limit, domain.cap, counted));
    }
  };

  const requireState = (domain: DomainRecord, expected: readonly PowerState[]): void => {
    if (!expected.includes(domain.state)) throw badPowerState(domain.name, expected, domain.state);
  };

  const protectDomain0 = (domain: DomainRecord, what: string): void => {
    if (domain.domid === DOMAIN0_ID) throw apiError('DOMAIN0_PROTECTED', `Domain-0 cannot be ${what}`);
  };

  /** Affinity entries follow max_vcpus: new vCPUs may run anywhere. */
  const resizeAffinity = (affinity: readonly Affinity[], max_vcpus: number): Affinity[] =>
    Array.from({ length: max_vcpus }, (_, i) => affinity[i] ?? 'all');

  return {
    list() {
      clock.sync();
      const live = new Map(liveList().map((info) => [info.domid, info]));
      return [...state.domains.values()].map((d) => domainView(state, d, live.get(d.domid)));
    },

    get(ref) {
      clock.sync();
      return view(state.resolve(ref));
    },

    page(query) {
      const groupOf = query.scheduling_domain === undefined ? undefined : state.resolve(query.scheduling_domain, 'scheduling_domain');
      if (groupOf !== undefined && state.group(groupOf.domid) === undefined) {
        throw apiError('NO_SUCH_SCHEDULING_DOMAIN', `domain ${groupOf.name} is not the master of a scheduling domain`, { field: 'scheduling_domain' });
      }
      const pool = query.cpupool === undefined ? undefined : resolvePool(ctx, query.cpupool, 'cpupool');
      const matches = (d: DomainRecord): boolean =>
        (query.state === undefined || d.state === query.state) &&
        (query.name === undefined || d.name.startsWith(query.name)) &&
        (groupOf === undefined || d.domid === groupOf.domid || state.masterOfMember(d.domid) === groupOf.domid) &&
        (pool === undefined || (d.cpupool ?? POOL0_ID) === pool);
      clock.sync();
      // The configuration holds domains in domid order (loaded sorted; new domids are always higher).
      const page = keysetPage(state.domains.values(), (d) => d.domid, matches, query.after, query.limit, query.total === true);
      return { ...page, items: page.items.map(view) };
    },

    create(spec) {
      checkName(spec.name);
      const pool = spec.cpupool === undefined ? POOL0_ID : resolvePool(ctx, spec.cpupool, 'cpupool');
      const vcpus = spec.vcpus ?? 1;
      const fields: DomainRecord = {
        domid: state.next_domid,
        uuid: randomUUID(),
        name: spec.name,
        vcpus,
        max_vcpus: spec.max_vcpus ?? vcpus,
        memory_mb: spec.memory_mb ?? DEFAULT_MEMORY_MB,
        weight: spec.weight ?? DEFAULT_WEIGHT,
        cap: spec.cap ?? DEFAULT_CAP,
        workload: shared(spec.workload ?? { type: 'cpu' }),
        affinity: shared(Array.from({ length: spec.max_vcpus ?? vcpus }, () => spec.affinity ?? 'all')),
        state: spec.start === true ? 'running' : 'halted',
      };
      // Named fields first and the pool added by a spread: every field in the object (a daemon holds one per domain).
      const domain: DomainRecord = pool === POOL0_ID ? fields : { ...fields, cpupool: pool };
      checkShape(domain);
      if (spec.affinity !== undefined) checkPcpus(spec.affinity, 'affinity');
      clock.sync();
      const steps = host.plan();
      if (spec.start === true) bringUp(ctx, steps, domain, false);
      commit(ctx, steps, { upsertDomains: [domain], next_domid: domain.domid + 1 });
      publish('domain.created', domain);
      if (spec.start === true) publish('domain.started', domain);
      return view(domain);
    },

    update(ref, spec) {
      const current = state.resolve(ref);
      if (spec.name !== undefined && spec.name !== current.name) {
        protectDomain0(current, 'renamed');
        checkName(spec.name, current.domid);
      }
      const max_vcpus = spec.max_vcpus ?? current.max_vcpus;
      if (current.domid === DOMAIN0_ID && max_vcpus !== current.max_vcpus) {
        throw apiError('DOMAIN0_PROTECTED', `Domain-0 has one vCPU per pCPU (${current.max_vcpus})`, { field: 'max_vcpus' });
      }
      const next: DomainRecord = {
        ...current,
        name: spec.name ?? current.name,
        vcpus: spec.vcpus ?? Math.min(current.vcpus, max_vcpus),
        max_vcpus,
        memory_mb: spec.memory_mb ?? current.memory_mb,
        weight: spec.weight ?? current.weight,
        cap: spec.cap ?? current.cap,
        workload: shared(spec.workload ?? current.workload),
        affinity: shared(resizeAffinity(current.affinity, max_vcpus)),
      };
      checkShape(next, current);
      clock.sync();
      const steps = host.plan();
      if (isLive(current)) applyLiveUpdate(steps, current, next);
      commit(ctx, steps, { upsertDomains: [next] });
      publish('domain.updated', next, { changed: Object.keys(spec) });
      return view(next);
    },

    remove(ref) {
      const domain = state.resolve(ref);
      protectDomain0(domain, 'deleted');
      requireState(domain, ['halted']);
      const master = state.masterOfMember(domain.domid);
      const group = master === undefined ? undefined : state.group(master);
      const saveGroups =
        group === undefined ? [] : [{ ...group, members: group.members.filter((m) => m.domid !== domain.domid) }];
      const deleteGroups = state.group(domain.domid) === undefined ? [] : [domain.domid];
      clock.sync();
      commit(ctx, host.plan(), { saveGroups, deleteGroups, deleteDomain: domain.domid });
      publish('domain.deleted', domain);
    },

    power(ref, action) {
      const domain = state.resolve(ref);
      const transition = TRANSITIONS[action];
      if (action === 'shutdown' || action === 'destroy') protectDomain0(domain, action === 'shutdown' ? 'shut down' : 'destroyed');
      if (action === 'pause' || action === 'unpause') protectDomain0(domain, `${action}d`);
      requireState(domain, transition.from);
      clock.sync();
      const steps = host.plan();
      let afterwards = (): void => undefined;
      if (action === 'start') bringUp(ctx, steps, domain, false);
      else if (action === 'pause') plan(steps, { op: 'pausedomain', domid: domain.domid });
      else if (action === 'unpause') plan(steps, { op: 'unpausedomain', domid: domain.domid });
      else afterwards = takeDown(ctx, steps, domain);
      const next: DomainRecord = { ...domain, state: transition.to };
      commit(ctx, steps, { upsertDomains: [next] });
      afterwards();
      publish(transition.event, next, { state: next.state });
      return view(next);
    },

    getSched(ref) {
      const domain = state.resolve(ref);
      return { weight: domain.weight, cap: domain.cap };
    },

    setSched(ref, spec) {
      const current = state.resolve(ref);
      const next: DomainRecord = { ...current, weight: spec.weight ?? current.weight, cap: spec.cap ?? current.cap };
      checkShape(next, current);
      clock.sync();
      const steps = host.plan();
      if (isLive(current)) putSched(steps, next.domid, next.weight, next.cap);
      commit(ctx, steps, { upsertDomains: [next] });
      publish('domain.sched', next, { weight: next.weight, cap: next.cap });
      const warnings = memberSchedWarnings(next, spec);
      return { weight: next.weight, cap: next.cap, ...(warnings.length === 0 ? {} : { warnings }) };
    },

    listVcpus(ref) {
      clock.sync();
      return vcpusOf(state.resolve(ref));
    },

    setOnlineVcpus(ref, online) {
      const current = state.resolve(ref);
      if (online > current.max_vcpus) {
        throw invalidArgument('online', `must be in 1..max_vcpus (${current.max_vcpus}), got ${online}`);
      }
      clock.sync();
      const steps = host.plan();
      if (isLive(current)) plan(steps, { op: 'setonlinevcpus', domid: current.domid, vcpus: online });
      const next: DomainRecord = { ...current, vcpus: online };
      commit(ctx, steps, { upsertDomains: [next] });
      publish('domain.vcpus', next, { online });
      return vcpusOf(next);
    },

    setAffinity(ref, vcpu, pcpus) {
      const current = state.resolve(ref);
      if (vcpu >= current.max_vcpus) {
        throw apiError('NO_SUCH_VCPU', `domain ${current.name} has no vCPU ${vcpu} (it has 0..${current.max_vcpus - 1})`, { field: 'n' });
      }
      checkPcpus(pcpus);
      clock.sync();
      const steps = host.plan();
      if (isLive(current)) plan(steps, { op: 'setvcpuaffinity', domid: current.domid, vcpu, pcpus });
      const affinity = shared(current.affinity.map((entry, i) => (i === vcpu ? pcpus : entry)));
      const next: DomainRecord = { ...current, affinity };
      commit(ctx, steps, { upsertDomains: [next] });
      publish('domain.affinity', next, { vcpu, pcpus });
      const views = vcpusOf(next);
      return views[vcpu] ?? views[0]!;
    },
  };

  function liveList(): DomainInfo[] {
    const result = host.domctl({ op: 'getdomaininfolist' });
    return result.ok ? result.value : [];
  }

  function vcpusOf(domain: DomainRecord): VcpuView[] {
    if (!isLive(domain)) return vcpuViews(domain, undefined);
    const result = host.domctl({ op: 'getvcpuinfo', domid: domain.domid });
    return vcpuViews(domain, result.ok ? result.value : undefined);
  }

  function checkPcpus(pcpus: Affinity, field?: string): void {
    const problem = checkAffinity({ pcpuCount: ctx.pcpus }, pcpus);
    if (problem !== null) throw fromDomctl(field === undefined ? problem : { ...problem, field });
  }

  /** The domctls that turn a live domain's `current` configuration into `next`. */
  function applyLiveUpdate(steps: DomctlPlan, current: DomainRecord, next: DomainRecord): void {
    const domid = current.domid;
    const setOnline = (): void => {
      if (next.vcpus !== current.vcpus) plan(steps, { op: 'setonlinevcpus', domid, vcpus: next.vcpus });
    };
    const setMax = (): void => {
      if (next.max_vcpus !== current.max_vcpus) plan(steps, { op: 'max_vcpus', domid, max_vcpus: next.max_vcpus });
    };
    // The hypervisor keeps online ≤ max at every step: shrink online first, grow max first.
    if (next.max_vcpus < current.max_vcpus) {
      setOnline();
      setMax();
    } else {
      setMax();
      setOnline();
    }
    if (JSON.stringify(next.workload) !== JSON.stringify(current.workload)) plan(steps, { op: 'setworkload', domid, workload: next.workload });
    if (next.weight !== current.weight || next.cap !== current.cap) putSched(steps, domid, next.weight, next.cap);
  }
}
