/** The documentation every /api/v1 operation carries: id, tag, summary, security. */
export const TAGS = {
  host: { name: 'host', description: 'The simulated host: pCPUs and the simulated clock.' },
  scheduler: { name: 'scheduler', description: "Pool-0's scheduler parameters (credit's or credit2's)." },
  cpupools: { name: 'cpupools', description: 'Cpupools: named sets of pCPUs, each running a scheduler (credit or credit2) of its own.' },
  domains: { name: 'domains', description: 'Domains (guests): lifecycle, credit parameters, vCPUs.' },
  schedulingDomains: {
    name: 'scheduling-domains',
    description: 'Scheduling domains: groups of domains that share their master\'s timeslices.',
  },
  events: { name: 'events', description: 'A live stream of changes.' },
  system: { name: 'system', description: 'Health and metrics of the daemon itself (no token needed).' },
  xenapi: { name: 'xenapi', description: 'The Xen API (XenAPI) for existing Xen clients: JSON-RPC and XML-RPC, sessions from `session.login_with_password`.' },
} as const;

export type Tag = (typeof TAGS)[keyof typeof TAGS]['name'];

export const BEARER = [{ bearerAuth: [] }];

export const doc = (operationId: string, tag: Tag, summary: string, description?: string) => ({
  operationId,
  tags: [tag],
  summary,
  description: description ?? summary,
  security: BEARER,
});
