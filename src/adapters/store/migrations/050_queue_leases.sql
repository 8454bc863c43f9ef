-- Operation queue (owned by the engine; see src/adapters/store/queue/). Leases fence workers: every
-- write from a worker names its lease_token, and a worker whose lease expired and was re-claimed can
-- no longer write. run_at schedules retries (backoff computed in SQL, see queue/fail.ts).
ALTER TABLE operations
  ADD COLUMN locked_by        text,
  ADD COLUMN locked_at        timestamptz,
  ADD COLUMN lease_expires_at timestamptz,
  ADD COLUMN lease_token      text,
  ADD COLUMN run_at           timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN max_attempts     integer NOT NULL DEFAULT 10,
  ADD COLUMN priority         integer NOT NULL DEFAULT 0;

-- Claim scans only unfinished operations; the per-environment index serves the "oldest unfinished
-- operation of this environment" check that serializes work per environment.
CREATE INDEX operations_runnable_idx ON operations (priority DESC, run_at, seq)
  WHERE state IN ('pending', 'running');
CREATE INDEX operations_env_unfinished_idx ON operations (tenant, environment, seq)
  WHERE state IN ('pending', 'running');

-- One row per run of a step (history): who ran it, when, how it ended. Lets operators and tests
-- see that no step ran twice at once.
CREATE TABLE operation_step_runs (
  seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operation_id text NOT NULL REFERENCES operations (id),
  step         text NOT NULL,
  attempt      integer NOT NULL,
  worker_id    text NOT NULL,
  lease_token  text NOT NULL,
  state        text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  error        text,
  output       jsonb
);
CREATE INDEX operation_step_runs_op_idx ON operation_step_runs (operation_id, step, seq);

-- The applied-object inventory per environment (what pruning compares against), in the store
-- rather than in etcd so it survives a lost cluster and costs no API-server reads.
CREATE TABLE environment_inventory (
  tenant      text NOT NULL,
  environment text NOT NULL,
  revision    text,
  objects     jsonb NOT NULL DEFAULT '[]',
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, environment)
);

-- A rollout holding an environment (set by the rollouts engine); offboard refuses unless forced.
-- drift: last drift report from the reconcile loop.
ALTER TABLE environments
  ADD COLUMN held_by    text,
  ADD COLUMN drift      jsonb,
  ADD COLUMN drift_checked_at timestamptz;
