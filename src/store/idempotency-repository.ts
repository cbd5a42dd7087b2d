/** Kept answers to POSTs sent with an Idempotency-Key. */
import type { Db } from './database.ts';

export interface KeptAnswerRecord {
  readonly key: string;
  readonly fingerprint: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly kept_at_ms: number;
}

export interface IdempotencyRepository {
  /** The answer kept for `key` at or after `since_ms`. */
  get(key: string, since_ms: number): KeptAnswerRecord | undefined;
  /** Keep `record`, then forget answers kept before `since_ms` and all but the newest `max`. */
  keep(record: KeptAnswerRecord, since_ms: number, max: number): void;
  count(): number;
}

interface Row {
  key: string;
  fingerprint: string;
  status: number;
  headers: string;
  body: string;
  kept_at_ms: number;
}

export function idempotencyRepository(db: Db): IdempotencyRepository {
  const select = db.prepare<[string, number], Row>(
    'SELECT key, fingerprint, status, headers, body, kept_at_ms FROM idempotency_keys WHERE key = ? AND kept_at_ms >= ?',
  );
  const insert = db.prepare<[Row]>(
    `INSERT INTO idempotency_keys (key, fingerprint, status, headers, body, kept_at_ms)
     VALUES (@key, @fingerprint, @status, @headers, @body, @kept_at_ms)
     ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
       headers = excluded.headers, body = excluded.body, kept_at_ms = excluded.kept_at_ms`,
  );
  const expire = db.prepare<[number]>('DELETE FROM idempotency_keys WHERE kept_at_ms < ?');
  // The oldest beyond `max` (usually none: read through the age index, not every row).
  const trim = db.prepare<[number]>(
    'DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys ORDER BY kept_at_ms LIMIT max(0, (SELECT count(*) FROM idempotency_keys) - ?))',
  );
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM idempotency_keys');
  return {
    get(key, since_ms) {
      const row = select.get(key, since_ms);
      return row === undefined ? undefined : { ...row, headers: JSON.parse(row.headers) as Record<string, string> };
    },
    keep(record, since_ms, max) {
      insert.run({ ...record, headers: JSON.stringify(record.headers) });
      expire.run(since_ms);
      trim.run(max);
    },
    count: () => count.get()?.n ?? 0,
  };
}
