/**
 * The headless scenario runner: a scenario (src/schemas/scenario.ts) played
 * on a host of its own in virtual time, no daemon, with each domain's and
 * each scheduling domain's share of the CPU per phase of the timeline (a
 * phase runs from one change time to the next). Every change is the API's
 * request it stands for, made through the lab's own control layer
 * (headless-control.ts), so a scenario follows exactly the daemon's rules.
 */
import { isApiError } from '../vocabulary/errors.ts';
import type { Control } from '../control/index.ts';
import { DEFAULT_SEED, Host, NS_PER_MS, NS_PER_S, type DomctlOp, type DomctlResult, type SchedTrace, type TraceRecorder } from '../hypervisor/index.ts';
import { DEFAULT_SCENARIO_SECONDS, type ScenarioChangeSpec, type ScenarioSpec } from '../schemas/scenario.ts';
import { createStore } from '../store/index.ts';
import { createHeadlessControl } from './headless-control.ts';

export class ScenarioError extends Error {}

export interface ShareRow {
  readonly name: string;
  /** Percent of one pCPU over the phase (100 = one pCPU), as the usage report counts; null while the domain is not running. */
  readonly pct: number | null;
}

export interface GroupRow {
  readonly master: string;
  readonly members: readonly string[];
  /** Master and members together. */
  readonly pct: number;
}

export interface Phase {
  readonly from_ms: number;
  readonly to_ms: number;
  /** The changes made at its start, as written in the timeline (`op domain`). */
  readonly changes: readonly string[];
  readonly domains: readonly ShareRow[];
  readonly groups: readonly GroupRow[];
}

export interface ScenarioResult {
  readonly seconds: number;
  readonly pcpus: number;
  readonly phases: readonly Phase[];
  readonly trace_hash: string;
  /** Timeline entries at or after the end of the run, never applied. */
  readonly ignored: readonly string[];
  readonly trace: SchedTrace | null;
  /** Domain names by domid (for trace exports). */
  readonly names: ReadonlyMap<number, string>;
}

export interface RunOptions {
  /** Overrides the scenario's own `seconds`. */
  readonly seconds?: number | undefined;
  /** Record a scheduler trace of the whole run, at most this many events. */
  readonly traceMaxEvents?: number | undefined;
}

/** The scenario's domains by name, its host, and the control layer that changes it. */
class Lab {
  readonly host: Host;
  readonly control: Control;
  readonly domids = new Map<string, number>();
  readonly names = new Map<number, string>();
  readonly done: () => void;

  constructor(spec: ScenarioSpec, host: Host, control: Control, done: () => void) {
    this.host = host;
    this.control = control;
    this.done = done;
    const seen = new Set<string>();
    spec.domains.forEach((domain, i) => {
      if (seen.has(domain.name)) throw new ScenarioError(`domains[${i}]: the name ${domain.name} is used twice`);
      seen.add(domain.name);
    });
  }

  static open(spec: ScenarioSpec): Lab {
    const seed = spec.host.seed ?? DEFAULT_SEED;
    const { pcpus, sched, topology, credit2_runqueue } = spec.host;
    const shape = { ...(sched === undefined ? {} : { sched }), ...(credit2_runqueue === undefined ? {} : { credit2_runqueue }) };
    let host: Host;
    try {
      host = new Host({ pcpus, seed, ...shape, ...(topology === undefined ? {} : { topology }) });
    } catch (error) {
      throw new ScenarioError(`host: ${error instanceof Error ? error.message : String(error)}`);
    }
    const store = createStore(':memory:');
    try {
      const control = createHeadlessControl(host, store, { pcpus, seed, version: 'scenario', ...(credit2_runqueue === undefined ? {} : { credit2_runqueue }) });
      return new Lab(spec, host, control, () => store.close());
    } catch (error) {
      store.close();
      throw error;
    }
  }

  /** Create the scenario's domain as POST /domains does (started unless it says not to). */
  create(domain: ScenarioSpec['domains'][number], where: string): void {
    const { id } = this.do(where, (control) => control.domains.create({ ...domain, start: domain.start ?? true }));
    this.domids.set(domain.name, id);
    this.names.set(id, domain.name);
  }

  /** The domain's reference for the control layer (its domid: a scenario's names are its own). */
  ref(name: string, where: string): string {
    const domid = this.domids.get(name);
    if (domid === undefined) throw new ScenarioError(`${where}: no domain is named ${name}`);
    return String(domid);
  }

  /** Make a request of the control layer: a refusal names where in the scenario it came from. */
  do<T>(where: string, request: (control: Control) => T): T {
    try {
      return request(this.control);
    } catch (error) {
      if (isApiError(error)) throw new ScenarioError(`${where}: ${error.message}`);
      throw error;
    }
  }
}

export function runScenario(spec: ScenarioSpec, options: RunOptions = {}): ScenarioResult {
  const lab = Lab.open(spec);
  try {
    return run(lab, spec, options);
  } finally {
    lab.done();
  }
}

function run(lab: Lab, spec: ScenarioSpec, options: RunOptions): ScenarioResult {
  const seconds = options.seconds ?? spec.seconds ?? DEFAULT_SCENARIO_SECONDS;
  const end_ns = Math.round(seconds * NS_PER_S);
  if (spec.scheduler !== undefined) {
    const set = spec.scheduler;
    lab.do('scheduler', (control) => control.host.setScheduler(set));
  }
  (spec.cpupools ?? []).forEach((pool, i) => {
    const where = `cpupools[${i}] (${pool.name})`;
    // A pool's pCPUs come from Pool-0, as `xl cpupool-cpu-remove` then `cpupool-create` would take them.
    for (const pcpu of pool.pcpus ?? []) lab.do(where, (control) => control.cpupools.removePcpu('0', pcpu));
    lab.do(where, (control) => control.cpupools.create(pool));
  });
  spec.domains.forEach((domain, i) => lab.create(domain, `domains[${i}] (${domain.name})`));
  (spec.groups ?? []).forEach((group, i) => {
    const where = `groups[${i}] (${group.master})`;
    const members = (group.members ?? []).map((m) => ({ ...m, domain: lab.ref(m.domain, where) }));
    const master = lab.ref(group.master, where);
    lab.do(where, (control) => control.schedulingDomains.create({ ...group, master, members }));
  });

  const timeline = (spec.timeline ?? []).map((change, index) => ({ change, index, at_ns: Math.round(change.at_ms * NS_PER_MS) }));
  timeline.sort((a, b) => a.at_ns - b.at_ns || a.index - b.index);
  const ignored = timeline.filter((t) => t.at_ns >= end_ns).map((t) => `timeline[${t.index}] at ${t.change.at_ms} ms`);
  const starts = [...new Set([0, ...timeline.map((t) => t.at_ns).filter((at) => at < end_ns)])];

  let trace: TraceRecorder | null = null;
  const phases: Phase[] = [];
  for (const [p, from_ns] of starts.entries()) {
    lab.host.advanceTo(from_ns);
    const applied = timeline.filter((t) => t.at_ns === from_ns && t.at_ns < end_ns);
    for (const { change, index } of applied) applyChange(lab, change, `timeline[${index}] (at ${change.at_ms} ms, ${change.op})`);
    if (p === 0 && options.traceMaxEvents !== undefined) trace = lab.host.startTrace(end_ns, options.traceMaxEvents);
    const to_ns = starts[p + 1] ?? end_ns;
    phases.push(measurePhase(lab, from_ns, to_ns, applied.map(({ change }) => describeChange(change))));
  }
  return {
    seconds,
    pcpus: spec.host.pcpus,
    phases,
    trace_hash: lab.host.trace_hash,
    ignored,
    trace: trace === null ? null : trace.finish(),
    names: lab.names,
  };
}

/** Run the phase and read each domain's CPU time before and after it; groups as they are in force during it. */
function measurePhase(lab: Lab, from_ns: number, to_ns: number, changes: string[]): Phase {
  const before = cpuTimes(lab);
  const groups = hypervisor(lab, { op: 'schedgroup', cmd: 'list' });
  lab.host.advanceTo(to_ns);
  const after = cpuTimes(lab);
  const pct = (domid: number): number | null => {
    const start = before.get(domid);
    const end = after.get(domid);
    return start === undefined || end === undefined ? null : ((end - start) / (to_ns - from_ns)) * 100;
  };
  return {
    from_ms: from_ns / NS_PER_MS,
    to_ms: to_ns / NS_PER_MS,
    changes,
    domains: [...lab.names].map(([domid, name]) => ({ name, pct: pct(domid) })),
    groups: groups.map((group) => {
      const domids = [group.master, ...group.members.map((m) => m.domid)];
      return { master: lab.names.get(group.master)!, members: group.members.map((m) => lab.names.get(m.domid)!), pct: domids.reduce((sum, d) => sum + (pct(d) ?? 0), 0) };
    }),
  };
}

/** A reading of the simulation's runtime state (CPU time, groups in force): it changes nothing. */
function hypervisor<O extends DomctlOp & ({ op: 'getdomaininfolist' } | { op: 'schedgroup'; cmd: 'list' })>(lab: Lab, op: O): Extract<DomctlResult<O>, { ok: true }>['value'] {
  const result = lab.host.domctl(op);
  if (!result.ok) throw new Error(`the lab's host refused a reading: ${result.error.message}`);
  return (result as Extract<DomctlResult<O>, { ok: true }>).value;
}

/** CPU time of each domain the hypervisor runs (started and not destroyed). */
function cpuTimes(lab: Lab): Map<number, number> {
  return new Map(hypervisor(lab, { op: 'getdomaininfolist' }).map((d) => [d.domid, d.cpu_time_ns]));
}

/** Each change is the request it stands for (see src/schemas/scenario.ts). */
function applyChange(lab: Lab, change: ScenarioChangeSpec, where: string): void {
  switch (change.op) {
    case 'sched': {
      const ref = lab.ref(change.domain, where);
      lab.do(where, (control) => control.domains.setSched(ref, change.set));
      return;
    }
    case 'update': {
      const ref = lab.ref(change.domain, where);
      if (change.set.name !== undefined) throw new ScenarioError(`${where}: a scenario names its domains once; rename is not a change it can make`);
      lab.do(where, (control) => control.domains.update(ref, change.set));
      return;
    }
    case 'power': {
      const ref = lab.ref(change.domain, where);
      lab.do(where, (control) => control.domains.power(ref, change.action));
      return;
    }
    case 'add-member': {
      const master = lab.ref(change.group, where);
      const member = { ...change.member, domain: lab.ref(change.member.domain, where) };
      lab.do(where, (control) => control.schedulingDomains.addMember(master, member));
      return;
    }
    case 'remove-member': {
      const [master, member] = [lab.ref(change.group, where), lab.ref(change.domain, where)];
      lab.do(where, (control) => control.schedulingDomains.removeMember(master, member));
      return;
    }
    case 'share': {
      const [master, domain] = [lab.ref(change.group, where), lab.ref(change.domain, where)];
      if (master === domain) lab.do(where, (control) => control.schedulingDomains.update(master, { master_share: change.share }));
      else lab.do(where, (control) => control.schedulingDomains.setMemberShare(master, domain, { share: change.share }));
      return;
    }
    case 'dissolve': {
      const master = lab.ref(change.group, where);
      lab.do(where, (control) => control.schedulingDomains.remove(master));
      return;
    }
    case 'scheduler':
      lab.do(where, (control) => control.host.setScheduler(change.set));
      return;
    case 'cpupool-migrate': {
      const ref = lab.ref(change.domain, where);
      lab.do(where, (control) => control.cpupools.moveDomain(ref, change.cpupool));
      return;
    }
  }
}

function describeChange(change: ScenarioChangeSpec): string {
  switch (change.op) {
    case 'sched':
    case 'update':
      return `${change.op} ${change.domain} ${JSON.stringify(change.set)}`;
    case 'power':
      return `${change.action} ${change.domain}`;
    case 'add-member':
      return `add ${change.member.domain} to ${change.group}`;
    case 'remove-member':
      return `remove ${change.domain} from ${change.group}`;
    case 'share':
      return `share of ${change.domain} in ${change.group} ${change.share}`;
    case 'dissolve':
      return `dissolve ${change.group}`;
    case 'scheduler':
      return `scheduler ${JSON.stringify(change.set)}`;
    case 'cpupool-migrate':
      return `move ${change.domain} to ${change.cpupool}`;
  }
}
