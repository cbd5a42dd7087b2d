/**
 * A scheduler trace (src/hypervisor/sched-trace.ts) in two readable forms:
 * Chrome's Trace Event Format, which Perfetto UI and chrome://tracing open
 * (one track per pCPU with what runs there, a credit counter per vCPU, a track
 * per vCPU with its boosts, parks and unparks), and JSON Lines, one record per
 * event for scripts (xentrace and xenalyze's role).
 */
import type { SchedTrace, TracedVcpu, TraceEvent } from '../hypervisor/index.ts';
import type { TraceFormat } from '../vocabulary/trace-formats.ts';

/** Names to show: domain names by domid (a domain missing here shows as `d<domid>`). */
export type DomainNames = ReadonlyMap<number, string>;

/** One stretch of a pCPU running one vCPU (or idling, `vcpu` null), [start, end). */
export interface TraceSlice {
  readonly pcpu: number;
  readonly vcpu: TracedVcpu | null;
  readonly start_ns: number;
  readonly end_ns: number;
  /** Why it began and why it ended (`end` when the trace's window closed it). */
  readonly began: string;
  readonly ended: string;
}

/** Each pCPU's stretches over the trace's window, in time order, idle included: they tile the window. */
export function traceSlices(trace: SchedTrace): TraceSlice[][] {
  const open = trace.initial.map((vcpu) => ({ vcpu, start_ns: trace.start_ns, began: 'start' }));
  const slices: TraceSlice[][] = trace.initial.map(() => []);
  const close = (pcpu: number, end_ns: number, ended: string): void => {
    const current = open[pcpu]!;
    if (end_ns > current.start_ns) slices[pcpu]!.push({ pcpu, ...current, end_ns, ended });
  };
  for (const event of trace.events) {
    if (event.kind !== 'switch') continue;
    close(event.pcpu, event.t_ns, event.reason);
    open[event.pcpu] = { vcpu: event.to, start_ns: event.t_ns, began: event.reason };
  }
  for (let pcpu = 0; pcpu < trace.pcpus; pcpu++) close(pcpu, trace.end_ns, 'end');
  return slices;
}

export const vcpuLabel = (vcpu: TracedVcpu, names: DomainNames): string => `${names.get(vcpu.domid) ?? `d${vcpu.domid}`} v${vcpu.vcpu}`;

/** Chrome Trace Event Format's JSON object form. */
export interface ChromeTrace {
  readonly traceEvents: ChromeEvent[];
  readonly displayTimeUnit: 'ns';
  readonly otherData: Record<string, unknown>;
}

export interface ChromeEvent {
  readonly name: string;
  readonly ph: 'X' | 'C' | 'i' | 'M';
  readonly pid: number;
  readonly tid: number;
  /** µs (fractions carry the ns). */
  readonly ts: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly s?: 't';
  readonly args?: Record<string, unknown>;
}

/** The processes the tracks live in (Perfetto groups tracks by process). */
const PID = { pcpus: 1, credit: 2, vcpus: 3 } as const;
const us = (ns: number): number => ns / 1000;

export function toChromeTrace(trace: SchedTrace, names: DomainNames): ChromeTrace {
  const events: ChromeEvent[] = [];
  const meta = (pid: number, tid: number, name: 'process_name' | 'thread_name', value: string): void => {
    events.push({ name, ph: 'M', pid, tid, ts: 0, args: { name: value } });
  };
  meta(PID.pcpus, 0, 'process_name', 'pCPUs');
  meta(PID.credit, 0, 'process_name', 'vCPU credit');
  meta(PID.vcpus, 0, 'process_name', 'vCPUs');
  for (let pcpu = 0; pcpu < trace.pcpus; pcpu++) meta(PID.pcpus, pcpu, 'thread_name', `pCPU ${pcpu}`);
  for (const slice of traceSlices(trace).flat()) {
    if (slice.vcpu === null) continue;
    events.push({
      name: vcpuLabel(slice.vcpu, names),
      cat: 'run',
      ph: 'X',
      pid: PID.pcpus,
      tid: slice.pcpu,
      ts: us(slice.start_ns),
      dur: us(slice.end_ns - slice.start_ns),
      args: { domid: slice.vcpu.domid, vcpu: slice.vcpu.vcpu, began: slice.began, ended: slice.ended },
    });
  }
  const vcpuTids = new Map<string, number>();
  const vcpuTid = (vcpu: TracedVcpu): number => {
    const label = vcpuLabel(vcpu, names);
    let tid = vcpuTids.get(label);
    if (tid === undefined) {
      tid = vcpuTids.size;
      vcpuTids.set(label, tid);
      meta(PID.vcpus, tid, 'thread_name', label);
    }
    return tid;
  };
  for (const event of trace.events) pushVcpuEvent(events, event, names, vcpuTid);
  return {
    traceEvents: events,
    displayTimeUnit: 'ns',
    otherData: { start_ns: trace.start_ns, end_ns: trace.end_ns, pcpus: trace.pcpus, tslice_ms: trace.tslice_ms, truncated: trace.truncated, max_events: trace.max_events },
  };
}

/** A ledger as a point of the vCPU's credit counter; boosts, parks and unparks as instants on its track. */
function pushVcpuEvent(events: ChromeEvent[], event: TraceEvent, names: DomainNames, vcpuTid: (vcpu: TracedVcpu) => number): void {
  if (event.kind === 'switch') return;
  if (event.kind === 'ledger') {
    const { credit_before, burned, handed_out, credit_after, priority, parked } = event;
    events.push({ name: `credit ${vcpuLabel(event.vcpu, names)}`, ph: 'C', pid: PID.credit, tid: 0, ts: us(event.t_ns), args: { credit: credit_after } });
    events.push({
      name: 'account',
      cat: 'ledger',
      ph: 'i',
      s: 't',
      pid: PID.vcpus,
      tid: vcpuTid(event.vcpu),
      ts: us(event.t_ns),
      args: { period: event.period, credit_before, burned, handed_out, credit_after, priority, parked },
    });
    return;
  }
  events.push({ name: event.kind, cat: 'sched', ph: 'i', s: 't', pid: PID.vcpus, tid: vcpuTid(event.vcpu), ts: us(event.t_ns) });
}

/** JSON Lines: a header record (the window, the pCPUs, who ran where, the domains' names), then one record per event. */
export function toJsonLines(trace: SchedTrace, names: DomainNames): string {
  const { events, ...window } = trace;
  const header = { kind: 'trace', ...window, domains: Object.fromEntries(names) };
  const lines = [JSON.stringify(header)];
  for (const event of events) lines.push(JSON.stringify(event));
  return lines.join('\n') + '\n';
}

export function formatTrace(trace: SchedTrace, names: DomainNames, format: TraceFormat): string {
  return format === 'jsonl' ? toJsonLines(trace, names) : JSON.stringify(toChromeTrace(trace, names));
}
