/** /api/v1/host and /api/v1/scheduler: translation only, the control layer does the work. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ref } from '../../schemas/common.ts';
import { AdvanceClockRequest, Clock, HostInfo, PcpuList, Scheduler, SetClockRequest, SetSchedulerRequest } from '../../schemas/host.ts';
import { described, responses } from '../../schemas/responses.ts';
import { versioned } from '../conditional.ts';
import { doc } from './route-docs.ts';

export const hostRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { host } = app.control;

  app.get('/host', {
    schema: {
      ...doc('getHost', 'host', 'Describe the host', 'pCPUs, scheduler, the simulated clock and the daemon version.'),
      response: responses({ 200: described(ref(HostInfo), 'The host.') }),
    },
  }, async () => host.info());

  app.get('/host/pcpus', {
    schema: {
      ...doc('listPcpus', 'host', 'List the pCPUs', 'Per pCPU: what runs there, busy and idle time.'),
      response: responses({ 200: described(ref(PcpuList), 'Every pCPU.') }),
    },
  }, async () => host.listPcpus());

  app.put('/host/clock', {
    schema: {
      ...doc('setClock', 'host', 'Set the clock speed', '1 = real time, 0 = frozen, up to 1000 = accelerated; kept across restarts.'),
      body: ref(SetClockRequest),
      response: responses({ 200: described(ref(Clock), 'The clock after the change.') }),
    },
  }, async (request) => host.setSpeed(request.body.speed));

  app.post('/host/clock/advance', {
    schema: {
      ...doc('advanceClock', 'host', 'Advance the simulated clock', 'Run the simulation forward that much simulated time (`ms` or `ns`), now (after any advance already running). The daemon keeps answering other requests while it computes.'),
      body: ref(AdvanceClockRequest),
      response: responses({ 200: described(ref(Clock), 'The clock after advancing.') }),
    },
  }, async (request) => host.advance(request.body));

  app.get('/scheduler', {
    config: versioned('scheduler', undefined, 'strong'),
    schema: {
      ...doc('getScheduler', 'scheduler', 'Get the scheduler parameters', "Pool-0's scheduler parameters: credit's (tick_ms is read-only) or credit2's, as the host booted (the same as /cpupools/0/scheduler)."),
      response: responses({ 200: described(ref(Scheduler), 'The scheduler parameters.') }),
    },
  }, async () => host.getScheduler());

  app.put('/scheduler', {
    config: versioned('scheduler', undefined, 'strong'),
    schema: {
      ...doc('setScheduler', 'scheduler', 'Set the scheduler parameters', "Pool-0's: under credit any of tslice_ms, ratelimit_us and accounting, or all three with a profile (xen-3.1 or xen-4.x); under credit2 ratelimit_us and inflight_credit, or a profile (xen-4.21 or xen-4.14); persisted."),
      body: ref(SetSchedulerRequest),
      response: responses({ 200: described(ref(Scheduler), 'The scheduler parameters after the change.') }),
    },
  }, async (request) => host.setScheduler(request.body));
};
