/**
 * XenAPI tasks, for the `Async.*` calls clients make: the call runs at once
 * (control-layer operations are synchronous), and its task records how it
 * ended, as XAPI's would once finished. Tasks live in memory, at most
 * MAX_TASKS of them (the oldest go first).
 */
import { randomUUID } from 'node:crypto';
import type { XenApiFailure } from './failure.ts';
import { NULL_REF, refOf, XenFloat, type XenDateTime } from './values.ts';
import { valueXml } from './xml-rpc.ts';

export const MAX_TASKS = 1024;

interface Task {
  readonly uuid: string;
  readonly name_label: string;
  readonly created: XenDateTime;
  readonly finished: XenDateTime;
  readonly status: 'success' | 'failure';
  /** The result as an XML-RPC value (as XAPI stores it); '' for none. */
  readonly result: string;
  readonly error_info: readonly string[];
}

/** The fields of a task's record, in its order. */
export const TASK_FIELDS = [
  'uuid', 'name_label', 'name_description', 'allowed_operations', 'current_operations', 'created', 'finished', 'status', 'resident_on',
  'progress', 'type', 'result', 'error_info', 'other_config', 'subtask_of', 'subtasks', 'backtrace',
] as const;

export type TaskChange = (operation: 'add' | 'del', ref: string) => void;

export class TaskTable {
  private readonly tasks = new Map<string, Task>();
  private readonly hostRef: string;
  /** The simulated clock's time, as every XenAPI time is. */
  private readonly now: () => XenDateTime;
  private readonly changed: TaskChange;

  constructor(hostRef: string, now: () => XenDateTime, changed: TaskChange) {
    this.hostRef = hostRef;
    this.now = now;
    this.changed = changed;
  }

  /** Run `call` as the task `name`; answers the task's ref (its outcome is in the task, never thrown). */
  async run(name: string, call: () => Promise<unknown>, toFailure: (error: unknown) => XenApiFailure): Promise<string> {
    const created = this.now();
    let outcome: Pick<Task, 'status' | 'result' | 'error_info'>;
    try {
      const value = await call();
      outcome = { status: 'success', result: value === undefined ? '' : valueXml(value), error_info: [] };
    } catch (error) {
      outcome = { status: 'failure', result: '', error_info: toFailure(error).description };
    }
    const uuid = randomUUID();
    const ref = refOf(uuid);
    this.tasks.set(ref, { uuid, name_label: name, created, finished: this.now(), ...outcome });
    this.changed('add', ref);
    if (this.tasks.size > MAX_TASKS) this.destroy(this.tasks.keys().next().value!);
    return ref;
  }

  has(ref: string): boolean {
    return this.tasks.has(ref);
  }

  refs(): string[] {
    return [...this.tasks.keys()];
  }

  record(ref: string): Record<string, unknown> | undefined {
    const task = this.tasks.get(ref);
    if (task === undefined) return undefined;
    return {
      uuid: task.uuid,
      name_label: task.name_label,
      name_description: '',
      allowed_operations: [],
      current_operations: {},
      created: task.created,
      finished: task.finished,
      status: task.status,
      resident_on: this.hostRef,
      progress: new XenFloat(1),
      type: '',
      result: task.result,
      error_info: [...task.error_info],
      other_config: {},
      subtask_of: NULL_REF,
      subtasks: [],
      backtrace: '()',
    };
  }

  destroy(ref: string): void {
    if (this.tasks.delete(ref)) this.changed('del', ref);
  }
}
