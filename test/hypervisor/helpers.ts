/** Shared set-up for hypervisor tests: simulated time only, no clocks read. */
import assert from 'node:assert/strict';
import { Host, NS_PER_MS, NS_PER_S, type CreateDomain, type DomctlOp, type DomctlResult } from '../../src/hypervisor/index.ts';

export { NS_PER_MS, NS_PER_S };

export function newHost(pcpus: number, seed = 1): Host {
  return new Host({ pcpus, seed });
}

/** Run a domctl that must succeed and return its value. */
export function must<O extends DomctlOp>(host: Host, op: O): Extract<DomctlResult<O>, { ok: true }>['value'] {
  const result = host.domctl(op);
  if (!result.ok) assert.fail(`${op.op} failed: ${result.error.message}`);
  return (result as Extract<DomctlResult<O>, { ok: true }>).value;
}

export function createDomain(host: Host, domid: number, options: Partial<Omit<CreateDomain, 'op' | 'domid'>> = {}): void {
  const vcpus = options.vcpus ?? 1;
  must(host, { op: 'createdomain', domid, max_vcpus: options.max_vcpus ?? vcpus, vcpus, workload: { type: 'cpu' }, ...options });
}

export function cpuTimeNs(host: Host, domid: number): number {
  return must(host, { op: 'getdomaininfo', domid }).cpu_time_ns;
}

/** Percent of one pCPU each domain used while the host runs `seconds` more. */
export function measureShares(host: Host, domids: readonly number[], seconds: number): number[] {
  const before = domids.map((d) => cpuTimeNs(host, d));
  host.advanceTo(host.now_ns + seconds * NS_PER_S);
  return domids.map((d, i) => ((cpuTimeNs(host, d) - before[i]!) / (seconds * NS_PER_S)) * 100);
}

export function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual.toFixed(3)} is not within ${tolerance} of ${expected.toFixed(3)}`);
}

/** Everything observable about a host, to show that a failed operation changed nothing. */
export function snapshot(host: Host): string {
  const domains = must(host, { op: 'getdomaininfolist' });
  return JSON.stringify({
    domains,
    vcpus: domains.map((d) => must(host, { op: 'getvcpuinfo', domid: d.domid })),
    pcpus: must(host, { op: 'getcpuinfo' }),
    global: must(host, { op: 'sched_global', cmd: 'getinfo' }),
    groups: must(host, { op: 'schedgroup', cmd: 'list' }),
    physinfo: must(host, { op: 'physinfo' }),
    inspection: host.inspect(),
  });
}
