/** What every command works with: the connection to the daemon and where output goes. */
import { call, type Connection, type Cpupool, type Domain, type SchedulingDomain } from './client.ts';
import type { Output } from './output.ts';

export interface Context {
  readonly connection: Connection;
  readonly out: Output;
}

/** Items per page when the tool lists: a large host comes in several answers, never one of megabytes. */
const PAGE_LIMIT = '500';

/** Every item of a list, a page at a time, following each page's `next`. */
async function everyPage<T>(fetchPage: (query: { limit: string; cursor?: string }) => Promise<T[] | { items: T[]; next: string | null }>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await fetchPage(cursor === null ? { limit: PAGE_LIMIT } : { limit: PAGE_LIMIT, cursor });
    if (Array.isArray(page)) return page;
    all.push(...page.items);
    cursor = page.next;
  } while (cursor !== null);
  return all;
}

export const listDomains = (ctx: Context): Promise<Domain[]> =>
  everyPage((query) => call(ctx.connection, ctx.connection.api.GET('/api/v1/domains', { params: { query } })));

export const getDomain = (ctx: Context, ref: string): Promise<Domain> =>
  call(ctx.connection, ctx.connection.api.GET('/api/v1/domains/{ref}', { params: { path: { ref } } }));

export const listGroups = (ctx: Context): Promise<SchedulingDomain[]> =>
  everyPage((query) => call(ctx.connection, ctx.connection.api.GET('/api/v1/scheduling-domains', { params: { query } })));

export const listCpupools = (ctx: Context): Promise<Cpupool[]> =>
  everyPage((query) => call(ctx.connection, ctx.connection.api.GET('/api/v1/cpupools', { params: { query } })));

export const pcpuCount = async (ctx: Context): Promise<number> =>
  (await call(ctx.connection, ctx.connection.api.GET('/api/v1/host'))).pcpus;

/** Domain names by domid, for tables that show names where the API gives domids. */
export async function namesById(ctx: Context): Promise<Map<number, string>> {
  return new Map((await listDomains(ctx)).map((domain) => [domain.id, domain.name]));
}

export const nameOf = (names: ReadonlyMap<number, string>, id: number): string => names.get(id) ?? String(id);
