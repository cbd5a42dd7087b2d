/** Every named schema, registered once on the Fastify instance (validation, serialisation and OpenAPI). */
import type { TSchema } from '@sinclair/typebox';
import { Affinity, DomainName, DomainRef, ErrorResponse, Workload, WorkloadCpu, WorkloadDuty, WorkloadIdle } from './common.ts';
import {
  CreateDomainRequest,
  Domain,
  DomainList,
  DomainPage,
  DomainSched,
  DomainSchedChange,
  SetAffinityRequest,
  SetDomainSchedRequest,
  SetVcpusRequest,
  UpdateDomainRequest,
  Vcpu,
  VcpuList,
} from './domain.ts';
import { AdvanceClockRequest, Clock, Health, HostInfo, Pcpu, PcpuList, Scheduler, SetClockRequest, SetSchedulerRequest } from './host.ts';
import {
  AddMemberRequest,
  CreateSchedulingDomainRequest,
  SchedulingDomain,
  SchedulingDomainList,
  SchedulingDomainPage,
  SetMemberShareRequest,
  UpdateSchedulingDomainRequest,
} from './scheduling-domain.ts';
import { CPUPOOL_SCHEMAS } from './cpupool.ts';
import { EVENT_SCHEMAS } from './event.ts';
import { LAB_SCHEMAS } from './lab.ts';
import { TRACE_SCHEMAS } from './trace.ts';
import { USAGE_SCHEMAS } from './usage.ts';

export const NAMED_SCHEMAS: readonly TSchema[] = [
  ErrorResponse,
  DomainRef,
  DomainName,
  WorkloadCpu,
  WorkloadIdle,
  WorkloadDuty,
  Workload,
  Affinity,
  DomainSched,
  DomainSchedChange,
  Domain,
  DomainList,
  DomainPage,
  CreateDomainRequest,
  UpdateDomainRequest,
  SetDomainSchedRequest,
  Vcpu,
  VcpuList,
  SetVcpusRequest,
  SetAffinityRequest,
  Clock,
  HostInfo,
  Pcpu,
  PcpuList,
  SetClockRequest,
  AdvanceClockRequest,
  Scheduler,
  SetSchedulerRequest,
  Health,
  SchedulingDomain,
  SchedulingDomainList,
  SchedulingDomainPage,
  AddMemberRequest,
  CreateSchedulingDomainRequest,
  UpdateSchedulingDomainRequest,
  SetMemberShareRequest,
  ...CPUPOOL_SCHEMAS,
  ...USAGE_SCHEMAS,
  ...LAB_SCHEMAS,
  ...TRACE_SCHEMAS,
  ...EVENT_SCHEMAS,
];
