/**
 * Start-up: bring the fresh simulated host to what the store says. Domain-0
 * is made by the host itself; its stored parameters are applied on top. Live
 * domains are created with their stored domid, then every scheduling domain
 * whose master is live is formed with its live members.
 */
import { clampWorkload, maxCapFor, POOL0_ID, type Affinity } from '../hypervisor/index.ts';
import { poolSched } from './cpupool-facts.ts';
import type { DomainRecord } from '../store/index.ts';
import type { ControlContext } from './context.ts';
import { DEFAULT_WEIGHT, DOMAIN0_ID } from '../vocabulary/domains.ts';
import { applyGroup, bringUp, isLive } from './lifecycle.ts';
import { commit, plan } from './plan.ts';

const DOMAIN0_UUID = '00000000-0000-0000-0000-000000000000';
const DOMAIN0_MEMORY_MB = 1024;

export interface RestoreReport {
  readonly restored: readonly number[];
  /** Domains the host refused: now halted. */
  readonly failed: readonly { readonly domid: number; readonly reason: string }[];
  /** Stored configurations that could not be created today, repaired (and stored so) before restoring: what changed. */
  readonly repaired: readonly { readonly domid: number; readonly name: string; readonly changes: string }[];
}

export function restoreHost(ctx: ControlContext): RestoreReport {
  const { state, host } = ctx;
  const setup = host.plan();
  // The host row's parameters are credit's: Pool-0 takes them when it boots with credit.
  if (poolSched(ctx, POOL0_ID) === 'credit') plan(setup, { op: 'sched_global', cmd: 'putinfo', params: state.sched });
  host.apply(setup);
  restorePools(ctx);
  const repaired = repairStored(ctx);
  restoreDomain0(ctx);

  const restored: number[] = [];
  const failed: { domid: number; reason: string }[] = [];
  const guests = [...state.domains.values()].filter((d) => d.domid !== DOMAIN0_ID && isLive(d));
  for (const domain of guests) {
    const steps = host.plan();
    try {
      // Memberships are formed below, once every live domain exists.
      bringUp(ctx, steps, domain, domain.state === 'paused', { joinGroups: false });
    } catch (error) {
      failed.push({ domid: domain.domid, reason: error instanceof Error ? error.message : String(error) });
      commit(ctx, host.plan(), { upsertDomains: [{ ...domain, state: 'halted' }] });
      continue;
    }
    host.apply(steps);
    restored.push(domain.domid);
  }
  for (const group of state.allGroups()) {
    if (!isLive(state.get(group.master))) continue;
    const steps = host.plan();
    applyGroup(ctx, steps, group);
    host.apply(steps);
  }
  return { restored, failed, repaired };
}

/**
 * The stored cpupools, on this host's pCPUs: Pool-0 gives up the pCPUs its row
 * does not list (keeping them all when it lists none of this host's), then
 * each other pool is made with its id, name, policy, the pCPUs it lists that
 * are free, and its parameters. A pool the host refuses is left out, and the
 * domains stored in it stay halted (restoreHost reports why).
 */
function restorePools(ctx: ControlContext): void {
  const { state, host, pcpus } = ctx;
  const exists = (id: number): boolean => id < pcpus;
  const stored0 = state.pools.get(POOL0_ID);
  const inPool0 = new Set(Array.from({ length: pcpus }, (_, id) => id));
  const steps = host.plan();
  const kept = stored0?.pcpus.filter(exists) ?? [];
  if (kept.length > 0) {
    for (let id = 0; id < pcpus; id++) {
      if (kept.includes(id)) continue;
      plan(steps, { op: 'cpupool_remove_pcpu', pool: POOL0_ID, pcpu: id });
      inPool0.delete(id);
    }
  }
  if (stored0?.params != null && stored0.sched === poolSched(ctx, POOL0_ID) && stored0.sched === 'credit2') {
    plan(steps, { op: 'cpupool_sched', pool: POOL0_ID, cmd: 'putinfo', params: stored0.params });
  }
  host.apply(steps);
  for (const pool of state.pools.values()) {
    if (pool.id === POOL0_ID) continue;
    const made = host.plan();
    try {
      const runqueue = pool.params !== null && 'runqueue' in pool.params ? pool.params.runqueue : undefined;
      plan(made, { op: 'cpupool_create', id: pool.id, name: pool.name, sched: pool.sched, credit2_runqueue: runqueue ?? ctx.credit2_runqueue });
      for (const pcpu of pool.pcpus) if (exists(pcpu) && !inPool0.has(pcpu)) plan(made, { op: 'cpupool_add_pcpu', pool: pool.id, pcpu });
      if (pool.params !== null) plan(made, { op: 'cpupool_sched', pool: pool.id, cmd: 'putinfo', params: pool.params });
    } catch {
      continue;
    }
    host.apply(made);
  }
}

/**
 * What was valid when stored may not be today: duty phases below today's
 * minimum (they used to hang the host) are raised to it, and affinities to
 * pCPUs this host no longer has are reduced to those it has (to all, when
 * none is left), so the domain comes back rather than staying halted.
 */
function repairStored(ctx: ControlContext): RestoreReport['repaired'] {
  const { state, host, pcpus } = ctx;
  const repaired: { domid: number; name: string; changes: string }[] = [];
  const records: DomainRecord[] = [];
  for (const domain of state.domains.values()) {
    const changes: string[] = [];
    const workload = clampWorkload(domain.workload);
    if (workload !== domain.workload) changes.push(`workload ${JSON.stringify(domain.workload)} became ${JSON.stringify(workload)}`);
    const affinity = domain.affinity.map((entry, vcpu) => {
      const kept = existingPcpus(entry, pcpus);
      if (kept !== entry) changes.push(`vCPU ${vcpu} affinity [${String(entry)}] became ${JSON.stringify(kept)} (pCPUs 0..${pcpus - 1} exist)`);
      return kept;
    });
    if (changes.length === 0) continue;
    records.push({ ...domain, workload, affinity });
    repaired.push({ domid: domain.domid, name: domain.name, changes: changes.join('; ') });
  }
  if (records.length > 0) commit(ctx, host.plan(), { upsertDomains: records });
  for (const { domid, name, changes } of repaired) ctx.events.publish('domain.updated', host.now_ns, { domain: domid, name, version: ctx.state.versionOf('domain', domid), repaired: changes });
  return repaired;
}

/** An affinity without the pCPUs this host lacks: all of them when none is left (the same entry when all exist). */
function existingPcpus(entry: Affinity, pcpus: number): Affinity {
  if (entry === 'all' || entry.every((id) => id < pcpus)) return entry;
  const kept = entry.filter((id) => id < pcpus);
  return kept.length === 0 ? 'all' : kept;
}

/** Domain-0 follows the host: one vCPU per pCPU; the rest of its configuration is kept. */
function restoreDomain0(ctx: ControlContext): void {
  const { state, host, pcpus } = ctx;
  const stored = state.domains.get(DOMAIN0_ID);
  const domain0: DomainRecord = {
    domid: DOMAIN0_ID,
    uuid: stored?.uuid ?? DOMAIN0_UUID,
    name: stored?.name ?? 'Domain-0',
    vcpus: Math.min(stored?.vcpus ?? pcpus, pcpus),
    max_vcpus: pcpus,
    memory_mb: stored?.memory_mb ?? DOMAIN0_MEMORY_MB,
    weight: stored?.weight ?? DEFAULT_WEIGHT,
    cap: stored?.cap ?? 0,
    workload: stored?.workload ?? { type: 'idle' },
    affinity: Array.from({ length: pcpus }, (_, i) => stored?.affinity[i] ?? 'all'),
    state: 'running',
  };
  const steps = host.plan();
  plan(steps, { op: 'setonlinevcpus', domid: DOMAIN0_ID, vcpus: domain0.vcpus });
  plan(steps, { op: 'setworkload', domid: DOMAIN0_ID, workload: domain0.workload });
  plan(steps, { op: 'scheduler_op', domid: DOMAIN0_ID, cmd: 'putinfo', weight: domain0.weight, cap: Math.min(domain0.cap, maxCapFor(pcpus)) });
  domain0.affinity.forEach((pcpus, vcpu) => plan(steps, { op: 'setvcpuaffinity', domid: DOMAIN0_ID, vcpu, pcpus }));
  const changed = JSON.stringify(stored) !== JSON.stringify(domain0);
  const next_domid = Math.max(state.next_domid, 1);
  if (changed) commit(ctx, steps, { upsertDomains: [domain0], next_domid });
  else host.apply(steps);
}
