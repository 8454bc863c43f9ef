-- Per-token request counters shared by every `serve` replica on one PostgreSQL (issue #14: the API's
-- rate limit was per process, so N replicas allowed N times the limit). One row per key and window.
CREATE TABLE IF NOT EXISTS rate_limits (
  key         text PRIMARY KEY,
  count       integer NOT NULL,
  window_ends timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_limits_window_ends ON rate_limits (window_ends);
