/**
 * Xen's BUG_ON: a broken invariant is a bug in the simulator, never bad input
 * (that is a DomctlError). It throws, so a run stops where it went wrong.
 * The message is built only on failure: `invariant` takes it as a closure,
 * `bug` is called inside the failing branch (for the per-event path, below).
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new InvariantError(message());
}

/**
 * Xen's BUG(), for the checks run at every event or context switch: `if (broken) bug(...)`.
 * There `invariant`'s message closure costs more than its branch (the closure and the
 * context of what it captures are allocated on every call); here the message is built
 * only inside the failing branch.
 */
export function bug(message: string): never {
  throw new InvariantError(message);
}
