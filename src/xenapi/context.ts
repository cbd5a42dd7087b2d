/** What the XenAPI call handlers share. */
import type { Control } from '../control/index.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { EventLog } from './event-log.ts';
import type { XenObjects } from './objects.ts';
import type { RecordReader } from './records.ts';
import type { SessionTable } from './sessions.ts';
import type { TaskTable } from './tasks.ts';

export interface XenApiContext {
  readonly control: Control;
  readonly dispatcher: Dispatcher;
  readonly objects: XenObjects;
  readonly sessions: SessionTable;
  readonly tasks: TaskTable;
  readonly log: EventLog;
  /** A reader for one batch of records (one answer). */
  reader(): RecordReader;
}
