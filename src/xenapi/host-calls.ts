/** `system`, `session`, `pool` (one), `host` (one) and `host_cpu` (one per pCPU). */
import type { Args } from './dispatcher.ts';
import type { XenApiContext } from './context.ts';
import { describeClass } from './classes.ts';
import { refOf } from './values.ts';

export function hostCalls(api: XenApiContext): void {
  const { dispatcher, objects, sessions } = api;
  const string = (name: string) => ({ name, type: 'string' }) as const;
  dispatcher.resolver('pool', (ref) => (ref === objects.poolRef ? ref : undefined));
  dispatcher.resolver('host', (ref) => (ref === objects.hostRef ? ref : undefined));
  dispatcher.resolver('host_cpu', (ref) => objects.cpuNumber(ref));
  dispatcher.resolver('session', (ref) => (sessions.has(ref) ? ref : undefined));

  dispatcher.add('system.listMethods', { session: false, params: [], handler: () => dispatcher.names() });

  dispatcher.add('session.login_with_password', {
    session: false,
    params: [string('uname'), string('pwd'), string('version'), string('originator')],
    optional: 2,
    handler: (args: Args, call) => sessions.login(args.str(0), args.str(1), args.has(3) ? args.str(3) : '', call),
  });
  dispatcher.add('session.logout', { params: [], handler: (_args: Args, call) => void sessions.end(call.session) });
  dispatcher.add('session.get_this_host', { params: [{ name: 'self', type: { ref: 'session' } }], handler: () => objects.hostRef });
  dispatcher.add('session.get_uuid', { params: [{ name: 'self', type: { ref: 'session' } }], handler: (args: Args) => sessions.get(args.ref(0)).uuid });

  const reader = api.reader();
  describeClass(api, { name: 'pool', event: 'pool', fields: Object.keys(objects.poolRecord()), refs: () => [objects.poolRef] });
  describeClass(api, { name: 'host', event: 'host', fields: Object.keys(objects.hostRecord()), refs: () => [objects.hostRef], byNameLabel: true });
  describeClass(api, {
    name: 'host_cpu',
    event: 'host_cpu',
    fields: Object.keys(reader.hostCpu(0)),
    refs: () => [...objects.cpus],
    byUuid: (uuid) => (objects.cpuNumber(refOf(uuid)) === undefined ? undefined : refOf(uuid)),
  });
}
