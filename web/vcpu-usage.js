/**
 * Which vCPU kept each pCPU busy: per-vCPU CPU time read at each sample,
 * differenced over the averaging window and counted on the pCPU each vCPU
 * ran on last (a vCPU that moved in the window is counted where it ended).
 * Read only while few domains run: one request per running domain.
 */
import { call } from './api.js';

/** Above this many running domains, the pCPUs show what runs now instead. */
export const MAX_TRACKED_DOMAINS = 16;

/**
 * @typedef {{ domain: number, vcpu: number, pcpu: number | null, cpu_time_ns: number }} VcpuReading
 * @typedef {{ now_ns: number, vcpus: VcpuReading[] }} VcpuSnapshot
 * @typedef {{ domain: number, vcpu: number, pct: number }} Busiest
 */

/** @param {() => number} keep_ns how much simulated time of snapshots to keep */
export function createVcpuTracker(keep_ns) {
  /** @type {VcpuSnapshot[]} oldest first */ const snapshots = [];
  let reading = false;

  return {
    /**
     * Reads every running domain's vCPUs (one read at a time; skipped on a big host).
     * @param {Map<number, { id: number, state: string }>} domains
     */
    async refresh(domains) {
      const running = [...domains.values()].filter((domain) => domain.state === 'running');
      if (reading) return;
      if (running.length > MAX_TRACKED_DOMAINS) {
        snapshots.length = 0;
        return;
      }
      reading = true;
      try {
        const [host, ...lists] = await Promise.all([call('GET', '/host'), ...running.map((domain) => call('GET', `/domains/${domain.id}/vcpus`))]);
        const vcpus = lists.flatMap((list, i) => list.map((/** @type {{ id: number, pcpu: number | null, cpu_time_ns: number }} */ vcpu) =>
          ({ domain: running[i]?.id ?? -1, vcpu: vcpu.id, pcpu: vcpu.pcpu, cpu_time_ns: vcpu.cpu_time_ns })));
        const now_ns = host.clock.now_ns;
        if (now_ns > (snapshots.at(-1)?.now_ns ?? -1)) snapshots.push({ now_ns, vcpus });
        while (snapshots.length > 2 && (snapshots[0]?.now_ns ?? 0) < now_ns - keep_ns()) snapshots.shift();
      } finally {
        reading = false;
      }
    },
    /**
     * The two snapshots that span the last `average_ns` (or as near as kept), undefined until two differ.
     * @param {number} average_ns
     * @returns {[VcpuSnapshot, VcpuSnapshot] | undefined}
     */
    over(average_ns) {
      const newest = snapshots.at(-1);
      if (newest === undefined || snapshots.length < 2) return undefined;
      const start = [...snapshots].reverse().find((snapshot) => snapshot.now_ns <= newest.now_ns - average_ns) ?? snapshots[0];
      return start === undefined || start === newest ? undefined : [start, newest];
    },
  };
}

/**
 * Per pCPU, the vCPU that used it most between two snapshots (undefined: none ran there).
 * @param {[VcpuSnapshot, VcpuSnapshot] | undefined} span
 * @param {number} pcpus
 * @returns {(Busiest | undefined)[] | undefined} undefined without two snapshots
 */
export function busiestVcpus(span, pcpus) {
  if (span === undefined) return undefined;
  const [before, after] = span;
  const window_ns = after.now_ns - before.now_ns;
  const earlier = new Map(before.vcpus.map((v) => [`${v.domain}.${v.vcpu}`, v.cpu_time_ns]));
  /** @type {(Busiest | undefined)[]} */ const busiest = Array.from({ length: pcpus }, () => undefined);
  for (const vcpu of after.vcpus) {
    const used_ns = vcpu.cpu_time_ns - (earlier.get(`${vcpu.domain}.${vcpu.vcpu}`) ?? 0);
    if (vcpu.pcpu === null || used_ns <= 0 || vcpu.pcpu >= pcpus) continue;
    const pct = (used_ns / window_ns) * 100;
    if (pct > (busiest[vcpu.pcpu]?.pct ?? 0)) busiest[vcpu.pcpu] = { domain: vcpu.domain, vcpu: vcpu.vcpu, pct };
  }
  return busiest;
}
