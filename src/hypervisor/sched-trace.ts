/**
 * Scheduler traces (xentrace's role): what the scheduler decides, event by
 * event, over a window of simulated time. The engine and the credit scheduler
 * call a `SchedTraceSink` when one is attached and test a null otherwise, so a
 * host that is not being traced pays one comparison per decision.
 * `TraceRecorder` is the sink the Host attaches (Host.startTrace): bounded,
 * and it closes its window itself, so any Host (a live one, a copy) can be traced.
 */
import type { Vcpu } from './model.ts';
import { NS_PER_MS } from '../vocabulary/units.ts';

/**
 * Why a pCPU switched, in the scheduler's own terms: its slice ended, the vCPU
 * blocked, a woken vCPU of higher priority preempted it, an idle pCPU took a
 * woken vCPU, stole one from a peer, or took one migrated to it at a tick; the
 * vCPU was parked by accounting (its cap); or a domctl (pause, unplug,
 * destroy, new workload) took it off.
 */
export const SWITCH_REASONS = ['timeslice', 'block', 'wake-preempt', 'wake', 'steal', 'migration', 'park', 'domctl'] as const;
export type SwitchReason = (typeof SWITCH_REASONS)[number];

export interface TracedVcpu {
  readonly domid: number;
  readonly vcpu: number;
}

export interface SwitchEvent {
  readonly kind: 'switch';
  readonly t_ns: number;
  readonly pcpu: number;
  /** What ran until now and what runs from now; null = idle. */
  readonly from: TracedVcpu | null;
  readonly to: TracedVcpu | null;
  readonly reason: SwitchReason;
  /** When `to` had woken and not yet run: how long it waited. */
  readonly wake_latency_ns?: number;
}

export interface LedgerEvent {
  readonly kind: 'ledger';
  readonly t_ns: number;
  /** The accounting period's number since the host booted. */
  readonly period: number;
  readonly vcpu: TracedVcpu;
  /** Its credit after the previous accounting (or when the trace began), what it burned since, what it was handed. */
  readonly credit_before: number;
  readonly burned: number;
  readonly handed_out: number;
  /** After clamping (at −one slice) or resetting (an idle vCPU past +one slice goes inactive at 0). */
  readonly credit_after: number;
  readonly priority: string;
  readonly parked: boolean;
  readonly active: boolean;
}

/**
 * An instant on a vCPU's track: credit's boost; a park or unpark under either policy;
 * credit2's budget refill of a capped domain (on its first vCPU) and a move by balance_load().
 */
export interface VcpuEvent {
  readonly kind: 'boost' | 'park' | 'unpark' | 'refill' | 'balance';
  readonly t_ns: number;
  readonly vcpu: TracedVcpu;
}

export type TraceEvent = SwitchEvent | LedgerEvent | VcpuEvent;

/** What the engine and scheduler report; only called while a trace is attached. */
export interface SchedTraceSink {
  contextSwitch(t_ns: number, pcpu: number, from: Vcpu | null, to: Vcpu | null, reason: SwitchReason, wake_latency_ns: number): void;
  /** One vCPU's part of an accounting: its credit before the hand-out, the hand-out, and its state after. */
  ledger(t_ns: number, period: number, vcpu: Vcpu, credit_now: number, handed_out: number, credit_after: number, priority: string, active: boolean): void;
  vcpuEvent(t_ns: number, kind: VcpuEvent['kind'], vcpu: Vcpu): void;
}

/** A finished (or stopped) trace: the window, who ran where at its start, and every event in order. */
export interface SchedTrace {
  readonly start_ns: number;
  /** Where the record ends: the window's end, or where the event limit stopped it. */
  readonly end_ns: number;
  readonly requested_end_ns: number;
  readonly pcpus: number;
  readonly tslice_ms: number;
  /** What each pCPU ran when the trace began (null = idle). */
  readonly initial: readonly (TracedVcpu | null)[];
  readonly events: readonly TraceEvent[];
  readonly max_events: number;
  /** Set when the event limit was reached before the window's end: the record stops at `end_ns`. */
  readonly truncated: boolean;
}

export interface TraceWindow {
  readonly start_ns: number;
  readonly duration_ns: number;
  readonly max_events: number;
  readonly pcpus: number;
  readonly tslice_ms: number;
  readonly initial: readonly (TracedVcpu | null)[];
  /** Each vCPU's credit when the trace begins, so the first ledger knows what it burned. */
  readonly credits: ReadonlyMap<Vcpu, number>;
  /** Called once, at the first event past the window or at the limit: the host stops calling. */
  readonly detach: () => void;
}

const ref = (vcpu: Vcpu): TracedVcpu => ({ domid: vcpu.domain.domid, vcpu: vcpu.id });

export class TraceRecorder implements SchedTraceSink {
  readonly #window: TraceWindow;
  readonly #end_ns: number;
  readonly #events: TraceEvent[] = [];
  /** Each vCPU's credit after its last ledger, to tell what it burned since. */
  readonly #lastCredit: Map<Vcpu, number>;
  #stopped_ns = -1;
  #truncated = false;

  constructor(window: TraceWindow) {
    this.#window = window;
    this.#end_ns = window.start_ns + window.duration_ns;
    this.#lastCredit = new Map(window.credits);
  }

  /** True once the window is over (the host's time is past it) or the limit stopped it. */
  doneAt(now_ns: number): boolean {
    return this.#stopped_ns >= 0 || now_ns >= this.#end_ns;
  }

  get event_count(): number {
    return this.#events.length;
  }

  contextSwitch(t_ns: number, pcpu: number, from: Vcpu | null, to: Vcpu | null, reason: SwitchReason, wake_latency_ns: number): void {
    if (!this.#accepts(t_ns)) return;
    const event: SwitchEvent = { kind: 'switch', t_ns, pcpu, from: from === null ? null : ref(from), to: to === null ? null : ref(to), reason };
    this.#events.push(wake_latency_ns >= 0 ? { ...event, wake_latency_ns } : event);
  }

  ledger(t_ns: number, period: number, vcpu: Vcpu, credit_now: number, handed_out: number, credit_after: number, priority: string, active: boolean): void {
    if (!this.#accepts(t_ns)) return;
    const last = this.#lastCredit.get(vcpu) ?? 0;
    this.#lastCredit.set(vcpu, credit_after);
    this.#events.push({
      kind: 'ledger',
      t_ns,
      period,
      vcpu: ref(vcpu),
      credit_before: last,
      burned: last - credit_now,
      handed_out,
      credit_after,
      priority,
      parked: vcpu.parked,
      active,
    });
  }

  vcpuEvent(t_ns: number, kind: VcpuEvent['kind'], vcpu: Vcpu): void {
    if (this.#accepts(t_ns)) this.#events.push({ kind, t_ns, vcpu: ref(vcpu) });
  }

  /** Stop recording (if the window has not closed itself) and give the record; call once `doneAt` the host's time. */
  finish(): SchedTrace {
    if (this.#stopped_ns < 0) this.#stop(this.#end_ns, false);
    return this.trace();
  }

  /** The record so far. */
  trace(): SchedTrace {
    const { start_ns, pcpus, tslice_ms, initial, max_events } = this.#window;
    return {
      start_ns,
      end_ns: this.#stopped_ns >= 0 ? this.#stopped_ns : this.#end_ns,
      requested_end_ns: this.#end_ns,
      pcpus,
      tslice_ms,
      initial,
      events: this.#events,
      max_events,
      truncated: this.#truncated,
    };
  }

  /** Events at the window's last ns still count (the window is [start, end]); a full record stops just before the event that would overflow it. */
  #accepts(t_ns: number): boolean {
    if (this.#stopped_ns >= 0) return false;
    if (t_ns > this.#end_ns) {
      this.#stop(this.#end_ns, false);
      return false;
    }
    if (this.#events.length >= this.#window.max_events) {
      this.#stop(t_ns, true);
      return false;
    }
    return true;
  }

  #stop(at_ns: number, truncated: boolean): void {
    this.#stopped_ns = at_ns;
    this.#truncated = truncated;
    this.#window.detach();
  }
}

/** What an estimate of a trace's size needs to know of the host. */
export interface TraceSizeFacts {
  readonly pcpus: number;
  readonly online_vcpus: number;
  readonly tick_ns: number;
  readonly tslice_ms: number;
}

/**
 * Roughly how many events `duration_ns` of trace will hold, to refuse a window
 * up front: two switches per pCPU per tick (a CPU-bound host switches about
 * once a slice; a host of short duty cycles more), and per accounting period a
 * ledger entry and a boost or park per online vCPU. The recorder stops at its
 * limit anyway, so an estimate too low gives a truncated trace, never more.
 */
export function estimateTraceEvents(facts: TraceSizeFacts, duration_ns: number): number {
  const ticks = Math.ceil(duration_ns / facts.tick_ns);
  const periods = Math.ceil(duration_ns / (facts.tslice_ms * NS_PER_MS));
  return 2 * facts.pcpus * ticks + 2 * facts.online_vcpus * periods;
}
