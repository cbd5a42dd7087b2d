/**
 * `sdom`: the 2007 scheduling-domain patches' own tool for scheduling domains
 * (a master and the members charged to it): create, add, remove, share, list,
 * destroy.
 */
import type { Command } from 'commander';
import { integer } from '../arguments.ts';
import { call, callVersioned, ifMatch, type SchedulingDomain } from '../client.ts';
import { getDomain, listGroups, nameOf, namesById, type Context } from '../context.ts';
import { printJson, seconds, table } from '../output.ts';

const COLUMNS = [
  { title: 'Master' },
  { title: 'ID', align: 'right' },
  { title: 'Share', align: 'right' },
  { title: 'Members' },
  { title: 'Active' },
  { title: 'Time(s)', align: 'right' },
] as const;

/** One line per group: members as `name:share`, `*` after an inactive one; Time(s) is the group's CPU time. */
const printGroup = (ctx: Context, group: SchedulingDomain): Promise<void> =>
  ctx.out.json ? Promise.resolve(printJson(ctx.out, group)) : printGroups(ctx, [group]);

async function printGroups(ctx: Context, groups: readonly SchedulingDomain[]): Promise<void> {
  if (ctx.out.json) return printJson(ctx.out, groups);
  const names = await namesById(ctx);
  const rows = groups.map((g) => [
    nameOf(names, g.master),
    g.master,
    g.master_share,
    g.members.map((m) => `${nameOf(names, m.domain)}:${m.share}${m.active ? '' : '*'}`).join(',') || '-',
    g.active ? 'yes' : 'no',
    seconds(g.cpu_time_ns),
  ]);
  ctx.out.write(table(ctx.out, COLUMNS, rows));
}

const path = (master: string) => ({ params: { path: { master } } });

async function share(ctx: Context, master: string, ref: string, value: number): Promise<SchedulingDomain> {
  const { api } = ctx.connection;
  const [read, domain] = await Promise.all([callVersioned(ctx.connection, api.GET('/api/v1/scheduling-domains/{master}', path(master))), getDomain(ctx, ref)]);
  // Written against the version read: if the group changed meanwhile, the daemon refuses rather than act on a stale view.
  const header = ifMatch(read.etag);
  if (domain.id === read.data.master) {
    return call(ctx.connection, api.PATCH('/api/v1/scheduling-domains/{master}', { params: { path: { master }, header }, body: { master_share: value } }));
  }
  const member = { params: { path: { master, domain: ref }, header }, body: { share: value } };
  return call(ctx.connection, api.PUT('/api/v1/scheduling-domains/{master}/members/{domain}', member));
}

export function sdomCommands(program: Command, ctx: () => Context): void {
  const sdom = program
    .command('sdom')
    .description('Scheduling domains: members share their master\'s CPU credit (weight and cap)');

  sdom
    .command('create')
    .description('Make MASTER a scheduling domain, with MEMBERs if given')
    .argument('<MASTER>', 'the master domain: name or domid')
    .argument('[MEMBER...]', 'member domains')
    .action(async (master: string, members: string[]) => {
      const c = ctx();
      const body = { master, members: members.map((domain) => ({ domain })) };
      await printGroup(c, await call(c.connection, c.connection.api.POST('/api/v1/scheduling-domains', { body })));
    });

  sdom
    .command('add')
    .description('Add MEMBER to MASTER\'s scheduling domain (made if needed)')
    .argument('<MASTER>', 'the master domain')
    .argument('<MEMBER>', 'the domain to add')
    .option('--share <S>', 'its share of the group (1..65535, default 256)', integer(1))
    .action(async (master: string, domain: string, options: { share?: number }) => {
      const c = ctx();
      const body = options.share === undefined ? { domain } : { domain, share: options.share };
      await printGroup(c, await call(c.connection, c.connection.api.POST('/api/v1/scheduling-domains/{master}/members', { ...path(master), body })));
    });

  sdom
    .command('remove')
    .description('Remove MEMBER from MASTER\'s scheduling domain (it runs on its own weight and cap again)')
    .argument('<MASTER>', 'the master domain')
    .argument('<MEMBER>', 'the member to remove')
    .action(async (master: string, domain: string) => {
      const c = ctx();
      const params = { params: { path: { master, domain } } };
      await printGroup(c, await call(c.connection, c.connection.api.DELETE('/api/v1/scheduling-domains/{master}/members/{domain}', params)));
    });

  sdom
    .command('share')
    .description('Set the share of DOM (the master or a member) in MASTER\'s scheduling domain')
    .argument('<MASTER>', 'the master domain')
    .argument('<DOM>', 'the master itself or a member')
    .argument('<S>', 'share, 1..65535', integer(1))
    .action(async (master: string, ref: string, value: number) => {
      const c = ctx();
      await printGroup(c, await share(c, master, ref, value));
    });

  sdom
    .command('list')
    .description('List scheduling domains: master, members and shares, the group\'s CPU time')
    .argument('[MASTER...]', 'groups by master (default: all)')
    .action(async (masters: string[]) => {
      const c = ctx();
      const groups =
        masters.length === 0
          ? await listGroups(c)
          : await Promise.all(masters.map((m) => call(c.connection, c.connection.api.GET('/api/v1/scheduling-domains/{master}', path(m)))));
      await printGroups(c, groups);
    });

  sdom
    .command('destroy')
    .description('Dissolve MASTER\'s scheduling domain (its domains run on their own again)')
    .argument('<MASTER>', 'the master domain')
    .action(async (master: string) => {
      const c = ctx();
      await call(c.connection, c.connection.api.DELETE('/api/v1/scheduling-domains/{master}', path(master)));
    });
}
