/**
 * Idempotency keys, as payment and cloud APIs use them: a client that sends a
 * POST with an `Idempotency-Key` and gets no answer (a timeout, a dropped
 * connection) retries with the same key, and gets the first answer again
 * without anything being done twice. Successful answers are kept in the store
 * for IDEMPOTENCY_KEEP_MS, at most IDEMPOTENCY_MAX_KEYS of them (the oldest go
 * first). A retry that arrives while the first is still running (a long
 * advance) waits for its answer. The same key with another request is refused.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { apiError } from '../vocabulary/errors.ts';

export const IDEMPOTENCY_KEEP_MS = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_MAX_KEYS = 10_000;

/** What a replay repeats: the status, the headers that matter (Location, ETag, Content-Type) and the body as sent. */
export interface KeptAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type IdempotentStart =
  /** The first request with this key: run it, then `finish` with its answer. */
  | { readonly kind: 'first'; finish(answer: KeptAnswer): void }
  /** A retry: its answer is the first's (once that is known). */
  | { readonly kind: 'retry'; readonly answer: Promise<KeptAnswer> };

export interface Idempotency {
  /** `request`: what identifies the request besides its key (method, path, body); the same key with another is a 422. */
  start(key: string, request: string): IdempotentStart;
}

const isSuccess = (status: number): boolean => status >= 200 && status < 300;

export function createIdempotency(store: Pick<Store, 'idempotency' | 'transaction'>, now_ms: () => number = Date.now): Idempotency {
  const running = new Map<string, { fingerprint: string; answer: Promise<KeptAnswer> }>();
  const reused = (key: string): Error =>
    apiError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${key}" was used for another request (another path or body); use a new key for a new request`, { field: 'Idempotency-Key' });
  return {
    start(key, request) {
      const fingerprint = createHash('sha256').update(request).digest('hex');
      const inFlight = running.get(key);
      if (inFlight !== undefined) {
        if (inFlight.fingerprint !== fingerprint) throw reused(key);
        return { kind: 'retry', answer: inFlight.answer };
      }
      const kept = store.idempotency.get(key, now_ms() - IDEMPOTENCY_KEEP_MS);
      if (kept !== undefined) {
        if (kept.fingerprint !== fingerprint) throw reused(key);
        return { kind: 'retry', answer: Promise.resolve({ status: kept.status, headers: kept.headers, body: kept.body }) };
      }
      let settle!: (answer: KeptAnswer) => void;
      const answer = new Promise<KeptAnswer>((resolve) => (settle = resolve));
      running.set(key, { fingerprint, answer });
      return {
        kind: 'first',
        finish(result) {
          running.delete(key);
          settle(result);
          // Only a success is kept: a refused request changed nothing, so a retry may run it again.
          if (!isSuccess(result.status)) return;
          const kept_at_ms = now_ms();
          try {
            store.transaction(() => store.idempotency.keep({ key, fingerprint, ...result, kept_at_ms }, kept_at_ms - IDEMPOTENCY_KEEP_MS, IDEMPOTENCY_MAX_KEYS));
          } catch {
            // The request was done and is answered; unkept (a locked or failing disk), a retry runs it again, as one without a key would.
          }
        },
      };
    },
  };
}
