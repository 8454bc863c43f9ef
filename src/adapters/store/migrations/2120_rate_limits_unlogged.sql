-- The API's shared rate-limit counters (migration 2010) take one upsert per request, reads included.
-- They are ephemeral by nature: UNLOGGED skips the WAL for them (no WAL record and no commit flush per
-- request; a crash empties the table, which only restarts every token's window), and without the index
-- on window_ends an upsert changes no indexed column, so PostgreSQL updates the row in place (HOT).
-- The sweep of ended windows (every 1,000 hits) scans the table instead: one row per active token.
ALTER TABLE rate_limits SET UNLOGGED;
DROP INDEX IF EXISTS rate_limits_window_ends;
