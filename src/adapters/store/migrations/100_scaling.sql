-- Predictive scaling (src/scaling): per-environment policy and the decisions the pre-scaler records.
-- Numbers 100-119 belong to scaling.

CREATE TABLE scaling_policies (
  tenant       text NOT NULL,
  environment  text NOT NULL,
  spec         jsonb NOT NULL,
  mode         text NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, environment)
);

CREATE TABLE scaling_decisions (
  seq            bigserial PRIMARY KEY,
  tenant         text NOT NULL,
  environment    text NOT NULL,
  at             timestamptz NOT NULL,
  action         text NOT NULL,
  min_replicas   integer NOT NULL,
  applied        boolean NOT NULL,
  decision       jsonb NOT NULL
);
CREATE INDEX scaling_decisions_env_idx ON scaling_decisions (tenant, environment, seq DESC);
