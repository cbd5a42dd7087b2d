/**
 * A what-if, run on copies: the live host's snapshot made to run again twice
 * (one to change, one as the baseline), its configuration database in memory,
 * and a control layer attached to the changed copy as it is. The changes are
 * requests of this very API, injected into an app that serves the same routes
 * with the same schemas and error handling as the daemon, so each passes or
 * fails exactly as it would for real. Then both copies run `ms` ahead.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { controlRoutes, serverOptions } from '../app.ts';
import { checkTraceSize, checkWhatIfSize, createControl, type Control, type WhatIfJob, type WhatIfOutcome, type WhatIfView } from '../control/index.ts';
import { isApiError } from '../vocabulary/errors.ts';
import { installErrorHandlers, toErrorBody } from '../http/error-handler.ts';
import { Host, NS_PER_MS } from '../hypervisor/index.ts';
import { createTickLoop } from '../runtime/tick-loop.ts';
import { NAMED_SCHEMAS } from '../schemas/index.ts';
import { MAX_TRACE_EVENTS } from '../schemas/trace.ts';
import { copyStore, type GroupRecord } from '../store/index.ts';

/** The copy's clock never moves by itself: only its changes' advances and the look-ahead move it. */
const FROZEN = { now_ms: () => 0 };

const PCT = 100;
const round = (pct: number): number => Math.round(pct * 1000) / 1000;

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
  const forward = <K extends keyof Control>(part: K): Control[K] =>
    new Proxy({} as object, {
      get: (_, key) => {
        const target = current![part] as unknown as Record<string | symbol, unknown>;
        const value = target[key];
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as Control[K];
  const control = { host: forward('host'), domains: forward('domains'), schedulingDomains: forward('schedulingDomains'), usage: forward('usage'), lab: forward('lab') } as unknown as Control;
  const app = Fastify(serverOptions('silent'));
  app.decorate('control', control);
  for (const schema of NAMED_SCHEMAS) app.addSchema(schema);
  installErrorHandlers(app);
  await app.register(controlRoutes, { prefix: '/api/v1' });
  await app.ready();
  let busy = Promise.resolve();
  return {
    run(job) {
      const result = busy.then(async () => {
        const copy = makeCopy(job);
        current = copy.control;
        try {
          return await runJob(app, job, copy);
        } finally {
          current = null;
          copy.close();
        }
      });
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
  const clock = createTickLoop({ host, speed: 0, clock: FROZEN });
  const control = createControl({ host, clock, store, pcpus: job.pcpus, version: job.version, seed: job.seed, attach: { endedGroupCpuNs: job.endedGroupCpuNs } });
  return { host, baseline, control, close: () => store.close() };
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
  const pctOf = (domid: number, known: boolean, pcts: ReadonlyMap<number, number>): number | null => (known ? round(pcts.get(domid) ?? 0) : null);
  const domains = [...names].sort(([a], [b]) => a - b).map(([id, name]) => ({
    id,
    name,
    predicted_pct: pctOf(id, changedNames.has(id), predicted),
    baseline_pct: pctOf(id, baselineNames.has(id), baseline),
    expected_pct: changedNames.has(id) ? (expectedOf.get(id) ?? 0) : null,
  }));
  const groupSum = (group: GroupRecord | undefined, pcts: ReadonlyMap<number, number>): number | null =>
    group === undefined ? null : round([group.master, ...group.members.map((m) => m.domid)].reduce((sum, d) => sum + (pcts.get(d) ?? 0), 0));
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
  return new Map([...after].map(([domid, cpu]) => [domid, ((cpu - (before.get(domid) ?? 0)) / window_ns) * PCT]));
}
