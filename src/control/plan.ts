/**
 * A request's path is check, persist, apply. The control layer adds each
 * domctl a request needs to a plan (the hypervisor checks it against the host
 * as the earlier ones will leave it, changing nothing), persists the change,
 * then has the host apply the plan, which cannot fail once checked. So a
 * request that fails, at its check or at the store, changes nothing anywhere,
 * and nothing is ever undone.
 */
import type { DomctlOp, DomctlPlan } from '../hypervisor/index.ts';
import type { Change } from './config-state.ts';
import type { ControlContext } from './context.ts';
import { fromDomctl } from './domctl-errors.ts';

/** Check `op` against the plan so far and add it; a refusal throws the API error and changes nothing. */
export function plan(steps: DomctlPlan, op: DomctlOp): void {
  const problem = steps.add(op);
  if (problem !== null) throw fromDomctl(problem);
}

/** Persist `change` (a store failure throws, and nothing has changed), then apply the checked plan. */
export function commit(ctx: ControlContext, steps: DomctlPlan, change: Change): void {
  ctx.state.commit(change);
  ctx.host.apply(steps);
}
