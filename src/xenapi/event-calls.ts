/**
 * The `event` class (event.from and event.inject, and the older
 * register/next/unregister) and the `task` class.
 */
import type { Args } from './dispatcher.ts';
import type { XenApiContext } from './context.ts';
import type { LogEntry, Operation } from './event-log.ts';
import { describeClass } from './classes.ts';
import { failure } from './failure.ts';
import { EVENT_CLASSES, type EventClass, type RecordReader, type XenRecord } from './records.ts';
import { TASK_FIELDS } from './tasks.ts';
import { refOf } from './values.ts';

/** The longest an event.from waits, whatever the client asks (s). */
export const MAX_EVENT_WAIT_S = 120;
/** How long event.next waits for an event before answering none (s). */
export const EVENT_NEXT_WAIT_S = 30;

/** What a client asked to watch: classes, and single objects (`vm/OpaqueRef:…`). */
interface Watch {
  readonly classes: ReadonlySet<EventClass>;
  readonly objects: ReadonlySet<string>;
}

function parseWatch(names: readonly string[]): Watch {
  const classes = new Set<EventClass>();
  const objects = new Set<string>();
  for (const name of names) {
    const [cls, ref] = name.toLowerCase() === '*' ? ['*', undefined] : [name.slice(0, name.includes('/') ? name.indexOf('/') : undefined).toLowerCase(), name.includes('/') ? name.slice(name.indexOf('/') + 1) : undefined];
    if (cls === '*') for (const c of EVENT_CLASSES) classes.add(c);
    else if ((EVENT_CLASSES as readonly string[]).includes(cls!)) {
      if (ref === undefined) classes.add(cls as EventClass);
      else objects.add(`${cls}/${ref}`);
    }
  }
  return { classes, objects };
}

const watches = (watch: Watch, entry: LogEntry): boolean => watch.classes.has(entry.cls) || watch.objects.has(`${entry.cls}/${entry.ref}`);

/** One event record per object: its latest operation (an add followed by changes stays an add), with its record now. */
function eventRecords(entries: readonly LogEntry[], reader: RecordReader): XenRecord[] {
  const latest = new Map<string, { entry: LogEntry; operation: Operation }>();
  for (const entry of entries) {
    const key = `${entry.cls}/${entry.ref}`;
    const before = latest.get(key);
    const operation = entry.operation === 'mod' && before?.operation === 'add' ? 'add' : entry.operation;
    latest.delete(key);
    latest.set(key, { entry, operation });
  }
  const records: XenRecord[] = [];
  for (const { entry, operation } of latest.values()) {
    const snapshot = operation === 'del' ? undefined : reader.get(entry.cls, entry.ref);
    const gone = snapshot === undefined;
    records.push({
      id: String(entry.seq),
      class: entry.cls,
      operation: gone ? 'del' : operation,
      ref: entry.ref,
      ...(gone ? {} : { snapshot }),
    });
  }
  return records;
}

export function eventCalls(api: XenApiContext): void {
  const { dispatcher, log, tasks, sessions } = api;
  const registered = new Map<string, { classes: Set<string>; seq: number }>();
  sessions.onEnd = (ref) => void registered.delete(ref);

  /** Every object a watch covers, as `add` events (event.from with an empty token). */
  const everything = (watch: Watch, reader: RecordReader): XenRecord[] => {
    const records: XenRecord[] = [];
    for (const cls of EVENT_CLASSES) {
      for (const [ref, snapshot] of Object.entries(reader.all(cls))) {
        if (watch.classes.has(cls) || watch.objects.has(`${cls}/${ref}`)) records.push({ id: String(log.position), class: cls, operation: 'add', ref, snapshot });
      }
    }
    return records;
  };

  /** The entries after `seq` a watch covers, waiting up to `timeout_s` for one; undefined when lost. */
  const collect = async (seq: number, watch: Watch, timeout_s: number): Promise<LogEntry[] | undefined> => {
    const deadline = performance.now() + Math.min(Math.max(timeout_s, 0), MAX_EVENT_WAIT_S) * 1000;
    for (;;) {
      const entries = log.since(seq);
      if (entries === undefined) return undefined;
      const wanted = entries.filter((entry) => watches(watch, entry));
      const left_ms = deadline - performance.now();
      if (wanted.length > 0 || left_ms <= 0 || log.isClosed) return wanted;
      await log.wait(left_ms);
    }
  };

  dispatcher.add('event.from', {
    params: [{ name: 'classes', type: 'strings' }, { name: 'token', type: 'string' }, { name: 'timeout', type: 'float' }],
    handler: async (args: Args) => {
      const watch = parseWatch(args.strings(0));
      const token = args.str(1);
      let events: XenRecord[];
      let position = log.position;
      if (token === '') {
        events = everything(watch, api.reader());
      } else {
        const seq = log.parse(token);
        const entries = seq === undefined ? undefined : await collect(seq, watch, args.values[2] as number);
        if (entries === undefined) throw failure('EVENTS_LOST');
        position = log.position;
        events = eventRecords(entries, api.reader());
      }
      const reader = api.reader();
      const valid_ref_counts = Object.fromEntries([...watch.classes].map((cls) => [cls, reader.count(cls)]));
      return { events, valid_ref_counts, token: log.token(position) };
    },
  });

  dispatcher.add('event.inject', {
    params: [{ name: 'class', type: 'string' }, { name: 'ref', type: 'string' }],
    handler: (args: Args) => {
      const cls = args.str(0).toLowerCase() as EventClass;
      if (!EVENT_CLASSES.includes(cls) || api.reader().get(cls, args.str(1)) === undefined) throw failure('HANDLE_INVALID', args.str(0), args.str(1));
      log.append([{ cls, operation: 'mod', ref: args.str(1) }]);
      return log.token();
    },
  });

  dispatcher.add('event.register', {
    params: [{ name: 'classes', type: 'strings' }],
    handler: (args: Args, call) => {
      const entry = registered.get(call.session) ?? { classes: new Set<string>(), seq: log.position };
      for (const cls of args.strings(0)) entry.classes.add(cls);
      registered.set(call.session, entry);
    },
  });

  dispatcher.add('event.unregister', {
    params: [{ name: 'classes', type: 'strings' }],
    handler: (args: Args, call) => {
      const entry = registered.get(call.session);
      if (entry === undefined) return;
      for (const cls of args.strings(0)) entry.classes.delete(cls);
      if (entry.classes.size === 0) registered.delete(call.session);
    },
  });

  dispatcher.add('event.next', {
    params: [],
    handler: async (_args: Args, call) => {
      const entry = registered.get(call.session);
      if (entry === undefined) throw failure('SESSION_NOT_REGISTERED', call.session);
      const entries = await collect(entry.seq, parseWatch([...entry.classes]), EVENT_NEXT_WAIT_S);
      if (entries === undefined) {
        entry.seq = log.position;
        throw failure('EVENTS_LOST');
      }
      entry.seq = log.position;
      return eventRecords(entries, api.reader());
    },
  });

  dispatcher.resolver('task', (ref) => (tasks.has(ref) ? ref : undefined));
  const add = describeClass(api, {
    name: 'task',
    event: 'task',
    fields: TASK_FIELDS,
    refs: () => tasks.refs(),
    byUuid: (uuid) => (tasks.has(refOf(uuid)) ? refOf(uuid) : undefined),
    byNameLabel: true,
  });
  add('destroy', { params: [{ name: 'self', type: { ref: 'task' } }], handler: (args: Args) => void tasks.destroy(args.ref(0)) });
}
