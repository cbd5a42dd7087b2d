/**
 * The `cpu_pool` class (XenAPI 1.0.10's cpupools) and `VM.cpu_pool_migrate`,
 * over the control layer's cpupools (a VM's `cpu_pool` field, and so its
 * getter, is in its record). A pool's ref comes from its id and name (values.ts).
 */
import type { CpupoolView } from '../control/index.ts';
import type { XenApiContext } from './context.ts';
import type { Args, Param } from './dispatcher.ts';
import { failure } from './failure.ts';
import type { VmHandle } from './objects.ts';
import { cpuPoolRef, cpuPoolUuid } from './values.ts';

const POOL: Param = { name: 'self', type: { ref: 'cpu_pool' } };
const CPU: Param = { name: 'host_cpu', type: { ref: 'host_cpu' } };


export function cpuPoolCalls(api: XenApiContext): void {
  const { dispatcher, objects, control } = api;
  const { cpupools } = control;
  dispatcher.resolver('cpu_pool', (ref) => cpupools.list().find((pool) => cpuPoolRef(pool) === ref));

  const record = (pool: CpupoolView): Record<string, unknown> => {
    const live = new Set(control.domains.list().filter((d) => d.state !== 'halted').map((d) => d.id));
    return {
      uuid: cpuPoolUuid(pool),
      name_label: pool.name,
      name_description: '',
      resident_on: objects.hostRef,
      auto_power_on: false,
      host_CPUs: pool.pcpus.map((n) => objects.cpus[n]!),
      started_VMs: pool.domains.filter((d) => live.has(d.id)).flatMap((d) => objects.vmByDomid(d.id)?.ref ?? []),
      ncpu: String(pool.pcpus.length),
      sched_policy: pool.sched,
      proposed_CPUs: [],
      other_config: {},
      tags: [],
    };
  };
  const pool = (args: Args): CpupoolView => args.ref<CpupoolView>(0);

  dispatcher.add('cpu_pool.get_all', { params: [], handler: () => cpupools.list().map(cpuPoolRef) });
  dispatcher.add('cpu_pool.get_all_records', { params: [], handler: () => Object.fromEntries(cpupools.list().map((p) => [cpuPoolRef(p), record(p)])) });
  dispatcher.add('cpu_pool.get_record', { params: [POOL], handler: (args) => record(pool(args)) });
  dispatcher.add('cpu_pool.get_by_name_label', {
    params: [{ name: 'label', type: 'string' }],
    handler: (args) => cpupools.list().filter((p) => p.name === args.str(0)).map(cpuPoolRef),
  });
  for (const field of ['uuid', 'name_label', 'host_CPUs', 'started_VMs', 'sched_policy', 'ncpu', 'resident_on'] as const) {
    dispatcher.add(`cpu_pool.get_${field}`, { params: [POOL], handler: (args) => record(pool(args))[field] });
  }

  // cpu_pool.create(record): name_label, sched_policy (default Pool-0's); its CPUs are added afterwards (add_host_CPU_live).
  dispatcher.add('cpu_pool.create', {
    params: [{ name: 'args', type: 'record' }],
    handler: (args) => {
      const given = args.record(0);
      const name = given['name_label'];
      if (typeof name !== 'string') throw failure('FIELD_TYPE_ERROR', 'name_label');
      const sched = given['sched_policy'];
      if (sched !== undefined && sched !== '' && sched !== 'credit' && sched !== 'credit2') throw failure('INVALID_VALUE', 'sched_policy', `credit or credit2, got ${String(sched)}`);
      return cpuPoolRef(cpupools.create({ name, ...(sched === 'credit' || sched === 'credit2' ? { sched } : {}) }));
    },
  });
  dispatcher.add('cpu_pool.destroy', { params: [POOL], handler: (args) => void cpupools.destroy(String(pool(args).id)) });
  dispatcher.add('cpu_pool.add_host_CPU_live', {
    params: [POOL, CPU],
    handler: (args) => void cpupools.addPcpu(String(pool(args).id), args.ref<number>(1)),
  });
  dispatcher.add('cpu_pool.remove_host_CPU_live', {
    params: [POOL, CPU],
    handler: (args) => void cpupools.removePcpu(String(pool(args).id), args.ref<number>(1)),
  });

  dispatcher.add('VM.cpu_pool_migrate', {
    params: [{ name: 'self', type: { ref: 'VM' } }, { name: 'cpu_pool', type: { ref: 'cpu_pool' } }],
    handler: (args) => void cpupools.moveDomain(String(args.ref<VmHandle>(0).domid), String(args.ref<CpupoolView>(1).id)),
  });
}
