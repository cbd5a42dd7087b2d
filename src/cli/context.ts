/** What every command works with: the connection to the daemon and where output goes. */
import { call, type Connection, type Domain, type SchedulingDomain } from './client.ts';
import type { Output } from './output.ts';

export interface Context {
  readonly connection: Connection;
  readonly out: Output;
}

export const listDomains = (ctx: Context): Promise<Domain[]> => call(ctx.connection, ctx.connection.api.GET('/api/v1/domains'));

export const getDomain = (ctx: Context, ref: string): Promise<Domain> =>
  call(ctx.connection, ctx.connection.api.GET('/api/v1/domains/{ref}', { params: { path: { ref } } }));

export const listGroups = (ctx: Context): Promise<SchedulingDomain[]> =>
  call(ctx.connection, ctx.connection.api.GET('/api/v1/scheduling-domains'));

export const pcpuCount = async (ctx: Context): Promise<number> =>
  (await call(ctx.connection, ctx.connection.api.GET('/api/v1/host'))).pcpus;

/** Domain names by domid, for tables that show names where the API gives domids. */
export async function namesById(ctx: Context): Promise<Map<number, string>> {
  return new Map((await listDomains(ctx)).map((domain) => [domain.id, domain.name]));
}

export const nameOf = (names: ReadonlyMap<number, string>, id: number): string => names.get(id) ?? String(id);
