/** /api/v1/scheduling-domains: translation only, the control layer does the work. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ref } from '../../schemas/common.ts';
import { described, NoContent, responses } from '../../schemas/responses.ts';
import {
  AddMemberRequest,
  CreateSchedulingDomainRequest,
  MasterParams,
  MemberParams,
  SchedulingDomain,
  SchedulingDomainList,
  SchedulingDomainListQuery,
  SchedulingDomainPage,
  SetMemberShareRequest,
  UpdateSchedulingDomainRequest,
} from '../../schemas/scheduling-domain.ts';
import { versioned } from '../conditional.ts';
import { answerList, listOrPage } from '../pages.ts';
import { doc } from './route-docs.ts';

export const schedulingDomainRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const groups = app.control.schedulingDomains;

  app.get('/scheduling-domains', {
    schema: {
      ...doc(
        'listSchedulingDomains',
        'scheduling-domains',
        'List scheduling domains',
        'Every scheduling domain, by master domid, in a bare array; or, with `limit`, one page `{items, next}` with a `Link` header (rel="next") to the next. Filter: `active`. `include=version` gives each its version (for `If-Match`), `include=total` a page the count of every match.',
      ),
      querystring: SchedulingDomainListQuery,
      response: responses({ 200: listOrPage(ref(SchedulingDomainList), ref(SchedulingDomainPage), 'Every scheduling domain that matches (a bare array), or one page of them (with `limit`).') }),
    },
  }, async (request, reply) => {
    const { limit, cursor, include, active } = request.query;
    const filters = active === undefined ? {} : { active: active === 'true' };
    return answerList(request, reply, { limit, cursor, include }, filters, groups, (g) => app.control.versions.current('scheduling-domain', String(g.master))!.version);
  });

  app.post('/scheduling-domains', {
    schema: {
      ...doc('createSchedulingDomain', 'scheduling-domains', 'Create a scheduling domain', 'Name a master and, optionally, its first members.'),
      body: ref(CreateSchedulingDomainRequest),
      response: responses({ 201: described(ref(SchedulingDomain), 'Created; `Location` names it.') }, 404, 409),
    },
  }, async (request, reply) => {
    const group = groups.create(request.body);
    void reply.status(201).header('location', `/api/v1/scheduling-domains/${group.master}`);
    return group;
  });

  app.get('/scheduling-domains/:master', {
    config: versioned('scheduling-domain', 'master', 'weak'),
    schema: {
      ...doc('getSchedulingDomain', 'scheduling-domains', 'Get a scheduling domain', 'One scheduling domain, named by its master.'),
      params: MasterParams,
      response: responses({ 200: described(ref(SchedulingDomain), 'The scheduling domain.') }, 404),
    },
  }, async (request) => groups.get(request.params.master));

  app.patch('/scheduling-domains/:master', {
    config: versioned('scheduling-domain', 'master', 'weak'),
    schema: {
      ...doc('updateSchedulingDomain', 'scheduling-domains', 'Change a scheduling domain', 'Change the master\'s share; a live group changes at once.'),
      params: MasterParams,
      body: ref(UpdateSchedulingDomainRequest),
      response: responses({ 200: described(ref(SchedulingDomain), 'The scheduling domain after the change.') }, 404),
    },
  }, async (request) => groups.update(request.params.master, request.body));

  app.delete('/scheduling-domains/:master', {
    config: versioned('scheduling-domain', 'master', 'weak'),
    schema: {
      ...doc('deleteSchedulingDomain', 'scheduling-domains', 'Dissolve a scheduling domain', 'Members return to their own weight and cap.'),
      params: MasterParams,
      response: responses({ 204: NoContent }, 404),
    },
  }, async (request, reply) => {
    groups.remove(request.params.master);
    return reply.status(204).send();
  });

  app.post('/scheduling-domains/:master/members', {
    config: versioned('scheduling-domain', 'master', 'weak'),
    schema: {
      ...doc('addSchedulingDomainMember', 'scheduling-domains', 'Add a member', 'Charge a domain to the master\'s scheduling domain (created if needed).'),
      params: MasterParams,
      body: ref(AddMemberRequest),
      response: responses({ 201: described(ref(SchedulingDomain), 'Added: the scheduling domain after the change; `Location` names the membership.') }, 404, 409),
    },
  }, async (request, reply) => {
    const { group, member } = groups.addMember(request.params.master, request.body);
    void reply.status(201).header('location', `/api/v1/scheduling-domains/${group.master}/members/${member}`);
    return group;
  });

  app.put('/scheduling-domains/:master/members/:domain', {
    config: versioned('scheduling-domain', 'master', 'weak'),
    schema: {
      ...doc('setSchedulingDomainMemberShare', 'scheduling-domains', 'Set a member\'s share', 'The member\'s share of the scheduling domain\'s credit; a live member changes at once.'),
      params: MemberParams,
      body: ref(SetMemberShareRequest),
      response: responses({ 200: described(ref(SchedulingDomain), 'The scheduling domain after the change.') }, 404),
    },
  }, async (request) => groups.setMemberShare(request.params.master, request.params.domain, request.body));

  app.delete('/scheduling-domains/:master/members/:domain', {
    config: versioned('scheduling-domain', 'master', 'weak'),
    schema: {
      ...doc('removeSchedulingDomainMember', 'scheduling-domains', 'Remove a member', 'The domain returns to its own weight and cap. The scheduling domain stays, empty, until dissolved.'),
      params: MemberParams,
      response: responses({ 200: described(ref(SchedulingDomain), 'The scheduling domain after the change.') }, 404),
    },
  }, async (request) => groups.removeMember(request.params.master, request.params.domain));
};
