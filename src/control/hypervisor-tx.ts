/**
 * A sequence of domctls that happens completely or not at all: each step
 * registers how to undo it, and the first failure (or a later failure to
 * persist) undoes the steps already done, newest first.
 */
import type { DomctlOp, DomctlValue } from '../hypervisor/index.ts';
import { fromDomctl } from './errors.ts';
import type { SimulatedHost } from './ports.ts';

export class HypervisorTx {
  private readonly undo: (() => void)[] = [];

  private readonly host: SimulatedHost;

  constructor(host: SimulatedHost) {
    this.host = host;
  }

  /** Run `op`; on failure undo everything so far and throw the mapped error. */
  run<O extends DomctlOp>(op: O, inverse?: DomctlOp | (() => void)): DomctlValue<O> {
    const result = this.host.domctl(op);
    if (!result.ok) {
      this.rollback();
      throw fromDomctl(result.error);
    }
    if (inverse !== undefined) this.onRollback(typeof inverse === 'function' ? inverse : () => void this.host.domctl(inverse));
    return result.value;
  }

  /** Read without an undo (reads change nothing). */
  read<O extends DomctlOp>(op: O): DomctlValue<O> {
    return this.run(op);
  }

  onRollback(undo: () => void): void {
    this.undo.push(undo);
  }

  rollback(): void {
    for (const undo of this.undo.reverse()) undo();
    this.undo.length = 0;
  }
}
