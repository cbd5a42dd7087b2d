/**
 * The Xen API's own room: sessions, tasks, an event log and the objects' refs,
 * over the control layer, behind one dispatcher. Its transports (JSON-RPC and
 * XML-RPC) are routes in src/http.
 */
import type { Control } from '../control/index.ts';
import type { XenApiContext } from './context.ts';
import { cpuPoolCalls } from './cpu-pool-calls.ts';
import { Dispatcher } from './dispatcher.ts';
import { eventCalls } from './event-calls.ts';
import { changesOf, EventLog } from './event-log.ts';
import { hostCalls } from './host-calls.ts';
import { XenObjects, type HostIdentity } from './objects.ts';
import { RecordReader } from './records.ts';
import { SessionTable } from './sessions.ts';
import { TaskTable } from './tasks.ts';
import { vmCalls } from './vm-calls.ts';

export interface XenApi extends XenApiContext {
  /** Stop following the control layer's events and end every long poll. */
  close(): void;
}

export interface XenApiOptions extends HostIdentity {
  /** Tests a login's password against NEMESIS_TOKEN; undefined when no token is configured (logins from loopback only). */
  readonly isToken: ((password: string) => boolean) | undefined;
}

export function createXenApi(control: Control, options: XenApiOptions): XenApi {
  const objects = new XenObjects(control, { address: options.address, hostname: options.hostname });
  const log = new EventLog();
  const tasks = new TaskTable(objects.hostRef, () => objects.now(), (operation, ref) => log.append([{ cls: 'task', operation, ref }]));
  const sessions = new SessionTable(options.isToken);
  const dispatcher = new Dispatcher(sessions);
  const unfollow = control.events.follow((event) => {
    objects.learn(event);
    log.append(changesOf(event, objects));
    objects.forget(event);
  });
  const api: XenApi = {
    control,
    dispatcher,
    objects,
    sessions,
    tasks,
    log,
    reader: () => new RecordReader(objects, tasks),
    close() {
      unfollow();
      log.close();
    },
  };
  hostCalls(api);
  vmCalls(api);
  cpuPoolCalls(api);
  eventCalls(api);
  return api;
}

