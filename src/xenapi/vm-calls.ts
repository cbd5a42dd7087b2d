/**
 * The `VM` class (with scheduling domains, the patch set's missing piece),
 * `VM_metrics`, and `Async.VM.*`. Each call is one control-layer call (a
 * start paused is two); requests are checked against the REST API's own
 * schemas first, so both front doors accept exactly the same values.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import fastJson from 'fast-json-stringify';
import type { PowerAction } from '../control/index.ts';
import { NAMED_SCHEMAS } from '../schemas/index.ts';
import { AJV_OPTIONS } from '../schemas/validation.ts';
import { XenApiVmRecord } from '../schemas/xenapi.ts';
import { CreateDomainRequest, SetDomainSchedRequest, SetVcpusRequest, UpdateDomainRequest } from '../schemas/domain.ts';
import type { Args, MethodSpec, Param } from './dispatcher.ts';
import type { XenApiContext } from './context.ts';
import { describeClass } from './classes.ts';
import { failure, toFailure, type XenApiFailure } from './failure.ts';
import type { VmHandle } from './objects.ts';
import { reusingRecordsJson } from './records-json.ts';
import { refOf } from './values.ts';
import { DEFAULT_SCHED_PARAMS, DOMAIN0_ID } from '../vocabulary/domains.ts';
import { BYTES_PER_MB } from '../vocabulary/units.ts';

/** VM records are the large answers (get_all_records on many VMs): compiled serializers write them. */
const vmRecordJson = fastJson(XenApiVmRecord);
const SCHED_KEYS = Object.keys(DEFAULT_SCHED_PARAMS);
const VM: Param = { name: 'self', type: { ref: 'VM' } };
const int = (name: string): Param => ({ name, type: 'int' });

/** XenAPI's names for the REST request fields (for INVALID_VALUE). */
const XEN_FIELDS: Record<string, string> = {
  name: 'name_label',
  vcpus: 'VCPUs_at_startup',
  max_vcpus: 'VCPUs_max',
  memory_mb: 'memory_static_max',
  weight: 'VCPUs_params',
  cap: 'VCPUs_params',
  online: 'VCPUs_number',
};

/** The REST API's request schemas, as its routes validate them (formats only describe responses). */
const ajv = new Ajv({ ...AJV_OPTIONS });
for (const schema of NAMED_SCHEMAS) ajv.addSchema(schema);

/** `value` if the REST schema accepts it; INVALID_VALUE naming the XenAPI field otherwise. */
function checked<T extends TSchema>(schema: T, value: unknown): Static<T> {
  const validate = ajv.getSchema(schema.$id!)!;
  if (validate(value)) return value as Static<T>;
  const error = validate.errors?.[0];
  const field = error?.instancePath.split('/')[1] ?? '';
  throw failure('INVALID_VALUE', XEN_FIELDS[field] ?? field, `${field}: ${error?.message ?? 'not accepted'}`);
}

function megabytes(bytes: number): number {
  if (bytes <= 0 || bytes % BYTES_PER_MB !== 0) throw failure('INVALID_VALUE', 'memory_static_max', `must be a positive whole number of MiB, in bytes; got ${bytes}`);
  return bytes / BYTES_PER_MB;
}

/** A VCPUs_params entry: key weight or cap, value a decimal string, as `xe vm-param-set VCPUs-params:weight=512` writes it. */
function schedEntry(key: string, value: string): { weight?: number; cap?: number } {
  if (!SCHED_KEYS.includes(key)) throw failure('INVALID_VALUE', 'VCPUs_params', `unknown key "${key}": the credit scheduler takes weight and cap`);
  if (!/^[0-9]{1,10}$/.test(value)) throw failure('INVALID_VALUE', 'VCPUs_params', `${key} must be a whole number as a string, got "${value}"`);
  return { [key]: Number(value) };
}

/** An int field of a record given to VM.create (XML-RPC clients send ints as strings). */
function recordInt(record: Record<string, unknown>, field: string): number | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw failure('FIELD_TYPE_ERROR', field);
  return n;
}

export function vmCalls(api: XenApiContext): void {
  const { dispatcher, objects, control, tasks } = api;
  const { domains, schedulingDomains } = control;
  const id = (vm: VmHandle): string => String(vm.domid);
  dispatcher.resolver('VM', (ref) => objects.vm(ref));
  dispatcher.resolver('VM_metrics', (ref) => objects.vmByMetrics(ref));

  const power = (action: PowerAction) => (args: Args): void => void domains.power(id(args.ref(0)), action);
  const setSched = (vm: VmHandle, sched: { weight?: number; cap?: number }): void => void domains.setSched(id(vm), checked(SetDomainSchedRequest, sched));
  const update = (vm: VmHandle, spec: Record<string, unknown>): void => void domains.update(id(vm), checked(UpdateDomainRequest, spec));
  const addEntry = (args: Args): void => setSched(args.ref(0), schedEntry(args.str(1), args.str(2)));

  /** Join `master`'s scheduling domain, or leave (`master` undefined): a member leaves its group; a master's leaving dissolves it. */
  const setSchedulingDomain = (vm: VmHandle, master: VmHandle | undefined): void => {
    const current = objects.memberships().get(vm.domid);
    if (master === undefined) {
      if (current?.master === vm.domid) schedulingDomains.remove(id(vm));
      else if (current !== undefined) schedulingDomains.removeMember(String(current.master), id(vm));
    } else if (current?.master !== master.domid || master.domid === vm.domid) {
      schedulingDomains.addMember(id(master), { domain: id(vm) });
    }
  };
  /** A member's share of its master's credit, or a master's (or a lone VM's) master share. */
  const setShare = (vm: VmHandle, share: number): void => {
    const current = objects.memberships().get(vm.domid);
    if (current === undefined || current.master === vm.domid) schedulingDomains.update(id(vm), { master_share: share });
    else schedulingDomains.setMemberShare(String(current.master), id(vm), { share });
  };

  const addVm = describeClass(api, {
    name: 'VM',
    event: 'vm',
    fields: Object.keys(XenApiVmRecord.properties),
    refs: () => objects.vmRefs(),
    byUuid: (uuid) => objects.vm(refOf(uuid))?.ref,
    byNameLabel: true,
    json: { record: vmRecordJson, records: reusingRecordsJson(vmRecordJson) },
    writable: {
      name_label: { type: 'string', set: (args) => update(args.ref(0), { name: args.str(1) }) },
      VCPUs_max: { type: 'int', set: (args) => update(args.ref(0), { max_vcpus: args.int(1) }) },
      VCPUs_at_startup: { type: 'int', set: (args) => update(args.ref(0), { vcpus: args.int(1) }) },
      memory_static_max: { type: 'int', set: (args) => update(args.ref(0), { memory_mb: megabytes(args.int(1)) }) },
      scheduling_domain: { type: { ref: 'VM', nullable: true }, set: (args) => setSchedulingDomain(args.ref(0), args.ref(1)) },
      scheduling_domain_share: { type: 'int', set: (args) => setShare(args.ref(0), args.int(1)) },
    },
    maps: {
      VCPUs_params: {
        set: (args) => {
          const entries = Object.entries(args.map(1)).reduce((acc, [key, value]) => ({ ...acc, ...schedEntry(key, value) }), {});
          setSched(args.ref(0), { ...DEFAULT_SCHED_PARAMS, ...entries });
        },
        add: addEntry,
        // Removing a key puts its default back.
        remove: (args) => {
          const key = args.str(1);
          if (SCHED_KEYS.includes(key)) setSched(args.ref(0), { [key]: DEFAULT_SCHED_PARAMS[key as keyof typeof DEFAULT_SCHED_PARAMS] });
        },
      },
    },
  });
  /** Add `VM.<name>`, and `Async.VM.<name>` when `async`. */
  const add = (name: string, spec: MethodSpec, async = false): void => {
    addVm(name, spec);
    if (!async) return;
    dispatcher.add(`Async.VM.${name}`, {
      params: spec.params,
      handler: (args, call) => {
        const vm = args.raw[0];
        const failed = (error: unknown): XenApiFailure => {
          const result = toFailure(error, typeof vm === 'string' ? vm : undefined);
          if (result.unexpected) dispatcher.onUnexpected(error, `Async.VM.${name}`);
          return result;
        };
        return tasks.run(`Async.VM.${name}`, async () => spec.handler(args, call), failed);
      },
    });
  };

  add('create', {
    params: [{ name: 'args', type: 'record' }],
    handler: (args) => {
      const given = args.record(0);
      const name = given['name_label'];
      if (typeof name !== 'string') throw failure('FIELD_TYPE_ERROR', 'name_label');
      const memory = recordInt(given, 'memory_static_max');
      const params = given['VCPUs_params'] ?? {};
      if (typeof params !== 'object' || params === null || Array.isArray(params)) throw failure('FIELD_TYPE_ERROR', 'VCPUs_params');
      const sched = Object.entries(params).reduce((acc, [key, value]) => ({ ...acc, ...schedEntry(key, String(value)) }), {});
      const optional = {
        vcpus: recordInt(given, 'VCPUs_at_startup'),
        max_vcpus: recordInt(given, 'VCPUs_max'),
        memory_mb: memory === undefined ? undefined : megabytes(memory),
      };
      const spec = { name, ...sched, ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)) };
      const created = domains.create(checked(CreateDomainRequest, spec));
      return objects.vmByDomid(created.id)!.ref;
    },
  }, true);
  add('destroy', { params: [VM], handler: (args) => void domains.remove(id(args.ref(0))) }, true);
  add('start', {
    params: [VM, { name: 'start_paused', type: 'bool' }, { name: 'force', type: 'bool' }],
    handler: (args) => {
      domains.power(id(args.ref(0)), 'start');
      if (args.bool(1)) domains.power(id(args.ref(0)), 'pause');
    },
  }, true);
  add('pause', { params: [VM], handler: power('pause') }, true);
  add('unpause', { params: [VM], handler: power('unpause') }, true);
  add('clean_shutdown', { params: [VM], handler: power('shutdown') }, true);
  add('hard_shutdown', { params: [VM], handler: power('destroy') }, true);

  add('set_VCPUs_number_live', {
    params: [VM, int('nvcpu')],
    handler: (args) => void domains.setOnlineVcpus(id(args.ref(0)), checked(SetVcpusRequest, { online: args.int(1) }).online),
  });
  // The scheduler's parameters always apply live: the _live variant is the same call.
  add('add_to_VCPUs_params_live', { params: [VM, { name: 'key', type: 'string' }, { name: 'value', type: 'string' }], handler: addEntry });
  add('get_scheduling_domain_members', {
    params: [VM],
    handler: (args) => {
      const group = schedulingDomains.list().find((g) => g.master === args.ref<VmHandle>(0).domid);
      return (group?.members ?? []).flatMap((m) => objects.vmByDomid(m.domain)?.ref ?? []);
    },
  });

  describeClass(api, {
    name: 'VM_metrics',
    event: 'vm_metrics',
    fields: Object.keys(api.reader().metrics(DOMAIN0_ID)!),
    refs: () => objects.metricsRefs(),
    // A metrics object's uuid is its ref's.
    byUuid: (uuid) => objects.vmByMetrics(refOf(uuid))?.metrics,
  });
}
