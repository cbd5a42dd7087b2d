/** Reading the host's cpupools through their domctls. */
import type { CpupoolInfo, SchedName } from '../hypervisor/index.ts';
import type { ControlContext } from './context.ts';
import { fromDomctl } from './domctl-errors.ts';

export function poolInfo(ctx: Pick<ControlContext, 'host'>, id: number): CpupoolInfo {
  const result = ctx.host.domctl({ op: 'cpupool_info', pool: id });
  if (!result.ok) throw fromDomctl(result.error);
  return result.value;
}

export const poolSched = (ctx: Pick<ControlContext, 'host'>, id: number): SchedName => poolInfo(ctx, id).sched;
