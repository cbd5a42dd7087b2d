/** Reading the host's cpupools through their domctls, and naming them as the configuration does. */
import { POOL0_ID, POOL0_NAME, type CpupoolInfo, type SchedName } from '../hypervisor/index.ts';
import { apiError } from '../vocabulary/errors.ts';
import type { ConfigState } from './config-state.ts';
import type { ControlContext } from './context.ts';
import { fromDomctl } from './domctl-errors.ts';

export function poolInfo(ctx: Pick<ControlContext, 'host'>, id: number): CpupoolInfo {
  const result = ctx.host.domctl({ op: 'cpupool_info', pool: id });
  if (!result.ok) throw fromDomctl(result.error);
  return result.value;
}

export const poolSched = (ctx: Pick<ControlContext, 'host'>, id: number): SchedName => poolInfo(ctx, id).sched;

/** A pool's name by id (absent: Pool-0); every pool but Pool-0 is in the configuration. */
export const poolName = (state: ConfigState, id: number | undefined): string =>
  id === undefined || id === POOL0_ID ? POOL0_NAME : (state.pools.get(id)?.name ?? `#${id}`);

const POOL_ID_PATTERN = /^[0-9]+$/;

/** A pool by id (all digits) or name, as it is in the host: its id. */
export function resolvePool(ctx: Pick<ControlContext, 'host'>, ref: string, field = 'ref'): number {
  const pools = ctx.host.domctl({ op: 'cpupool_list' });
  if (!pools.ok) throw fromDomctl(pools.error);
  const found = POOL_ID_PATTERN.test(ref) ? pools.value.find((p) => p.id === Number(ref)) : pools.value.find((p) => p.name === ref);
  if (found === undefined) throw apiError('NO_SUCH_CPUPOOL', `no cpupool has id or name "${ref}"`, { field });
  return found.id;
}
