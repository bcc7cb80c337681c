-- Version 3 on PostgreSQL adds `rate_buckets`, the rate-limit buckets replicas share. One
-- process owns an SQLite file, so it keeps its buckets in memory (SqliteStore::take_rate) and
-- this version changes nothing; it exists so both backends carry the same versions.
SELECT 1;
