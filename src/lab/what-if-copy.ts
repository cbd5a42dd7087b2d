/**
 * A what-if, run on copies: the live host's snapshot made to run again twice
 * (one to change, one as the baseline), its configuration database in memory,
 * and the lab's control layer (headless-control.ts) attached to the changed
 * copy as it is. The changes are requests of this very API, injected into an
 * app that serves the same routes with the same schemas and error handling as
 * the daemon, so each passes or fails exactly as it would for real. Then both
 * copies run `ms` ahead.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { controlRoutes, serverOptions } from '../app.ts';
import { checkTraceSize, type Control, type WhatIfJob, type WhatIfOutcome, type WhatIfView } from '../control/index.ts';
import { ERROR_CATALOGUE, isApiError } from '../vocabulary/errors.ts';
import { PERCENT, roundPct } from '../vocabulary/units.ts';
import { installErrorHandlers, toErrorBody } from '../http/error-handler.ts';
import { Host, NS_PER_MS, type SchedName } from '../hypervisor/index.ts';
import type { Static } from '@sinclair/typebox';
import { NAMED_SCHEMAS } from '../schemas/index.ts';
import type { WhatIfPolicyResult } from '../schemas/lab.ts';
import { MAX_TRACE_EVENTS } from '../schemas/trace.ts';
import { copyStore, type GroupRecord } from '../store/index.ts';
import { createHeadlessControl } from './headless-control.ts';
import { checkWhatIfSize } from './lab-control.ts';


type WhatIfPolicyResultView = Static<typeof WhatIfPolicyResult>;
type WhatIfFailure = Extract<WhatIfOutcome, { ok: false }>['error'];

/** The parts of a control layer the copy's routes (controlRoutes) call. */
type ServedControl = Pick<Control, 'host' | 'domains' | 'schedulingDomains' | 'cpupools' | 'usage'>;

/** Every method of `T`, named once: the compiler checks that none is missing. */
type MethodTable<T> = { readonly [K in keyof T]: true };

const SERVED_METHODS: { readonly [P in keyof ServedControl]: MethodTable<ServedControl[P]> } = {
  host: { info: true, listPcpus: true, setSpeed: true, advance: true, getScheduler: true, setScheduler: true },
  domains: {
    list: true, page: true, get: true, create: true, update: true, remove: true, power: true,
    getSched: true, setSched: true, listVcpus: true, setOnlineVcpus: true, setAffinity: true,
  },
  schedulingDomains: { list: true, page: true, get: true, create: true, update: true, remove: true, addMember: true, removeMember: true, setMemberShare: true },
  cpupools: { list: true, page: true, get: true, create: true, destroy: true, addPcpu: true, removePcpu: true, getScheduler: true, setScheduler: true, moveDomain: true },
  usage: { host: true, domain: true, schedulingDomain: true, subscribe: true, schedStats: true, tickLateness: true, series: true },
};

const unserved = (part: string): never => {
  throw new Error(`a what-if copy serves the control routes only; ${part} is not among what they use`);
};

/** An object whose methods call the same methods of whatever `target()` is at the time of the call. */
function forwarding<T extends object>(target: () => T, methods: MethodTable<T>): T {
  const forwarder: Partial<Record<keyof T, unknown>> = {};
  for (const name of Object.keys(methods) as (keyof T)[]) {
    forwarder[name] = (...args: unknown[]) => {
      const current = target();
      return (current[name] as (...a: unknown[]) => unknown).apply(current, args);
    };
  }
  return forwarder as T;
}

/**
 * An app over whichever control the current job has: made once (schema
 * compilation is most of an app's start), pointed at each job's copy.
 */
export interface CopyApp {
  run(job: WhatIfJob): Promise<WhatIfOutcome>;
  close(): Promise<void>;
}

export async function createCopyApp(): Promise<CopyApp> {
  let current: Control | null = null;
  const copyControl = (): Control => {
    if (current === null) throw new Error('a what-if copy\'s route ran outside a job');
    return current;
  };
  // Routes take their part of the control layer once, when registered: each part forwards to the current job's copy.
  const control: Control = {
    host: forwarding(() => copyControl().host, SERVED_METHODS.host),
    domains: forwarding(() => copyControl().domains, SERVED_METHODS.domains),
    schedulingDomains: forwarding(() => copyControl().schedulingDomains, SERVED_METHODS.schedulingDomains),
    cpupools: forwarding(() => copyControl().cpupools, SERVED_METHODS.cpupools),
    usage: forwarding(() => copyControl().usage, SERVED_METHODS.usage),
    get events() { return unserved('events'); },
    get lab() { return unserved('lab'); },
    get traces() { return unserved('traces'); },
    get state() { return unserved('state'); },
    get versions() { return unserved('versions'); },
    get idempotency() { return unserved('idempotency'); },
    get restore() { return unserved('restore'); },
    health: () => unserved('health'),
    get store() { return unserved('store'); },
  };
  const app = Fastify(serverOptions('silent'));
  app.decorate('control', control);
  for (const schema of NAMED_SCHEMAS) app.addSchema(schema);
  installErrorHandlers(app);
  await app.register(controlRoutes, { prefix: '/api/v1' });
  await app.ready();
  let busy = Promise.resolve();
  return {
    run(job) {
      const runOn = async (copy: Copy, onJob: WhatIfJob): Promise<WhatIfOutcome> => {
        current = copy.control;
        try {
          return await runJob(app, onJob, copy);
        } finally {
          current = null;
          copy.close();
        }
      };
      const result = busy.then(() => (job.policies === undefined ? runOn(makeCopy(job), job) : runPolicies(job, job.policies, runOn)));
      busy = result.then(() => undefined, () => undefined);
      return result;
    },
    close: () => app.close(),
  };
}

interface Copy {
  readonly host: Host;
  readonly baseline: Host;
  readonly control: Control;
  close(): void;
}

function makeCopy(job: WhatIfJob): Copy {
  const host = Host.fromSnapshot(job.snapshot);
  const baseline = Host.fromSnapshot(job.snapshot);
  const store = copyStore(job.database);
  const control = createHeadlessControl(host, store, { pcpus: job.pcpus, seed: job.seed, version: job.version, attach: { endedGroupCpuNs: job.endedGroupCpuNs } });
  return { host, baseline, control, close: () => store.close() };
}

/**
 * The what-if once per policy. A policy every pool already runs gets the exact copy;
 * under another, every pool switches to it: the configuration restarted under it.
 */
async function runPolicies(job: WhatIfJob, policies: readonly SchedName[], runOn: (copy: Copy, job: WhatIfJob) => Promise<WhatIfOutcome>): Promise<WhatIfOutcome> {
  // One exact copy tells the instant and each pool's policy; the first policy they all run uses it.
  let exact: Copy | null = makeCopy(job);
  const from_ns = exact.host.now_ns;
  const pools = exact.control.cpupools.list();
  const results: WhatIfPolicyResultView[] = [];
  try {
    for (const policy of policies) {
      const switched = pools.filter((pool) => pool.sched !== policy).map((pool) => pool.name);
      let copy: Copy;
      if (switched.length === 0) {
        copy = exact ?? makeCopy(job);
        exact = null;
      } else {
        const restarted = restartedCopy(job, policy);
        if ('failure' in restarted) return { ok: false, change_index: null, policy, error: restarted.failure };
        copy = restarted;
      }
      const outcome = await runOn(copy, job);
      if (!outcome.ok) return { ...outcome, policy };
      const { trace_hash, baseline_trace_hash, domains, scheduling_domains } = outcome.report as WhatIfView;
      results.push({ policy, copy: switched.length > 0 ? 'restarted' : 'exact', switched_pools: switched, trace_hash, baseline_trace_hash, domains, scheduling_domains });
    }
  } finally {
    exact?.close();
  }
  return { ok: true, report: { from_ns, window_ns: job.ms * NS_PER_MS, policies: results } };
}

/**
 * The live configuration (its store) on a new host booted with `policy`, every pool
 * switched to it (a switched pool's parameters are that policy's defaults), from time 0;
 * its baseline a copy of it as restored. A domain it cannot bring back is a refusal.
 */
function restartedCopy(job: WhatIfJob, policy: SchedName): Copy | { failure: WhatIfFailure } {
  const origin = job.snapshot.origin;
  const host = Host.fromOrigin({ ...origin, scheduler: policy });
  const store = copyStore(job.database);
  try {
    for (const pool of store.pools.list()) if (pool.sched !== policy) store.pools.save({ ...pool, sched: policy, params: null });
    const control = createHeadlessControl(host, store, {
      pcpus: job.pcpus,
      seed: job.seed,
      version: job.version,
      ...(origin.credit2_runqueue === undefined ? {} : { credit2_runqueue: origin.credit2_runqueue }),
    });
    const failed = control.restore.failed.map(({ domid, reason }) => `${control.state.domains.get(domid)?.name ?? domid}: ${reason}`);
    if (failed.length > 0) {
      store.close();
      const message = `the host's configuration cannot run under ${policy}: ${failed.join('; ')}`;
      return { failure: { statusCode: ERROR_CATALOGUE.NOT_SUPPORTED.status, code: 'NOT_SUPPORTED', message } };
    }
    return { host, baseline: Host.fromSnapshot(host.snapshot()), control, close: () => store.close() };
  } catch (error) {
    store.close();
    throw error;
  }
}

async function runJob(app: FastifyInstance, job: WhatIfJob, copy: Copy): Promise<WhatIfOutcome> {
  const from_ns = copy.host.now_ns;
  // The baseline's configuration is the live one: read before the changes.
  const baselineNames = new Map([...copy.control.state.domains.values()].map((d) => [d.domid, d.name]));
  const baselineGroups = copy.control.state.allGroups();
  for (const [index, change] of job.changes.entries()) {
    const response = await app.inject({
      method: change.method,
      url: `/api/v1${change.path}`,
      ...(change.body === undefined ? {} : { payload: change.body as object }),
    });
    if (response.statusCode >= 400) return { ok: false, change_index: index, error: response.json() };
  }
  try {
    checkWhatIfSize(liveVcpus(copy.host), job.ms);
    if (job.trace) checkTraceSize(copy.host, job.ms);
  } catch (error) {
    if (!isApiError(error)) throw error;
    return { ok: false, change_index: null, error: toErrorBody(error) };
  }
  const start_ns = copy.host.now_ns;
  copy.baseline.advanceTo(start_ns);
  const window_ns = job.ms * NS_PER_MS;
  const changedBefore = cpuTimes(copy.host);
  const baselineBefore = cpuTimes(copy.baseline);
  const recorder = job.trace ? copy.host.startTrace(window_ns, MAX_TRACE_EVENTS) : null;
  copy.host.advanceTo(start_ns + window_ns);
  copy.baseline.advanceTo(start_ns + window_ns);
  const predicted = shares(changedBefore, cpuTimes(copy.host), window_ns);
  const baseline = shares(baselineBefore, cpuTimes(copy.baseline), window_ns);
  const expected = copy.control.usage.host(job.ms);
  const expectedOf = new Map(expected.domains.map((d) => [d.id, d.expected_pct]));
  const names = new Map([...baselineNames, ...[...copy.control.state.domains.values()].map((d) => [d.domid, d.name] as const)]);
  const changedNames = new Set(copy.control.state.domains.keys());
  const pctOf = (domid: number, known: boolean, pcts: ReadonlyMap<number, number>): number | null => (known ? roundPct(pcts.get(domid) ?? 0) : null);
  const domains = [...names].sort(([a], [b]) => a - b).map(([id, name]) => ({
    id,
    name,
    predicted_pct: pctOf(id, changedNames.has(id), predicted),
    baseline_pct: pctOf(id, baselineNames.has(id), baseline),
    expected_pct: changedNames.has(id) ? (expectedOf.get(id) ?? 0) : null,
  }));
  const groupSum = (group: GroupRecord | undefined, pcts: ReadonlyMap<number, number>): number | null =>
    group === undefined ? null : roundPct([group.master, ...group.members.map((m) => m.domid)].reduce((sum, d) => sum + (pcts.get(d) ?? 0), 0));
  const changedGroups = new Map(copy.control.state.allGroups().map((g) => [g.master, g]));
  const baseGroups = new Map(baselineGroups.map((g) => [g.master, g]));
  const expectedGroups = new Map(expected.scheduling_domains.map((g) => [g.master, g.expected_pct]));
  const masters = [...new Set([...baseGroups.keys(), ...changedGroups.keys()])].sort((a, b) => a - b);
  const report: WhatIfView = {
    from_ns,
    window_ns,
    trace_hash: copy.host.trace_hash,
    baseline_trace_hash: copy.baseline.trace_hash,
    domains,
    scheduling_domains: masters.map((master) => ({
      master,
      predicted_pct: groupSum(changedGroups.get(master), predicted),
      baseline_pct: groupSum(baseGroups.get(master), baseline),
      expected_pct: expectedGroups.get(master) ?? null,
    })),
  };
  if (recorder === null) return { ok: true, report };
  const trace = { trace: recorder.finish(), names: new Map(domains.map((d) => [d.id, d.name])) };
  return { ok: true, report, trace };
}

/** vCPUs of the domains the copy runs (Domain-0's included, as the live check counts it). */
function liveVcpus(host: Host): number {
  let vcpus = 0;
  for (const domain of host.inspect().domains) vcpus += domain.vcpus.length;
  return vcpus;
}

function cpuTimes(host: Host): Map<number, number> {
  const result = host.domctl({ op: 'getdomaininfolist' });
  if (!result.ok) throw new Error(result.error.message);
  return new Map(result.value.map((d) => [d.domid, d.cpu_time_ns]));
}

/** Percent of one pCPU each domain used between two readings (a domain that was not running at the first counts from 0). */
function shares(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>, window_ns: number): Map<number, number> {
  return new Map([...after].map(([domid, cpu]) => [domid, ((cpu - (before.get(domid) ?? 0)) / window_ns) * PERCENT]));
}
