/** The fairness report: /host/usage, /domains/{ref}/usage, /scheduling-domains/{master}/usage. Translation only. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ref } from '../../schemas/common.ts';
import { DomainParams } from '../../schemas/domain.ts';
import { described, responses } from '../../schemas/responses.ts';
import { MasterParams } from '../../schemas/scheduling-domain.ts';
import { DEFAULT_WINDOW_MS, DomainUsageReport, HostUsage, HostUsageQuery, SchedulingDomainUsageReport, UsageQuery } from '../../schemas/usage.ts';
import { doc } from './route-docs.ts';

const EXPECTED =
  '`expected_pct` is weighted max-min fairness (progressive filling) over the runnable demand: each vCPU at most one pCPU, ' +
  'a duty vCPU at most run/(run+sleep), caps, a scheduling domain as one claimant with its master\'s weight and cap split by share, ' +
  'hard affinity respected exactly; paused and halted domains 0.';

/** The query's window, as a number (query strings are not coerced). */
const windowMs = (query: { window_ms?: string }): number | undefined => (query.window_ms === undefined ? undefined : Number(query.window_ms));

export const usageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { usage } = app.control;

  app.get('/host/usage', {
    schema: {
      ...doc('getHostUsage', 'host', 'Who gets the CPU', `Observed against expected CPU shares over the last window_ms of simulated time, per domain, per scheduling domain, per pCPU and per cpupool (its totals against its capacity); with step_ms, also the window step by step (\`series\`); with domains, only those domains' rows. ${EXPECTED}`),
      querystring: HostUsageQuery,
      response: responses({ 200: described(ref(HostUsage), 'The fairness report.') }),
    },
  }, async (request) => {
    const { step_ms, domains } = request.query;
    const window_ms = windowMs(request.query);
    const wanted = domains === undefined ? undefined : new Set(domains.split(',').map(Number));
    const only = <T extends { id: number }>(rows: readonly T[]): T[] => (wanted === undefined ? [...rows] : rows.filter((row) => wanted.has(row.id)));
    const report = usage.host(window_ms);
    if (step_ms === undefined) return { ...report, domains: only(report.domains) };
    const series = usage.series(window_ms ?? DEFAULT_WINDOW_MS, Number(step_ms)).map((step) => ({ ...step, domains: only(step.domains) }));
    return { ...report, domains: only(report.domains), series };
  });

  app.get('/domains/:ref/usage', {
    schema: {
      ...doc('getDomainUsage', 'domains', "A domain's CPU share", `Observed against expected CPU share of one domain over the last window_ms of simulated time. ${EXPECTED}`),
      params: DomainParams,
      querystring: UsageQuery,
      response: responses({ 200: described(ref(DomainUsageReport), "The domain's share.") }, 404),
    },
  }, async (request) => usage.domain(request.params.ref, windowMs(request.query)));

  app.get('/scheduling-domains/:master/usage', {
    schema: {
      ...doc('getSchedulingDomainUsage', 'scheduling-domains', "A scheduling domain's CPU share", `Observed against expected CPU share of a scheduling domain and of each of its domains. ${EXPECTED}`),
      params: MasterParams,
      querystring: UsageQuery,
      response: responses({ 200: described(ref(SchedulingDomainUsageReport), "The scheduling domain's share.") }, 404),
    },
  }, async (request) => usage.schedulingDomain(request.params.master, windowMs(request.query)));
};
