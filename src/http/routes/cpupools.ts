/** /api/v1/cpupools and a domain's pool: translation only, the control layer does the work. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DomainRefParam, ref } from '../../schemas/common.ts';
import { AddCpupoolPcpuRequest, Cpupool, CpupoolList, CpupoolListQuery, CpupoolPage, CpupoolRefParam, CreateCpupoolRequest, MoveDomainRequest } from '../../schemas/cpupool.ts';
import { Domain } from '../../schemas/domain.ts';
import { Scheduler, SetSchedulerRequest } from '../../schemas/host.ts';
import { described, NoContent, responses } from '../../schemas/responses.ts';
import { versioned } from '../conditional.ts';
import { answerList, listOrPage } from '../pages.ts';
import { doc } from './route-docs.ts';

const PoolParams = Type.Object({ ref: CpupoolRefParam('The cpupool: id (Pool-0 is 0) or name.') });
const PoolPcpuParams = Type.Object({
  ref: CpupoolRefParam('The cpupool: id (Pool-0 is 0) or name.'),
  pcpu: Type.String({ pattern: '^[0-9]{1,4}$', description: 'A pCPU of the pool.' }),
});

export const cpupoolRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pools = app.control.cpupools;

  app.get('/cpupools', {
    schema: {
      ...doc(
        'listCpupools',
        'cpupools',
        'List cpupools',
        'Every cpupool (xl cpupool-list), Pool-0 first, then by id, in a bare array; or, with `limit`, one page `{items, next}` with a `Link` header (rel="next") to the next. Filter: `sched`. `include=version` gives each its version (for `If-Match`), `include=total` a page the count of every match.',
      ),
      querystring: CpupoolListQuery,
      response: responses({ 200: listOrPage(ref(CpupoolList), ref(CpupoolPage), 'Every cpupool that matches (a bare array), or one page of them (with `limit`).') }),
    },
  }, async (request, reply) => {
    const { limit, cursor, include, sched } = request.query;
    return answerList(request, reply, { limit, cursor, include }, sched === undefined ? {} : { sched }, pools, (p) => app.control.versions.current('cpupool', String(p.id))!.version);
  });

  app.post('/cpupools', {
    schema: {
      ...doc('createCpupool', 'cpupools', 'Create a cpupool', 'A named pool with a scheduler of its own (xl cpupool-create), taking free pCPUs.'),
      body: ref(CreateCpupoolRequest),
      response: responses({ 201: described(ref(Cpupool), 'Created; `Location` names it.') }, 409),
    },
  }, async (request, reply) => {
    const pool = pools.create(request.body);
    void reply.status(201).header('location', `/api/v1/cpupools/${pool.id}`);
    return pool;
  });

  app.get('/cpupools/:ref', {
    config: versioned('cpupool', 'ref', 'strong'),
    schema: {
      ...doc('getCpupool', 'cpupools', 'Get a cpupool', 'Its pCPUs, scheduler, domains and, under credit2, its runqueues.'),
      params: PoolParams,
      response: responses({ 200: described(ref(Cpupool), 'The cpupool.') }, 404),
    },
  }, async (request) => pools.get(request.params.ref));

  app.delete('/cpupools/:ref', {
    config: versioned('cpupool', 'ref', 'strong'),
    schema: {
      ...doc('deleteCpupool', 'cpupools', 'Destroy a cpupool', 'Its pCPUs become free (xl cpupool-destroy); not Pool-0, and not while domains live in it.'),
      params: PoolParams,
      response: responses({ 204: NoContent }, 404, 409),
    },
  }, async (request, reply) => {
    pools.destroy(request.params.ref);
    return reply.status(204).send();
  });

  app.post('/cpupools/:ref/pcpus', {
    config: versioned('cpupool', 'ref', 'strong'),
    schema: {
      ...doc('addCpupoolPcpu', 'cpupools', 'Add a pCPU to a cpupool', 'A free pCPU joins the pool (xl cpupool-cpu-add).'),
      params: PoolParams,
      body: ref(AddCpupoolPcpuRequest),
      response: responses({ 200: described(ref(Cpupool), 'The cpupool after the change.') }, 404, 409),
    },
  }, async (request) => pools.addPcpu(request.params.ref, request.body.pcpu));

  app.delete('/cpupools/:ref/pcpus/:pcpu', {
    config: versioned('cpupool', 'ref', 'strong'),
    schema: {
      ...doc('removeCpupoolPcpu', 'cpupools', 'Remove a pCPU from a cpupool', 'The pCPU becomes free (xl cpupool-cpu-remove); Pool-0 keeps one, and a pool keeps its last while domains live in it.'),
      params: PoolPcpuParams,
      response: responses({ 200: described(ref(Cpupool), 'The cpupool after the change.') }, 404, 409),
    },
  }, async (request) => pools.removePcpu(request.params.ref, Number(request.params.pcpu)));

  app.get('/cpupools/:ref/scheduler', {
    schema: {
      ...doc('getCpupoolScheduler', 'cpupools', "Get a cpupool's scheduler parameters", "Its policy's parameters and the profile they are (xl sched-credit -p / sched-credit2 -p)."),
      params: PoolParams,
      response: responses({ 200: described(ref(Scheduler), 'The parameters.') }, 404),
    },
  }, async (request) => pools.getScheduler(request.params.ref));

  app.put('/cpupools/:ref/scheduler', {
    config: versioned('cpupool', 'ref', 'strong'),
    schema: {
      ...doc('setCpupoolScheduler', 'cpupools', "Set a cpupool's scheduler parameters", "Only its policy's parameters, or one of its profiles; persisted."),
      params: PoolParams,
      body: ref(SetSchedulerRequest),
      response: responses({ 200: described(ref(Scheduler), 'The parameters after the change.') }, 404),
    },
  }, async (request) => pools.setScheduler(request.params.ref, request.body));

  app.put('/domains/:ref/cpupool', {
    config: versioned('domain', 'ref', 'weak'),
    schema: {
      ...doc('moveDomainToCpupool', 'domains', 'Move a domain to another cpupool', "xl cpupool-migrate: its vCPUs run on the new pool's pCPUs under its policy, weight and cap kept; not a domain in a scheduling domain."),
      params: Type.Object({ ref: DomainRefParam('The domain: domid or name.') }),
      body: ref(MoveDomainRequest),
      response: responses({ 200: described(ref(Domain), 'The domain after the move.') }, 404, 409),
    },
  }, async (request) => {
    const moved = pools.moveDomain(request.params.ref, request.body.cpupool);
    return app.control.domains.get(String(moved.domid));
  });
};
