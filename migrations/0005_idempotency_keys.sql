-- The first answer to a POST sent with an Idempotency-Key, so that a retry
-- with the same key gets the same answer and nothing is done twice. Kept 24 h
-- and bounded in count (the oldest go first); only successful answers are
-- kept (a refused request changed nothing, so running it again is safe).
CREATE TABLE idempotency_keys (
  key TEXT PRIMARY KEY,
  -- A hash of the request (method, path and body): the same key with another request is refused.
  fingerprint TEXT NOT NULL,
  status INTEGER NOT NULL,
  -- JSON: the answer's headers that a replay repeats (Location, ETag, Content-Type).
  headers TEXT NOT NULL,
  body TEXT NOT NULL,
  -- Wall-clock time the answer was kept, ms since the epoch.
  kept_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (kept_at_ms);
