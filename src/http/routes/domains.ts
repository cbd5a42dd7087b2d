/** /api/v1/domains: translation only, the domain manager does the work. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PowerAction } from '../../control/index.ts';
import { ref } from '../../schemas/common.ts';
import {
  CreateDomainRequest,
  Domain,
  DomainList,
  DomainListQuery,
  DomainPage,
  DomainParams,
  DomainSched,
  DomainSchedChange,
  SetAffinityRequest,
  SetDomainSchedRequest,
  SetVcpusRequest,
  UpdateDomainRequest,
  Vcpu,
  VcpuList,
  VcpuParams,
} from '../../schemas/domain.ts';
import { described, NoContent, responses } from '../../schemas/responses.ts';
import { versioned } from '../conditional.ts';
import { answerList, listOrPage } from '../pages.ts';
import { doc } from './route-docs.ts';

const POWER_DOCS: Record<PowerAction, { id: string; summary: string; description: string }> = {
  start: { id: 'startDomain', summary: 'Start a domain', description: 'halted → running (its scheduling-domain membership applies again).' },
  pause: { id: 'pauseDomain', summary: 'Pause a domain', description: 'running → paused: its vCPUs stop being scheduled.' },
  unpause: { id: 'unpauseDomain', summary: 'Unpause a domain', description: 'paused → running.' },
  shutdown: { id: 'shutdownDomain', summary: 'Shut a domain down', description: 'running or paused → halted; configuration and memberships are kept.' },
  destroy: { id: 'destroyDomain', summary: 'Destroy a domain', description: 'running or paused → halted at once; configuration and memberships are kept.' },
};

export const domainRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { domains } = app.control;

  app.get('/domains', {
    schema: {
      ...doc(
        'listDomains',
        'domains',
        'List domains',
        'Every domain, Domain-0 first, in a bare array; or, with `limit`, one page `{items, next}` with a `Link` header (rel="next") to the next. Filters: `state`, `name` (a prefix), `scheduling_domain` (its master and members), `cpupool`. `include=version` gives each domain its version (for `If-Match`), `include=total` a page the count of every match. A walk from page to page sees each domain that exists throughout it exactly once; domains made during it are seen (their domids are higher), deleted ones at most once.',
      ),
      querystring: DomainListQuery,
      response: responses({ 200: listOrPage(ref(DomainList), ref(DomainPage), 'Every domain that matches (a bare array), or one page of them (with `limit`).') }, 404),
    },
  }, async (request, reply) => {
    const { limit, cursor, include, ...filters } = request.query;
    return answerList(request, reply, { limit, cursor, include }, filters, domains, (d) => app.control.versions.current('domain', String(d.id))!.version);
  });

  app.post('/domains', {
    schema: {
      ...doc('createDomain', 'domains', 'Create a domain', 'Created halted unless `start` is true; `affinity` (default "all") pins every vCPU, as the affinity call\'s `pcpus`. The new domid is never reused.'),
      body: ref(CreateDomainRequest),
      response: responses({ 201: described(ref(Domain), 'Created; `Location` names it.') }, 409),
    },
  }, async (request, reply) => {
    const domain = domains.create(request.body);
    void reply.status(201).header('location', `/api/v1/domains/${domain.id}`);
    return domain;
  });

  app.get('/domains/:ref', {
    config: versioned('domain', 'ref', 'weak'),
    schema: {
      ...doc('getDomain', 'domains', 'Get a domain', 'One domain, by domid or name.'),
      params: DomainParams,
      response: responses({ 200: described(ref(Domain), 'The domain.') }, 404),
    },
  }, async (request) => domains.get(request.params.ref));

  app.patch('/domains/:ref', {
    config: versioned('domain', 'ref', 'weak'),
    schema: {
      ...doc('updateDomain', 'domains', 'Change a domain', 'Change name, vCPUs, memory, weight, cap or workload; live domains change at once.'),
      params: DomainParams,
      body: ref(UpdateDomainRequest),
      response: responses({ 200: described(ref(Domain), 'The domain after the change.') }, 404, 409),
    },
  }, async (request) => domains.update(request.params.ref, request.body));

  app.delete('/domains/:ref', {
    config: versioned('domain', 'ref', 'weak'),
    schema: {
      ...doc('deleteDomain', 'domains', 'Delete a domain', 'Only when halted. Its membership goes; a group it is master of is dissolved.'),
      params: DomainParams,
      response: responses({ 204: NoContent }, 404, 409),
    },
  }, async (request, reply) => {
    domains.remove(request.params.ref);
    return reply.status(204).send();
  });

  for (const [action, docs] of Object.entries(POWER_DOCS) as [PowerAction, (typeof POWER_DOCS)[PowerAction]][]) {
    app.post(`/domains/:ref/${action}`, {
      config: versioned('domain', 'ref', 'weak'),
      schema: {
        ...doc(docs.id, 'domains', docs.summary, docs.description),
        params: DomainParams,
        response: responses({ 200: described(ref(Domain), 'The domain after the change.') }, 404, 409),
      },
    }, async (request) => domains.power(request.params.ref, action));
  }

  app.get('/domains/:ref/sched', {
    config: versioned('domain', 'ref', 'strong'),
    schema: {
      ...doc('getDomainSched', 'domains', 'Get credit parameters', 'Weight and cap (xm sched-credit).'),
      params: DomainParams,
      response: responses({ 200: described(ref(DomainSched), 'Weight and cap.') }, 404),
    },
  }, async (request) => domains.getSched(request.params.ref));

  app.put('/domains/:ref/sched', {
    config: versioned('domain', 'ref', 'strong'),
    schema: {
      ...doc('setDomainSched', 'domains', 'Set credit parameters', 'Weight and/or cap (xm sched-credit); a master\'s cap may cover its whole scheduling domain.'),
      params: DomainParams,
      body: ref(SetDomainSchedRequest),
      response: responses({ 200: described(ref(DomainSchedChange), 'Weight and cap after the change; `warnings` when the change is not in force (a member of a scheduling domain).') }, 404, 409),
    },
  }, async (request) => domains.setSched(request.params.ref, request.body));

  app.get('/domains/:ref/vcpus', {
    config: versioned('domain', 'ref', 'weak'),
    schema: {
      ...doc('listDomainVcpus', 'domains', 'List a domain\'s vCPUs', 'Per vCPU: state, pCPU, affinity, CPU time, credit, priority.'),
      params: DomainParams,
      response: responses({ 200: described(ref(VcpuList), 'Every vCPU up to max_vcpus.') }, 404),
    },
  }, async (request) => domains.listVcpus(request.params.ref));

  app.put('/domains/:ref/vcpus', {
    config: versioned('domain', 'ref', 'weak'),
    schema: {
      ...doc('setDomainVcpus', 'domains', 'Set the vCPUs online', 'Hot-plug up to max_vcpus (xm vcpu-set).'),
      params: DomainParams,
      body: ref(SetVcpusRequest),
      response: responses({ 200: described(ref(VcpuList), 'Every vCPU after the change.') }, 404, 409),
    },
  }, async (request) => domains.setOnlineVcpus(request.params.ref, request.body.online));

  app.put('/domains/:ref/vcpus/:n/affinity', {
    config: versioned('domain', 'ref', 'weak'),
    schema: {
      ...doc('setVcpuAffinity', 'domains', 'Pin a vCPU', 'Set a vCPU\'s hard affinity (xm vcpu-pin).'),
      params: VcpuParams,
      body: ref(SetAffinityRequest),
      response: responses({ 200: described(ref(Vcpu), 'The vCPU after the change.') }, 404, 409),
    },
  }, async (request) => domains.setAffinity(request.params.ref, Number(request.params.n), request.body.pcpus));
};
