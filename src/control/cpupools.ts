/**
 * Cpupools (xl cpupool-*): named sets of pCPUs, each with a scheduler of its
 * own. Xen's rules are the hypervisor's (checked through a plan); the
 * configuration adds the halted domains, which the hypervisor does not know:
 * they too keep their pool from being destroyed, and a scheduling domain,
 * halted or not, stays in one pool.
 */
import type { Static } from '@sinclair/typebox';
import { POLICY_PROFILES, policyProfileOf, POOL0_ID, type CpupoolInfo, type SchedName, type SchedParams } from '../hypervisor/index.ts';
import type { Cpupool, CreateCpupoolRequest } from '../schemas/cpupool.ts';
import type { Scheduler, SetSchedulerRequest } from '../schemas/host.ts';
import type { DomainRecord, PoolRecord } from '../store/index.ts';
import { apiError, invalidArgument } from '../vocabulary/errors.ts';
import { DOMAIN0_ID } from '../vocabulary/domains.ts';
import type { ControlContext } from './context.ts';
import { poolInfo, resolvePool } from './cpupool-facts.ts';
import { fromDomctl } from './domctl-errors.ts';
import { commit, plan } from './plan.ts';
import { SCHEDULER_KEY } from './versions.ts';
import { isLive } from './lifecycle.ts';
import { keysetPage, type Page } from './pages.ts';

export type CpupoolView = Static<typeof Cpupool>;
export type CreateCpupoolSpec = Static<typeof CreateCpupoolRequest>;
export type PoolSchedulerView = Static<typeof Scheduler>;
export type PoolSchedulerSpec = Static<typeof SetSchedulerRequest>;

export interface CpupoolManager {
  list(): CpupoolView[];
  /** Filtered by scheduler, and paged by id when `limit` is given. */
  page(query: { readonly sched?: SchedName | undefined; readonly after?: number | undefined; readonly limit?: number | undefined; readonly total?: boolean | undefined }): Page<CpupoolView>;
  get(ref: string): CpupoolView;
  create(spec: CreateCpupoolSpec): CpupoolView;
  destroy(ref: string): void;
  addPcpu(ref: string, pcpu: number): CpupoolView;
  removePcpu(ref: string, pcpu: number): CpupoolView;
  getScheduler(ref: string): PoolSchedulerView;
  setScheduler(ref: string, spec: PoolSchedulerSpec): PoolSchedulerView;
  /** xl cpupool-migrate: the domain's record after the move. */
  moveDomain(domainRef: string, poolRef: string): DomainRecord;
}

/** Each policy's own parameters: the others are refused naming them. */
const POLICY_FIELDS: Record<SchedName, readonly string[]> = {
  credit: ['tslice_ms', 'ratelimit_us', 'accounting'],
  credit2: ['ratelimit_us', 'inflight_credit', 'runqueue'],
};

/** A pool's scheduler as the API shows it: its policy's own parameters and the profile they are. */
export function schedulerView(sched: SchedName, params: SchedParams, tick_ms: number): PoolSchedulerView {
  const profile = policyProfileOf(sched, params) as PoolSchedulerView['profile'];
  if ('tslice_ms' in params) return { name: sched, profile, tick_ms, tslice_ms: params.tslice_ms, ratelimit_us: params.ratelimit_us, accounting: params.accounting };
  const { ratelimit_us, inflight_credit, runqueue } = params;
  return { name: sched, profile, ratelimit_us, inflight_credit, ...(runqueue === undefined ? {} : { runqueue }) };
}

/** The parameters `spec` asks of a pool running `sched` with `current`: a profile of another policy, or another policy's field, is a 400. */
export function nextParams(sched: SchedName, current: SchedParams, { profile, ...params }: PoolSchedulerSpec, poolName: string): SchedParams {
  const profiles: Readonly<Record<string, SchedParams>> = POLICY_PROFILES[sched];
  if (profile !== undefined && profiles[profile] === undefined) {
    throw invalidArgument('profile', `cpupool ${poolName} runs ${sched}, whose profiles are ${Object.keys(profiles).join(', ')}; got ${profile}`);
  }
  const foreign = Object.keys(params).find((field) => !POLICY_FIELDS[sched].includes(field));
  if (foreign !== undefined) throw invalidArgument(foreign, `cpupool ${poolName} runs ${sched}, whose parameters are ${POLICY_FIELDS[sched].join(', ')}`);
  return { ...current, ...(profile === undefined ? {} : profiles[profile]), ...params } as SchedParams;
}

const tickMs = (ctx: ControlContext): number => {
  const phys = ctx.host.domctl({ op: 'physinfo' });
  if (!phys.ok) throw fromDomctl(phys.error);
  return phys.value.tick_ms;
};

export function getPoolScheduler(ctx: ControlContext, id: number): PoolSchedulerView {
  const info = poolInfo(ctx, id);
  return schedulerView(info.sched, info.params, tickMs(ctx));
}

/**
 * Set a pool's parameters: a profile of its policy sets them all, any given beside it override it.
 * Pool-0 under credit keeps them in the host row and announces `scheduler.updated`, as it always did.
 */
export function setPoolScheduler(ctx: ControlContext, id: number, spec: PoolSchedulerSpec): PoolSchedulerView {
  const { host, clock, state } = ctx;
  const info = poolInfo(ctx, id);
  const params = nextParams(info.sched, info.params, spec, info.name);
  clock.sync();
  const steps = host.plan();
  // Pool-0's through the host-wide domctl, as always (the replay log keeps its entries).
  plan(steps, id === POOL0_ID ? { op: 'sched_global', cmd: 'putinfo', params } : { op: 'cpupool_sched', pool: id, cmd: 'putinfo', params });
  if (id === POOL0_ID && 'tslice_ms' in params) {
    commit(ctx, steps, { sched: params });
    ctx.events.publish('scheduler.updated', host.now_ns, { ...params, version: state.versionOf('scheduler', SCHEDULER_KEY) });
  } else {
    const stored = state.pools.get(id);
    commit(ctx, steps, { savePools: [{ id, name: info.name, sched: info.sched, pcpus: stored?.pcpus ?? [...info.pcpus], params }] });
    ctx.events.publish('cpupool.scheduler', host.now_ns, { cpupool: id, name: info.name, sched: info.sched, ...params, version: state.versionOf('cpupool', id) });
  }
  return schedulerView(info.sched, params, tickMs(ctx));
}

export function createCpupoolManager(ctx: ControlContext): CpupoolManager {
  const { state, host, clock } = ctx;

  const domainsIn = (id: number): DomainRecord[] => [...state.domains.values()].filter((d) => (d.cpupool ?? POOL0_ID) === id).sort((a, b) => a.domid - b.domid);

  const view = (info: CpupoolInfo): CpupoolView => ({
    id: info.id,
    name: info.name,
    sched: info.sched,
    pcpus: [...info.pcpus],
    domains: domainsIn(info.id).map((d) => ({ id: d.domid, name: d.name })),
    runqueues: info.runqueues === null ? null : info.runqueues.map((queue) => [...queue]),
    profile: policyProfileOf(info.sched, info.params),
  });

  /** The record a pool is stored as once `info` is what it will be (Pool-0 under credit keeps its parameters in the host row). */
  const record = (info: CpupoolInfo, params: SchedParams | null = state.pools.get(info.id)?.params ?? null): PoolRecord => ({
    id: info.id,
    name: info.name,
    sched: info.sched,
    pcpus: [...info.pcpus],
    params: info.id === POOL0_ID && info.sched === 'credit' ? null : params,
  });

  const publishPool = (type: 'cpupool.created' | 'cpupool.destroyed' | 'cpupool.pcpu-added' | 'cpupool.pcpu-removed', info: CpupoolInfo, pcpu?: number): void =>
    ctx.events.publish(type, host.now_ns, {
      cpupool: info.id,
      name: info.name,
      pcpus: [...info.pcpus],
      ...(pcpu === undefined ? {} : { pcpu }),
      ...(type === 'cpupool.destroyed' ? {} : { version: state.versionOf('cpupool', info.id) }),
    });

  /** The smallest unused id above Pool-0's (Xen's cpupool_create() without an id). */
  const freeId = (): number => {
    const used = new Set(listInfo().map((p) => p.id));
    let id = POOL0_ID + 1;
    while (used.has(id)) id++;
    return id;
  };

  const listInfo = (): CpupoolInfo[] => {
    const pools = host.domctl({ op: 'cpupool_list' });
    if (!pools.ok) throw fromDomctl(pools.error);
    return pools.value;
  };

  /** Change a pool's pCPUs: one domctl, checked, stored, applied. */
  const changePcpu = (ref: string, pcpu: number, op: 'cpupool_add_pcpu' | 'cpupool_remove_pcpu'): CpupoolView => {
    const id = resolvePool(ctx, ref);
    const before = poolInfo(ctx, id);
    if (op === 'cpupool_remove_pcpu' && before.pcpus.length === 1 && before.pcpus[0] === pcpu && id !== POOL0_ID) {
      const halted = domainsIn(id);
      if (halted.length > 0) {
        throw apiError('CPUPOOL_LAST_PCPU', `pCPU ${pcpu} is the last of cpupool ${before.name}, where ${halted.map((d) => d.name).join(', ')} live`, { field: 'pcpu' });
      }
    }
    clock.sync();
    const steps = host.plan();
    plan(steps, { op, pool: id, pcpu });
    const pcpus = op === 'cpupool_add_pcpu' ? [...before.pcpus, pcpu].sort((a, b) => a - b) : before.pcpus.filter((p) => p !== pcpu);
    const after = { ...before, pcpus };
    commit(ctx, steps, { savePools: [record(after)] });
    const info = poolInfo(ctx, id);
    publishPool(op === 'cpupool_add_pcpu' ? 'cpupool.pcpu-added' : 'cpupool.pcpu-removed', info, pcpu);
    return view(info);
  };

  return {
    list() {
      clock.sync();
      return listInfo().map(view);
    },

    page({ sched, after, limit, total }) {
      clock.sync();
      return keysetPage(listInfo().map(view), (p) => p.id, (p) => sched === undefined || p.sched === sched, after, limit, total === true);
    },

    get(ref) {
      clock.sync();
      return view(poolInfo(ctx, resolvePool(ctx, ref)));
    },

    create(spec) {
      const sched = spec.sched ?? poolInfo(ctx, POOL0_ID).sched;
      if (spec.credit2_runqueue !== undefined && sched !== 'credit2') {
        throw invalidArgument('credit2_runqueue', `applies to credit2 pools only; cpupool ${spec.name} would run ${sched}`);
      }
      const runqueue = spec.credit2_runqueue ?? ctx.credit2_runqueue;
      const id = freeId();
      clock.sync();
      const steps = host.plan();
      plan(steps, { op: 'cpupool_create', id, name: spec.name, sched, credit2_runqueue: runqueue });
      for (const pcpu of spec.pcpus ?? []) plan(steps, { op: 'cpupool_add_pcpu', pool: id, pcpu });
      // A credit2 pool's parameters are stored from the start: its arrangement is restored with it.
      const params = sched === 'credit2' ? { ...POLICY_PROFILES.credit2['xen-4.21'], runqueue } : null;
      const made: PoolRecord = { id, name: spec.name, sched, pcpus: [...(spec.pcpus ?? [])].sort((a, b) => a - b), params };
      commit(ctx, steps, { savePools: [made] });
      const info = poolInfo(ctx, id);
      publishPool('cpupool.created', info);
      return view(info);
    },

    destroy(ref) {
      const id = resolvePool(ctx, ref);
      const info = poolInfo(ctx, id);
      if (id === POOL0_ID) throw apiError('POOL0_PROTECTED', 'Pool-0 cannot be destroyed');
      const living = domainsIn(id);
      if (living.length > 0) {
        throw apiError('CPUPOOL_HAS_DOMAINS', `cpupool ${info.name} still has domains (${living.map((d) => d.name).join(', ')}); move or delete them first`);
      }
      clock.sync();
      const steps = host.plan();
      plan(steps, { op: 'cpupool_destroy', pool: id });
      commit(ctx, steps, { deletePool: id, savePools: [record(poolInfo(ctx, POOL0_ID))] });
      publishPool('cpupool.destroyed', info);
    },

    // A pCPU is in one pool at most: taking it from another is its own step, as in xl.
    addPcpu: (ref, pcpu) => changePcpu(ref, pcpu, 'cpupool_add_pcpu'),
    removePcpu: (ref, pcpu) => changePcpu(ref, pcpu, 'cpupool_remove_pcpu'),

    getScheduler: (ref) => getPoolScheduler(ctx, resolvePool(ctx, ref)),
    setScheduler: (ref, spec) => setPoolScheduler(ctx, resolvePool(ctx, ref), spec),

    moveDomain(domainRef, poolRef) {
      const domain = state.resolve(domainRef, 'domain');
      const id = resolvePool(ctx, poolRef, 'cpupool');
      if (domain.domid === DOMAIN0_ID) throw apiError('DOMAIN0_PROTECTED', 'Domain-0 stays in Pool-0 (Xen refuses to move the domain that asks)');
      const master = state.masterOfMember(domain.domid) ?? (state.group(domain.domid) === undefined ? undefined : domain.domid);
      if (master !== undefined) {
        const masterName = state.get(master).name;
        throw apiError(
          'GROUPED_DOMAIN',
          master === domain.domid
            ? `domain ${domain.name} is the master of a scheduling domain, which stays in one cpupool; dissolve it first`
            : `domain ${domain.name} is a member of ${masterName}'s scheduling domain, which stays in one cpupool; remove it from the group first`,
          { field: 'domain' },
        );
      }
      const info = poolInfo(ctx, id);
      if ((domain.cpupool ?? POOL0_ID) === id) return domain;
      if (info.pcpus.length === 0) throw apiError('CPUPOOL_EMPTY', `cpupool ${info.name} has no pCPU to run a domain on`, { field: 'cpupool' });
      const next: DomainRecord = { ...domain, cpupool: id };
      if (id === POOL0_ID) delete (next as { cpupool?: number }).cpupool;
      clock.sync();
      const steps = host.plan();
      if (isLive(domain)) plan(steps, { op: 'cpupool_move_domain', domid: domain.domid, pool: id });
      commit(ctx, steps, { upsertDomains: [next] });
      ctx.events.publish('domain.cpupool', host.now_ns, { domain: domain.domid, name: domain.name, version: state.versionOf('domain', domain.domid), cpupool: info.name });
      return next;
    },
  };
}
