-- AI workloads (docs/ai-workloads.md, ADR 2001). Numbers 2000-2019 belong to AI workloads.
-- Hibernation: one row per environment that has ever had a schedule or been hibernated. `state` is
-- awake or hibernated; `schedule` the environment's own schedule (null: its environment type's, from
-- the blueprint); `schedule_wants` what the schedule asked for when the scheduler last acted (off or
-- on), so it acts on changes only and a manual wake inside an off window holds until the next one.
CREATE TABLE environment_hibernation (
  tenant          text NOT NULL,
  environment     text NOT NULL,
  state           text NOT NULL DEFAULT 'awake',
  schedule        jsonb,
  schedule_wants  text,
  since           timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, environment),
  FOREIGN KEY (tenant, environment) REFERENCES environments (tenant, name) ON DELETE CASCADE
);

-- Each stretch an environment spent hibernated, with the replicas and GPUs it ran before: what the
-- saved replica-hours and GPU-hours are computed from (domain/hibernation.ts savings). ended_at is
-- null while it lasts. Kept after offboarding (no foreign key): what was saved stays reportable.
CREATE TABLE hibernation_periods (
  tenant       text NOT NULL,
  environment  text NOT NULL,
  started_at   timestamptz NOT NULL,
  ended_at     timestamptz,
  replicas     integer NOT NULL,
  gpus         integer NOT NULL,
  revision     text,
  reason       text NOT NULL,
  PRIMARY KEY (tenant, environment, started_at)
);
CREATE UNIQUE INDEX hibernation_periods_open ON hibernation_periods (tenant, environment) WHERE ended_at IS NULL;

-- Training runs started through the API (POST .../training-jobs): one Job or TrainJob each, with the
-- GPUs it holds while active, counted against the environment's training quota (quota.trainingGpus).
CREATE TABLE training_runs (
  tenant       text NOT NULL,
  environment  text NOT NULL,
  component    text NOT NULL,
  id           text NOT NULL,
  object       jsonb NOT NULL,
  form         text NOT NULL,
  gpus         integer NOT NULL,
  nodes        integer NOT NULL,
  state        text NOT NULL,
  message      text,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  PRIMARY KEY (tenant, environment, component, id),
  FOREIGN KEY (tenant, environment) REFERENCES environments (tenant, name) ON DELETE CASCADE
);
