-- Per-token rate-limit buckets, shared by every replica (issue 5). `tokens` is what the bucket
-- holds after the last request, `at` when that was (seconds since the epoch, the database's
-- clock), `taken` whether that request got a token (RETURNING sees only the new row, so the
-- refusal is recorded rather than recomputed). Rows of revoked or expired tokens stay: a row
-- is a few dozen bytes, and a token id is never reused.
CREATE TABLE rate_buckets (
    token_id TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    taken BOOLEAN NOT NULL
);
