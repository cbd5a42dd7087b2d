/** `system`, `session`, `pool` (one), `host` (one) and `host_cpu` (one per pCPU). */
import type { Args } from './dispatcher.ts';
import type { XenApiContext } from './context.ts';
import { failure } from './failure.ts';

export function hostCalls(api: XenApiContext): void {
  const { dispatcher, objects, sessions } = api;
  const string = (name: string) => ({ name, type: 'string' }) as const;
  const pool = { name: 'self', type: { ref: 'pool' } } as const;
  const host = { name: 'self', type: { ref: 'host' } } as const;
  const cpu = { name: 'self', type: { ref: 'host_cpu' } } as const;
  dispatcher.resolver('pool', (ref) => (ref === objects.poolRef ? ref : undefined));
  dispatcher.resolver('host', (ref) => (ref === objects.hostRef ? ref : undefined));
  dispatcher.resolver('host_cpu', (ref) => objects.cpuNumber(ref));
  dispatcher.resolver('session', (ref) => (sessions.has(ref) ? ref : undefined));

  dispatcher.add('system.listMethods', { session: false, params: [], handler: () => dispatcher.names() });

  dispatcher.add('session.login_with_password', {
    session: false,
    params: [string('uname'), string('pwd'), string('version'), string('originator')],
    optional: 2,
    handler: (args: Args, call) => sessions.login(args.str(0), args.str(1), args.has(3) ? args.str(3) : '', call.loopback),
  });
  dispatcher.add('session.logout', { params: [], handler: (_args: Args, call) => void sessions.end(call.session) });
  dispatcher.add('session.get_this_host', { params: [{ name: 'self', type: { ref: 'session' } }], handler: () => objects.hostRef });
  dispatcher.add('session.get_uuid', { params: [{ name: 'self', type: { ref: 'session' } }], handler: (args: Args) => sessions.get(args.ref(0)).uuid });

  dispatcher.add('pool.get_all', { params: [], handler: () => [objects.poolRef] });
  dispatcher.add('pool.get_all_records', { params: [], handler: () => api.reader().all('pool') });
  dispatcher.add('pool.get_record', { params: [pool], handler: () => objects.poolRecord() });
  dispatcher.add('pool.get_master', { params: [pool], handler: () => objects.hostRef });
  dispatcher.add('pool.get_uuid', { params: [pool], handler: () => objects.poolRecord()['uuid'] });

  dispatcher.add('host.get_all', { params: [], handler: () => [objects.hostRef] });
  dispatcher.add('host.get_all_records', { params: [], handler: () => api.reader().all('host') });
  dispatcher.add('host.get_record', { params: [host], handler: () => objects.hostRecord() });
  dispatcher.add('host.get_by_uuid', {
    params: [string('uuid')],
    handler: (args: Args) => {
      if (args.str(0) !== objects.hostUuid) throw failure('UUID_INVALID', 'host', args.str(0));
      return objects.hostRef;
    },
  });
  for (const field of ['uuid', 'name_label', 'address', 'hostname', 'host_CPUs', 'sched_policy', 'resident_VMs', 'software_version', 'API_version_major', 'API_version_minor'] as const) {
    dispatcher.add(`host.get_${field}`, { params: [host], handler: () => objects.hostRecord()[field] });
  }

  dispatcher.add('host_cpu.get_all', { params: [], handler: () => [...objects.cpus] });
  dispatcher.add('host_cpu.get_all_records', { params: [], handler: () => api.reader().all('host_cpu') });
  dispatcher.add('host_cpu.get_record', { params: [cpu], handler: (args: Args) => api.reader().hostCpu(args.ref(0)) });
  for (const field of ['uuid', 'number', 'utilisation', 'host'] as const) {
    dispatcher.add(`host_cpu.get_${field}`, { params: [cpu], handler: (args: Args) => api.reader().hostCpu(args.ref(0))[field] });
  }
}
