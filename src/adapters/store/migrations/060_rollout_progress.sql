-- Fleet rollouts (owned by the rollouts engine, src/engine/rollouts/): the plan, the strategy and the
-- per-wave gate status next to the base columns of 001, one row per target environment, and a
-- controller lease so among several `serve` processes one drives each rollout at a time.
ALTER TABLE rollouts
  ADD COLUMN spec             jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN status           jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN reason           text,
  ADD COLUMN idempotency_key  text UNIQUE,
  ADD COLUMN request_hash     text,
  ADD COLUMN created_by       text,
  ADD COLUMN locked_by        text,
  ADD COLUMN lease_expires_at timestamptz,
  ADD COLUMN finished_at      timestamptz;

CREATE INDEX rollouts_active_idx ON rollouts (seq) WHERE state IN ('pending', 'running');

CREATE TABLE rollout_targets (
  rollout_id   text NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  tenant       text NOT NULL,
  environment  text NOT NULL,
  wave         integer NOT NULL,
  position     integer NOT NULL,
  -- pending | running | succeeded | failed | cancelled | skipped
  state        text NOT NULL DEFAULT 'pending',
  operation_id text,
  from_version text,
  reason       text,
  acknowledged boolean NOT NULL DEFAULT false,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, tenant, environment)
);
CREATE INDEX rollout_targets_order_idx ON rollout_targets (rollout_id, wave, position);
