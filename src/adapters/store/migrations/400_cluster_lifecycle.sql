-- Cluster lifecycle (docs/clusters.md, ADR 1001). Numbers 400-419 belong to cluster lifecycle.
-- Health is the heartbeat's Available condition (domain/cluster-health.ts); cordon keeps new
-- placements away; the two prices join price_per_cpu_hour in placement's cost score.
ALTER TABLE clusters ADD COLUMN health jsonb;
ALTER TABLE clusters ADD COLUMN cordon jsonb;
ALTER TABLE clusters ADD COLUMN price_per_gb_hour double precision;
ALTER TABLE clusters ADD COLUMN price_per_gpu_hour double precision;

-- A Kubernetes upgrade plan over clusters, in waves (plan/cluster-upgrade.ts). `plan` is the
-- computed waves and steps; `progress` one entry per cluster step; `state` the plan's machine
-- (pending, running, paused, succeeded, failed, aborted). version is bumped on every write so
-- two controllers never both advance the same plan (compare-and-set).
CREATE TABLE cluster_upgrades (
  id          text PRIMARY KEY,
  target      text NOT NULL,
  state       text NOT NULL,
  plan        jsonb NOT NULL,
  progress    jsonb NOT NULL DEFAULT '{}',
  reason      text,
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
