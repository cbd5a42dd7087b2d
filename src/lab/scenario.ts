/**
 * The headless scenario runner: a scenario (src/schemas/scenario.ts) played
 * on a Host of its own in virtual time, no daemon, with each domain's and
 * each scheduling domain's share of the CPU per phase of the timeline (a
 * phase runs from one change time to the next). Everything goes through the
 * Host's domctls, as the daemon's control layer does.
 */
import {
  CAP_UNCHANGED,
  Host,
  NS_PER_MS,
  NS_PER_S,
  SCHED_PROFILES,
  WEIGHT_UNCHANGED,
  type Affinity,
  type DomctlOp,
  type DomctlResult,
  type GlobalSchedParams,
  type SchedTrace,
  type TraceRecorder,
} from '../hypervisor/index.ts';
import { DEFAULT_SCENARIO_SECONDS, type ScenarioChangeSpec, type ScenarioSpec } from '../schemas/scenario.ts';

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

/** The scenario's domains by name, and the host they run on. */
class Lab {
  readonly host: Host;
  readonly domids = new Map<string, number>();
  readonly names = new Map<number, string>();
  /** Domains that exist in the hypervisor (started and not destroyed). */
  readonly live = new Set<number>();
  readonly spec: ScenarioSpec;
  sched: GlobalSchedParams = SCHED_PROFILES['xen-4.x'];

  constructor(spec: ScenarioSpec) {
    this.spec = spec;
    this.host = new Host({ pcpus: spec.host.pcpus, seed: spec.host.seed ?? 1 });
    spec.domains.forEach((domain, i) => {
      if (this.domids.has(domain.name)) throw new ScenarioError(`domains[${i}]: the name ${domain.name} is used twice`);
      this.domids.set(domain.name, i + 1);
      this.names.set(i + 1, domain.name);
    });
  }

  domid(name: string, where: string): number {
    const domid = this.domids.get(name);
    if (domid === undefined) throw new ScenarioError(`${where}: no domain is named ${name}`);
    return domid;
  }

  /** Run a domctl that must succeed: a refusal names where in the scenario it came from. */
  do<O extends DomctlOp>(op: O, where: string): Extract<DomctlResult<O>, { ok: true }>['value'] {
    const result = this.host.domctl(op);
    if (!result.ok) throw new ScenarioError(`${where}: ${result.error.message}`);
    return (result as Extract<DomctlResult<O>, { ok: true }>).value;
  }

  start(name: string, where: string): void {
    const domid = this.domid(name, where);
    if (this.live.has(domid)) throw new ScenarioError(`${where}: ${name} is already running`);
    const domain = this.spec.domains[domid - 1]!;
    const vcpus = domain.vcpus ?? 1;
    const max_vcpus = domain.max_vcpus ?? vcpus;
    const affinity: Affinity[] | undefined = domain.affinity === undefined ? undefined : Array.from({ length: max_vcpus }, () => domain.affinity!);
    this.do(
      {
        op: 'createdomain',
        domid,
        max_vcpus,
        vcpus,
        ...(domain.weight === undefined ? {} : { weight: domain.weight }),
        ...(domain.cap === undefined ? {} : { cap: domain.cap }),
        workload: domain.workload ?? { type: 'cpu' },
        ...(affinity === undefined ? {} : { affinity }),
      },
      where,
    );
    this.live.add(domid);
  }

  /** Add a member, making the group first if the master has none (as POST /scheduling-domains/{master}/members does). */
  addMember(master: number, member: number, share: number | undefined, where: string): void {
    const exists = this.do({ op: 'schedgroup', cmd: 'list' }, where).some((group) => group.master === master);
    if (!exists) this.do({ op: 'schedgroup', cmd: 'create', master }, where);
    this.do({ op: 'schedgroup', cmd: 'add_member', master, member, ...(share === undefined ? {} : { share }) }, where);
  }
}

export function runScenario(spec: ScenarioSpec, options: RunOptions = {}): ScenarioResult {
  const seconds = options.seconds ?? spec.seconds ?? DEFAULT_SCENARIO_SECONDS;
  const end_ns = Math.round(seconds * NS_PER_S);
  const lab = new Lab(spec);
  if (spec.scheduler !== undefined) setScheduler(lab, spec.scheduler, 'scheduler');
  spec.domains.forEach((domain, i) => {
    if (domain.start !== false) lab.start(domain.name, `domains[${i}] (${domain.name})`);
  });
  (spec.groups ?? []).forEach((group, i) => makeGroup(lab, group, `groups[${i}] (${group.master})`));

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

/** Run the phase and read each domain's CPU time before and after it; groups as they are during it. */
function measurePhase(lab: Lab, from_ns: number, to_ns: number, changes: string[]): Phase {
  const before = cpuTimes(lab);
  const groups = lab.do({ op: 'schedgroup', cmd: 'list' }, 'report');
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

function cpuTimes(lab: Lab): Map<number, number> {
  const list = lab.do({ op: 'getdomaininfolist' }, 'report');
  return new Map(list.filter((d) => lab.live.has(d.domid)).map((d) => [d.domid, d.cpu_time_ns]));
}

function makeGroup(lab: Lab, group: NonNullable<ScenarioSpec['groups']>[number], where: string): void {
  const master = lab.domid(group.master, where);
  lab.do({ op: 'schedgroup', cmd: 'create', master }, where);
  for (const member of group.members ?? []) lab.addMember(master, lab.domid(member.domain, where), member.share, where);
  if (group.master_share !== undefined) lab.do({ op: 'schedgroup', cmd: 'set_share', master, domid: master, share: group.master_share }, where);
}

function setScheduler(lab: Lab, set: NonNullable<ScenarioSpec['scheduler']>, where: string): void {
  const { profile, ...params } = set;
  const next: GlobalSchedParams = { ...lab.sched, ...(profile === undefined ? {} : SCHED_PROFILES[profile]), ...params };
  lab.do({ op: 'sched_global', cmd: 'putinfo', params: next }, where);
  lab.sched = next;
}

function applyChange(lab: Lab, change: ScenarioChangeSpec, where: string): void {
  switch (change.op) {
    case 'sched':
      return putSched(lab, lab.domid(change.domain, where), change.set, where);
    case 'update':
      return update(lab, change.domain, change.set, where);
    case 'power':
      return power(lab, change.domain, change.action, where);
    case 'add-member': {
      const master = lab.domid(change.group, where);
      return lab.addMember(master, lab.domid(change.member.domain, where), change.member.share, where);
    }
    case 'remove-member':
      lab.do({ op: 'schedgroup', cmd: 'remove_member', master: lab.domid(change.group, where), member: lab.domid(change.domain, where) }, where);
      return;
    case 'share':
      lab.do({ op: 'schedgroup', cmd: 'set_share', master: lab.domid(change.group, where), domid: lab.domid(change.domain, where), share: change.share }, where);
      return;
    case 'dissolve':
      lab.do({ op: 'schedgroup', cmd: 'dissolve', master: lab.domid(change.group, where) }, where);
      return;
    case 'scheduler':
      return setScheduler(lab, change.set, where);
  }
}

function putSched(lab: Lab, domid: number, set: { weight?: number; cap?: number }, where: string): void {
  lab.do({ op: 'scheduler_op', domid, cmd: 'putinfo', weight: set.weight ?? WEIGHT_UNCHANGED, cap: set.cap ?? CAP_UNCHANGED }, where);
}

function update(lab: Lab, name: string, set: Extract<ScenarioChangeSpec, { op: 'update' }>['set'], where: string): void {
  const domid = lab.domid(name, where);
  if (set.name !== undefined) throw new ScenarioError(`${where}: a scenario names its domains once; rename is not a change it can make`);
  if (!lab.live.has(domid)) throw new ScenarioError(`${where}: ${name} is not running`);
  const { max_vcpus } = lab.do({ op: 'getdomaininfo', domid }, where);
  // Grow the maximum before bringing vCPUs online; shrink it after taking them off.
  if (set.max_vcpus !== undefined && set.max_vcpus > max_vcpus) lab.do({ op: 'max_vcpus', domid, max_vcpus: set.max_vcpus }, where);
  if (set.vcpus !== undefined) lab.do({ op: 'setonlinevcpus', domid, vcpus: set.vcpus }, where);
  if (set.max_vcpus !== undefined && set.max_vcpus < max_vcpus) lab.do({ op: 'max_vcpus', domid, max_vcpus: set.max_vcpus }, where);
  if (set.weight !== undefined || set.cap !== undefined) putSched(lab, domid, set, where);
  if (set.workload !== undefined) lab.do({ op: 'setworkload', domid, workload: set.workload }, where);
}

function power(lab: Lab, name: string, action: 'start' | 'pause' | 'unpause' | 'destroy', where: string): void {
  if (action === 'start') return lab.start(name, where);
  const domid = lab.domid(name, where);
  if (!lab.live.has(domid)) throw new ScenarioError(`${where}: ${name} is not running`);
  if (action === 'destroy') {
    lab.do({ op: 'destroydomain', domid }, where);
    lab.live.delete(domid);
    return;
  }
  lab.do({ op: action === 'pause' ? 'pausedomain' : 'unpausedomain', domid }, where);
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
  }
}
