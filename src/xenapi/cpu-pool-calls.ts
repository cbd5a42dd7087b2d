/**
 * The `cpu_pool` class (xend's cpupools, XenAPI 1.0.10) and
 * `VM.cpu_pool_migrate`, over the control layer's cpupools, described like
 * every other class (a VM's `cpu_pool` field, and so its getter, is in its
 * record). A pool's ref comes from its id and name (values.ts).
 */
import type { CpupoolView } from '../control/index.ts';
import { describeClass } from './classes.ts';
import type { XenApiContext } from './context.ts';
import type { Args, Param } from './dispatcher.ts';
import { failure } from './failure.ts';
import type { VmHandle } from './objects.ts';
import { cpuPoolRef } from './values.ts';

const POOL: Param = { name: 'self', type: { ref: 'cpu_pool' } };
const CPU: Param = { name: 'host_cpu', type: { ref: 'host_cpu' } };

export function cpuPoolCalls(api: XenApiContext): void {
  const { dispatcher, control } = api;
  const { cpupools } = control;
  dispatcher.resolver('cpu_pool', (ref) => cpupools.list().find((pool) => cpuPoolRef(pool) === ref));
  const id = (args: Args, i = 0): string => String(args.ref<CpupoolView>(i).id);

  const add = describeClass(api, {
    name: 'cpu_pool',
    event: 'cpu_pool',
    fields: Object.keys(api.reader().cpuPool(cpupools.list()[0]!)),
    refs: () => cpupools.list().map(cpuPoolRef),
    byNameLabel: true,
  });

  // cpu_pool.create(record): name_label, sched_policy (default Pool-0's); its CPUs are added afterwards (add_host_CPU_live).
  add('create', {
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
  add('destroy', { params: [POOL], handler: (args) => void cpupools.destroy(id(args)) });
  add('add_host_CPU_live', { params: [POOL, CPU], handler: (args) => void cpupools.addPcpu(id(args), args.ref<number>(1)) });
  add('remove_host_CPU_live', { params: [POOL, CPU], handler: (args) => void cpupools.removePcpu(id(args), args.ref<number>(1)) });

  dispatcher.add('VM.cpu_pool_migrate', {
    params: [{ name: 'self', type: { ref: 'VM' } }, { name: 'cpu_pool', type: { ref: 'cpu_pool' } }],
    handler: (args) => void cpupools.moveDomain(String(args.ref<VmHandle>(0).domid), id(args, 1)),
  });
}
