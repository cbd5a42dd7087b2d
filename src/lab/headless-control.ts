/**
 * The lab's own control layer: the daemon's (src/control) over a host and an
 * in-memory store of the lab's, with a clock that never moves by itself (the
 * lab moves time). A scenario or a what-if copy changes its host by exactly
 * the rules the daemon changes the live one by.
 */
import { createControl, type Control } from '../control/index.ts';
import type { credit2, Host } from '../hypervisor/index.ts';
import { createTickLoop } from '../runtime/tick-loop.ts';
import type { Store } from '../store/index.ts';

/** Only the lab's own advances (and a change's POST /host/clock/advance) move the host's time. */
const FROZEN = { now_ms: () => 0 };

export interface HeadlessOptions {
  readonly pcpus: number;
  readonly seed: number;
  readonly version: string;
  /** credit2's runqueue arrangement for the pools made here (default socket). */
  readonly credit2_runqueue?: credit2.RunqueueArrangement;
  /** The host already holds the store's configuration (a copy): attach with these runtime figures instead of restoring it. */
  readonly attach?: { readonly endedGroupCpuNs: Iterable<readonly [number, number]> };
}

export function createHeadlessControl(host: Host, store: Store, options: HeadlessOptions): Control {
  const clock = createTickLoop({ host, speed: 0, clock: FROZEN });
  return createControl({
    host,
    clock,
    store,
    pcpus: options.pcpus,
    version: options.version,
    seed: options.seed,
    ...(options.credit2_runqueue === undefined ? {} : { credit2_runqueue: options.credit2_runqueue }),
    ...(options.attach === undefined ? {} : { attach: options.attach }),
  });
}
