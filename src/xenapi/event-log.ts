/**
 * XenAPI's event log: which object changed how (`add`, `mod`, `del`), in
 * order, fed by the control layer's event bus (and by tasks and
 * `event.inject`). Records are read when a client collects the events, so a
 * client always gets an object's latest state. Tokens name a position in
 * the log; one older than the log keeps, or from another daemon life, is
 * EVENTS_LOST, as XAPI's are.
 */
import { randomBytes } from 'node:crypto';
import { domidsOf, type ControlEvent } from '../control/index.ts';
import type { VmHandle } from './objects.ts';
import type { EventClass } from './records.ts';
import { cpuPoolRef } from './values.ts';

/** Log entries kept (older tokens are EVENTS_LOST). */
export const EVENT_LOG_SIZE = 4096;

export type Operation = 'add' | 'mod' | 'del';

export interface LogEntry {
  readonly seq: number;
  readonly cls: EventClass;
  readonly operation: Operation;
  readonly ref: string;
}

export type Change = Omit<LogEntry, 'seq'>;

export class EventLog {
  private readonly boot = randomBytes(4).toString('hex');
  /** A ring: the entry of position `seq` is at `(seq - 1) % EVENT_LOG_SIZE`, so an append never moves the others. */
  private readonly entries: LogEntry[] = [];
  private seq = 0;
  private readonly waiters = new Set<() => void>();
  private closed = false;

  append(changes: readonly Change[]): void {
    for (const change of changes) {
      this.seq += 1;
      this.entries[(this.seq - 1) % EVENT_LOG_SIZE] = { seq: this.seq, ...change };
    }
    if (changes.length > 0) this.wake();
  }

  get position(): number {
    return this.seq;
  }

  token(seq = this.seq): string {
    return `${this.boot}:${String(seq).padStart(16, '0')}`;
  }

  /** The position a token names, or undefined when it is from another life of the daemon or not a token. */
  parse(token: string): number | undefined {
    const [boot, seq] = token.split(':');
    const n = Number(seq);
    return boot === this.boot && /^[0-9]{16}$/.test(seq ?? '') && n <= this.seq ? n : undefined;
  }

  /** The entries after `seq`, or undefined when some of them are no longer kept. */
  since(seq: number): LogEntry[] | undefined {
    if (seq < this.seq - EVENT_LOG_SIZE) return undefined;
    const after: LogEntry[] = [];
    for (let position = seq + 1; position <= this.seq; position += 1) after.push(this.entries[(position - 1) % EVENT_LOG_SIZE]!);
    return after;
  }

  /** Resolves at the next append, after `timeout_ms`, or when the log closes. */
  wait(timeout_ms: number): Promise<void> {
    if (this.closed || timeout_ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeout_ms);
      this.waiters.add(done);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends every wait (the daemon is closing: long polls must not hold it open). */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const POWER_EVENTS = new Set(['domain.started', 'domain.paused', 'domain.unpaused', 'domain.shutdown', 'domain.destroyed']);

/** What changesOf needs to know of the objects: called before `forget` of the event, so a moved VM's pool is still its old one. */
export interface ChangedObjects {
  readonly hostRef: string;
  readonly pool0Ref: string;
  vmByDomid(domid: number): VmHandle | undefined;
  cpuPoolRefNamed(name: string): string;
  cpuPoolRefOfVm(domid: number): string | undefined;
}

/** The XenAPI objects a control-layer event changed. */
export function changesOf(event: ControlEvent, objects: ChangedObjects): Change[] {
  const { type } = event;
  const host: Change = { cls: 'host', operation: 'mod', ref: objects.hostRef };
  const pool = (ref: string | undefined, operation: Operation = 'mod'): Change[] => (ref === undefined ? [] : [{ cls: 'cpu_pool', operation, ref }]);
  switch (type) {
    case 'scheduler.updated':
      return [host, ...pool(objects.pool0Ref)];
    case 'cpupool.created':
    case 'cpupool.destroyed':
    case 'cpupool.pcpu-added':
    case 'cpupool.pcpu-removed':
    case 'cpupool.scheduler':
      return pool(cpuPoolRef({ id: event.data.cpupool, name: event.data.name }), type === 'cpupool.created' ? 'add' : type === 'cpupool.destroyed' ? 'del' : 'mod');
    default:
      break;
  }
  const vms = domidsOf(event).flatMap((id) => objects.vmByDomid(id) ?? []);
  const operation: Operation = type === 'domain.created' ? 'add' : type === 'domain.deleted' ? 'del' : 'mod';
  const changes: Change[] = [];
  for (const v of new Set(vms)) {
    changes.push({ cls: 'vm', operation, ref: v.ref });
    if (type.startsWith('domain.')) changes.push({ cls: 'vm_metrics', operation, ref: v.metrics });
  }
  if (POWER_EVENTS.has(type)) changes.push(host);
  // A pool's started_VMs: the VM's pool when it starts or stops, both pools when it moves.
  if (event.type === 'domain.started' || event.type === 'domain.shutdown' || event.type === 'domain.destroyed') changes.push(...pool(objects.cpuPoolRefOfVm(event.data.domain)));
  if (event.type === 'domain.cpupool') changes.push(...pool(objects.cpuPoolRefOfVm(event.data.domain)), ...pool(objects.cpuPoolRefNamed(event.data.cpupool)));
  return changes;
}
