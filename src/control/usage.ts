/**
 * Who gets the CPU: observed shares (the hypervisor's usage history, or
 * readings a live stream diffs) against expected ones (src/fairness, from the
 * configured intent), per domain, per scheduling domain and per pCPU.
 */
import type { Static } from '@sinclair/typebox';
import { expectedShares, type DomainDemand, type ExpectedShares } from '../fairness/expected-share.ts';
import { MAX_USAGE_STEPS, NS_PER_MS, POOL0_ID, type Affinity, type CpupoolInfo, type SchedStats, type Workload } from '../hypervisor/index.ts';
import type { HistogramSnapshot } from '../runtime/histogram.ts';
import type { Timers } from '../runtime/clock.ts';
import type { CpupoolUsage, DomainUsage, DomainUsageReport, HostUsage, PcpuUsage, SchedulingDomainUsage, SchedulingDomainUsageReport, USAGE_REASONS, UsageStep } from '../schemas/usage.ts';
import { DEFAULT_WINDOW_MS, MAX_USAGE_INTERVAL_MS, MAX_WINDOW_MS, MIN_USAGE_INTERVAL_MS } from '../schemas/usage.ts';
import type { DomainRecord, GroupRecord } from '../store/index.ts';
import type { ControlContext } from './context.ts';
import { poolName } from './cpupool-facts.ts';
import { fromDomctl } from './domctl-errors.ts';
import { apiError, invalidArgument } from '../vocabulary/errors.ts';
import { DEFAULT_SHARE } from '../vocabulary/domains.ts';
import { PERCENT, roundPct } from '../vocabulary/units.ts';
import { isLive } from './lifecycle.ts';

export type HostUsageView = Static<typeof HostUsage>;
type UsageStepView = Static<typeof UsageStep>;
export type DomainUsageView = Static<typeof DomainUsageReport>;
export type SchedulingDomainUsageView = Static<typeof SchedulingDomainUsageReport>;
type DomainRow = Static<typeof DomainUsage>;
type GroupRow = Static<typeof SchedulingDomainUsage>;
type PcpuRow = Static<typeof PcpuUsage>;
type PoolRow = Static<typeof CpupoolUsage>;
type Reason = (typeof USAGE_REASONS)[number];
interface Known {
  readonly capped: boolean;
  readonly blocking: boolean;
  readonly unequal: boolean;
}

/**
 * A difference (percentage points) up to this is agreement: where no reason
 * applies, the simulation stays within it of the model over windows that are
 * not short (test/fairness/random-hosts.test.ts holds them to it).
 */
export const DIFF_THRESHOLD_PCT = 1.5;
/**
 * Contended vCPUs whose expected shares differ by more than this factor: the
 * credit scheduler orders vCPUs in two classes (UNDER, OVER) and clips credit
 * at one timeslice either way, so it approaches such proportions without
 * reaching them.
 */
const UNEQUAL_VCPU_RATIO = 1.2;

/** A `usage` event of the stream: observed shares since the previous one. */
export interface UsageSample {
  readonly now_ns: number;
  readonly interval_ns: number;
  readonly speed: number;
  readonly busy_pct: number;
  readonly domains: readonly { readonly id: number; readonly observed_pct: number }[];
  readonly scheduling_domains: readonly { readonly master: number; readonly observed_pct: number }[];
  readonly pcpus: readonly PcpuRow[];
}

export interface UsageControl {
  host(window_ms?: number): HostUsageView;
  /** The last `window_ms` of the history in steps of `step_ms`, oldest first (what a chart needs to start full). */
  series(window_ms: number, step_ms: number): UsageStepView[];
  domain(ref: string, window_ms?: number): DomainUsageView;
  schedulingDomain(masterRef: string, window_ms?: number): SchedulingDomainUsageView;
  /** Calls `listener` every `interval_ms` of wall time with the usage since the previous call; returns the unsubscribe. */
  subscribe(interval_ms: number, listener: (sample: UsageSample) => void): () => void;
  /** The scheduler's counters (context switches, accounting periods, BOOST wakes, parks, …). */
  schedStats(): SchedStats;
  /** How late the real-time loop's ticks fired, seconds. */
  tickLateness(): HistogramSnapshot;
}

/** A usage interval the stream can keep: throws a 400 naming `usage_ms` otherwise. */
export function checkUsageInterval(interval_ms: number): void {
  if (!Number.isInteger(interval_ms) || interval_ms < MIN_USAGE_INTERVAL_MS || interval_ms > MAX_USAGE_INTERVAL_MS) {
    throw invalidArgument('usage_ms', `must be an integer in ${MIN_USAGE_INTERVAL_MS}..${MAX_USAGE_INTERVAL_MS} (ms of wall time), got ${interval_ms}`);
  }
}

const pctOf = (used_ns: number, window_ns: number): number => (window_ns > 0 ? (used_ns / window_ns) * PERCENT : 0);

function demandPct(workload: Workload): number {
  switch (workload.type) {
    case 'cpu':
      return PERCENT;
    case 'idle':
      return 0;
    case 'duty':
      return (workload.run_ms / (workload.run_ms + workload.sleep_ms)) * PERCENT;
  }
}

export function createUsageControl(ctx: ControlContext, timers: Timers): UsageControl {
  const { state, host, clock } = ctx;

  /** The master whose scheduling domain is in force over `domain` (both live), or null. */
  const activeMaster = (domain: DomainRecord): number | null => {
    const master = state.masterOfMember(domain.domid);
    return master !== undefined && isLive(domain) && isLive(state.get(master)) ? master : null;
  };
  const shareOf = (domain: DomainRecord): number => {
    const master = state.masterOfMember(domain.domid);
    if (master !== undefined) return state.group(master)!.members.find((m) => m.domid === domain.domid)!.share;
    return state.group(domain.domid)?.master_share ?? DEFAULT_SHARE;
  };
  /**
   * Each domain's claim in its pool: its vCPUs run only on the pool's pCPUs (a pinning
   * intersected with them; none left means all of them), and under credit2 every vCPU
   * carries the domain's weight, so a domain (a group: its master) claims weight × online vCPUs.
   */
  const listPools = (): CpupoolInfo[] => {
    const listed = host.domctl({ op: 'cpupool_list' });
    if (!listed.ok) throw fromDomctl(listed.error);
    return listed.value;
  };
  const demands = (): DomainDemand[] => {
    const pools = new Map(listPools().map((p) => [p.id, p]));
    return [...state.domains.values()].map((d) => {
      const pool = pools.get(d.cpupool ?? POOL0_ID);
      const inPool = (pcpus: Affinity): Affinity => {
        // A pool of every pCPU (Pool-0 until one leaves it) leaves the affinity as it is.
        if (pool === undefined || pool.pcpus.length === ctx.pcpus) return pcpus;
        const allowed = pcpus === 'all' ? [...pool.pcpus] : pcpus.filter((id) => pool.pcpus.includes(id));
        return allowed.length === 0 ? [...pool.pcpus] : allowed;
      };
      return {
        domid: d.domid,
        weight: pool?.sched === 'credit2' ? d.weight * d.vcpus : d.weight,
        cap: d.cap,
        master: activeMaster(d),
        share: shareOf(d),
        vcpus: d.state === 'running'
          ? d.affinity.slice(0, d.vcpus).map((pcpus) => ({ demand_pct: demandPct(d.workload), pcpus: inPool(pcpus) }))
          : [],
      };
    });
  };

  /**
   * Which domains the model is known not to describe, beyond a capped
   * claimant's own: every domain on a host where a capped claimant's bursts
   * take pCPUs others need; where vCPUs outnumber the pCPUs, a blocking
   * (duty) workload and the vCPUs it contends with (its wakes wait behind
   * running vCPUs, or jump ahead of them with BOOST, where the model counts
   * neither); and contended vCPUs whose expected shares are unequal.
   */
  const knownDeviations = (expected: ExpectedShares, pcpus: number, claimantOf: (domid: number) => number) => {
    const contended = [...expected.contended.values()].flat();
    const unequal = contended.length > 0 && Math.max(...contended) > UNEQUAL_VCPU_RATIO * Math.min(...contended);
    const load = [...expected.domains.values()].reduce((sum, pct) => sum + pct, 0);
    // A capped claimant runs whole slices until parked: while all its vCPUs run at once, is there room for the rest?
    const burstVcpus = new Map<number, number>();
    for (const d of state.domains.values()) {
      const claimant = claimantOf(d.domid);
      if (d.state === 'running' && hasCap(claimant)) burstVcpus.set(claimant, (burstVcpus.get(claimant) ?? 0) + d.vcpus);
    }
    const cappedBursts = [...burstVcpus].some(([claimant, vcpus]) => load - expected.claimants.get(claimant)! + vcpus * PERCENT > pcpus * PERCENT);
    const running = [...state.domains.values()].filter((d) => d.state === 'running' && d.workload.type !== 'idle');
    const blocks = (d: DomainRecord): boolean => d.state === 'running' && d.workload.type === 'duty';
    // Where vCPUs outnumber the pCPUs, a wake can find its pCPUs taken.
    const shared = running.reduce((sum, d) => sum + d.vcpus, 0) > pcpus;
    const blocking = shared && running.some(blocks);
    return {
      cappedBursts,
      blocking: (d: DomainRecord): boolean => blocking && (blocks(d) || expected.contended.has(d.domid)),
      unequal: (d: DomainRecord): boolean => unequal && expected.contended.has(d.domid),
    };
  };

  /**
   * A claimant with a cap: the scheduler parks its vCPUs once their debt passes
   * their part of the cap, so it is held near its weight's share even where the
   * model gives it others' surplus below the cap, and it runs in bursts.
   */
  const hasCap = (claimant: number): boolean => state.get(claimant).cap > 0;

  const members = (group: GroupRecord): DomainRecord[] => [group.master, ...group.members.map((m) => m.domid)].map((id) => state.get(id));
  const pinned = (domains: readonly DomainRecord[]): boolean => domains.some((d) => d.affinity.slice(0, d.vcpus).some((a) => a !== 'all'));

  /**
   * Where the steady-state model is known not to hold, most specific first; each
   * reason has a test that shows the deviation it names
   * (test/fairness/usage-reasons.test.ts).
   * Given only to a difference above the threshold.
   */
  const reasonFor = (diff: number, window_ns: number, known: Known, domains: readonly DomainRecord[]): Reason | null => {
    if (Math.abs(diff) <= DIFF_THRESHOLD_PCT) return null;
    if (state.sched.accounting === 'sampled') return 'sampled_accounting';
    if (known.capped) return 'capped';
    if (pinned(domains)) return 'pinned';
    if (known.unequal) return 'unequal_vcpu_shares';
    if (known.blocking) return 'blocking';
    // One timeslice more or less at either end of the window is more than the threshold.
    if (window_ns * DIFF_THRESHOLD_PCT < state.sched.tslice_ms * NS_PER_MS * PERCENT) return 'short_window';
    return null;
  };

  const row = (observed: number, expected: number, reason: Reason | null) => ({
    observed_pct: roundPct(observed),
    expected_pct: roundPct(expected),
    diff_pct: roundPct(observed - expected),
    reason,
  });

  const checkWindow = (window_ms: number): void => {
    if (!Number.isInteger(window_ms) || window_ms < 1 || window_ms > MAX_WINDOW_MS) {
      throw invalidArgument('window_ms', `must be an integer in 1..${MAX_WINDOW_MS}: the history kept is the last ${MAX_WINDOW_MS} ms of simulated time; got ${window_ms}`);
    }
  };

  /** Everything the report needs, over the window. */
  const measure = (window_ms = DEFAULT_WINDOW_MS) => {
    checkWindow(window_ms);
    clock.sync();
    const result = host.domctl({ op: 'getusage', window_ns: window_ms * NS_PER_MS });
    if (!result.ok) throw fromDomctl(result.error);
    const usage = result.value;
    const window_ns = usage.to_ns - usage.from_ns;
    const cpu = new Map(usage.domains.map((d) => [d.domid, d.cpu_ns]));
    const expected = expectedShares(usage.pcpus.length, demands());
    const observed = (domid: number): number => pctOf(cpu.get(domid) ?? 0, window_ns);
    const claimantOf = (domid: number): number => activeMaster(state.get(domid)) ?? domid;
    const known = knownDeviations(expected, usage.pcpus.length, claimantOf);
    const knownFor = (domains: readonly DomainRecord[], capped: boolean): Known => ({
      capped: capped || known.cappedBursts,
      blocking: domains.some((d) => known.blocking(d)),
      unequal: domains.some((d) => known.unequal(d)),
    });
    const domainRow = (d: DomainRecord): DomainRow => {
      const own = observed(d.domid);
      const want = expected.domains.get(d.domid) ?? 0;
      const capped = hasCap(claimantOf(d.domid));
      return { id: d.domid, name: d.name, state: d.state, cpupool: poolName(state, d.cpupool), ...row(own, want, reasonFor(own - want, window_ns, knownFor([d], capped), [d])) };
    };
    const groupRow = (group: GroupRecord): GroupRow => {
      const domains = members(group);
      const active = isLive(domains[0]!);
      const own = domains.reduce((sum, d) => sum + observed(d.domid), 0);
      const want = groupExpected(group, expected);
      const reason = reasonFor(own - want, window_ns, knownFor(domains, active && hasCap(group.master)), domains);
      return { master: group.master, members: group.members.map((m) => m.domid), active, ...row(own, want, reason) };
    };
    const pcpus = usage.pcpus.map((p) => ({ id: p.id, busy_pct: roundPct(pctOf(p.busy_ns, window_ns)) }));
    /** A pool's domains as they live now, summed unrounded; its pCPUs' busy shares. */
    const poolRow = (pool: CpupoolInfo): PoolRow => {
      const domains = [...state.domains.values()].filter((d) => (d.cpupool ?? POOL0_ID) === pool.id);
      const own = domains.reduce((sum, d) => sum + observed(d.domid), 0);
      const want = domains.reduce((sum, d) => sum + (expected.domains.get(d.domid) ?? 0), 0);
      return {
        id: pool.id,
        name: pool.name,
        sched: pool.sched,
        pcpus: [...pool.pcpus],
        capacity_pct: pool.pcpus.length * PERCENT,
        domains: domains.length,
        observed_pct: roundPct(own),
        expected_pct: roundPct(want),
        diff_pct: roundPct(own - want),
        busy_pct: roundPct(pool.pcpus.reduce((sum, id) => sum + pctOf(usage.pcpus[id]?.busy_ns ?? 0, window_ns), 0)),
      };
    };
    const header = { now_ns: usage.to_ns, window_ns, threshold_pct: DIFF_THRESHOLD_PCT };
    return { header, domainRow, groupRow, pcpus, poolRow };
  };

  /** A group's expected share: its claimant's while in force, else what its live domains get on their own. */
  const groupExpected = (group: GroupRecord, expected: ExpectedShares): number =>
    members(group).reduce((sum, d) => sum + (expected.domains.get(d.domid) ?? 0), 0);

  const requireGroup = (masterRef: string): GroupRecord => {
    const master = state.resolve(masterRef, 'master');
    const group = state.group(master.domid);
    if (group === undefined) {
      throw apiError('NO_SUCH_SCHEDULING_DOMAIN', `domain ${master.name} is not the master of a scheduling domain`, { field: 'master' });
    }
    return group;
  };

  /** Cumulative readings, diffed by each stream between two of its events. */
  const readings = () => {
    clock.sync();
    const domains = host.domctl({ op: 'getdomaininfolist' });
    const pcpus = host.domctl({ op: 'getcpuinfo' });
    if (!domains.ok) throw fromDomctl(domains.error);
    if (!pcpus.ok) throw fromDomctl(pcpus.error);
    return {
      status: clock.status(),
      cpu: new Map(domains.value.map((d) => [d.domid, d.cpu_time_ns])),
      busy: pcpus.value.map((p) => p.busy_ns),
    };
  };

  const sampleBetween = (before: ReturnType<typeof readings>, after: ReturnType<typeof readings>): UsageSample => {
    const interval_ns = after.status.now_ns - before.status.now_ns;
    // A domain restarted in between starts again from 0: count what it used since.
    const used = (domid: number): number => {
      const now = after.cpu.get(domid) ?? 0;
      const then = before.cpu.get(domid) ?? 0;
      return pctOf(now >= then ? now - then : now, interval_ns);
    };
    const pcpus = after.busy.map((busy, id) => ({ id, busy_pct: roundPct(pctOf(busy - (before.busy[id] ?? 0), interval_ns)) }));
    return {
      now_ns: after.status.now_ns,
      interval_ns,
      speed: after.status.speed,
      busy_pct: roundPct(pcpus.reduce((sum, p) => sum + p.busy_pct, 0)),
      domains: [...state.domains.values()].map((d) => ({ id: d.domid, observed_pct: roundPct(used(d.domid)) })),
      scheduling_domains: state.allGroups().map((g) => ({
        master: g.master,
        observed_pct: roundPct(members(g).reduce((sum, d) => sum + used(d.domid), 0)),
      })),
      pcpus,
    };
  };

  return {
    host(window_ms) {
      const { header, domainRow, groupRow, pcpus, poolRow } = measure(window_ms);
      return {
        ...header,
        busy_pct: roundPct(pcpus.reduce((sum, p) => sum + p.busy_pct, 0)),
        domains: [...state.domains.values()].map(domainRow),
        scheduling_domains: state.allGroups().map(groupRow),
        pcpus,
        cpupools: listPools().map(poolRow),
      };
    },

    domain(ref, window_ms) {
      const domain = state.resolve(ref);
      const { header, domainRow } = measure(window_ms);
      return { ...header, domain: domainRow(domain) };
    },

    schedulingDomain(masterRef, window_ms) {
      const group = requireGroup(masterRef);
      const { header, domainRow, groupRow } = measure(window_ms);
      return { ...header, scheduling_domain: groupRow(group), domains: members(group).map(domainRow) };
    },

    series(window_ms, step_ms) {
      checkWindow(window_ms);
      if (!Number.isInteger(step_ms) || step_ms < 1 || step_ms > MAX_WINDOW_MS || Math.ceil(window_ms / step_ms) > MAX_USAGE_STEPS) {
        throw invalidArgument('step_ms', `must be an integer in 1..${MAX_WINDOW_MS} that cuts window_ms (${window_ms}) into at most ${MAX_USAGE_STEPS} steps; got ${step_ms}`);
      }
      clock.sync();
      const result = host.domctl({ op: 'getusageseries', window_ns: window_ms * NS_PER_MS, step_ns: step_ms * NS_PER_MS });
      if (!result.ok) throw fromDomctl(result.error);
      return result.value.map((step) => {
        const interval_ns = step.to_ns - step.from_ns;
        return {
          now_ns: step.to_ns,
          interval_ns,
          domains: step.domains.map((d) => ({ id: d.domid, observed_pct: roundPct(pctOf(d.cpu_ns, interval_ns)) })),
          pcpus: step.pcpus.map((p) => ({ id: p.id, busy_pct: roundPct(pctOf(p.busy_ns, interval_ns)) })),
        };
      });
    },

    schedStats() {
      clock.sync();
      const result = host.domctl({ op: 'schedstats' });
      if (!result.ok) throw fromDomctl(result.error);
      return result.value;
    },

    tickLateness: () => clock.lateness(),

    subscribe(interval_ms, listener) {
      checkUsageInterval(interval_ms);
      let previous = readings();
      let timer: unknown = null;
      const fire = (): void => {
        const next = readings();
        const sample = sampleBetween(previous, next);
        previous = next;
        timer = timers.setTimeout(fire, interval_ms);
        listener(sample);
      };
      timer = timers.setTimeout(fire, interval_ms);
      return () => timers.clearTimeout(timer);
    },
  };
}
