-- Usage metering and marketplace export (src/metering, docs/metering.md, ADR 0901).
-- Numbers 300-319 belong to metering. Times are the metering clock's (passed in), not now().

-- What an environment's pods requested at one sampling tick. One row per environment and tick:
-- a second replica or a re-run sampling the same tick hits the key and writes nothing.
CREATE TABLE metering_samples (
  tenant       text NOT NULL,
  environment  text NOT NULL,
  at           timestamptz NOT NULL,
  hour         timestamptz NOT NULL,
  -- The interval this sample stands for (the sampling interval when it was taken).
  seconds      integer NOT NULL,
  cluster      text NOT NULL,
  namespace    text NOT NULL,
  pods         integer NOT NULL,
  cpu_millis   bigint NOT NULL,
  memory_bytes bigint NOT NULL,
  gpus         integer NOT NULL,
  sampler      text NOT NULL,
  recorded_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant, environment, at)
);

-- The integral of one environment-hour, kept incrementally by the same statement that inserts a
-- sample (or flushes API request counts: environment ''), so it is the sum over distinct inputs.
-- revision counts changes; dirty marks rows whose records must be recomputed.
CREATE TABLE metering_hour_inputs (
  tenant              text NOT NULL,
  environment         text NOT NULL,
  hour                timestamptz NOT NULL,
  samples             integer NOT NULL DEFAULT 0,
  env_seconds         bigint NOT NULL DEFAULT 0,
  cpu_milli_seconds   numeric NOT NULL DEFAULT 0,
  memory_byte_seconds numeric NOT NULL DEFAULT 0,
  gpu_seconds         bigint NOT NULL DEFAULT 0,
  api_requests        bigint NOT NULL DEFAULT 0,
  revision            bigint NOT NULL DEFAULT 1,
  dirty               boolean NOT NULL DEFAULT true,
  updated_at          timestamptz NOT NULL,
  PRIMARY KEY (tenant, environment, hour)
);
CREATE INDEX metering_hour_inputs_dirty_idx ON metering_hour_inputs (hour) WHERE dirty;

-- A batch of API request counts is applied once: a retried flush finds its id and adds nothing.
CREATE TABLE metering_api_flushes (
  id text PRIMARY KEY,
  at timestamptz NOT NULL
);

-- Hourly usage per tenant x environment ('' for tenant-level dimensions) x dimension x hour.
-- open: the hour is still running (recomputed every pass); final: closed, changed only by a
-- correction (version + 1). original_quantity is what the hour had when it was finalized.
CREATE TABLE metering_records (
  tenant            text NOT NULL,
  environment       text NOT NULL,
  dimension         text NOT NULL,
  hour              timestamptz NOT NULL,
  quantity          numeric NOT NULL,
  original_quantity numeric,
  state             text NOT NULL,
  version           integer NOT NULL DEFAULT 1,
  samples           integer NOT NULL,
  input_revision    bigint NOT NULL,
  finalized_at      timestamptz,
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (tenant, environment, dimension, hour)
);
CREATE INDEX metering_records_tenant_hour_idx ON metering_records (tenant, hour);
CREATE INDEX metering_records_open_idx ON metering_records (hour) WHERE state = 'open';

-- Late data that changed a finalized hour: one row per new version of a record.
CREATE TABLE metering_corrections (
  seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant            text NOT NULL,
  environment       text NOT NULL,
  dimension         text NOT NULL,
  hour              timestamptz NOT NULL,
  version           integer NOT NULL,
  previous_quantity numeric NOT NULL,
  quantity          numeric NOT NULL,
  delta             numeric NOT NULL,
  detected_at       timestamptz NOT NULL,
  UNIQUE (tenant, environment, dimension, hour, version)
);
CREATE INDEX metering_corrections_tenant_idx ON metering_corrections (tenant, seq);

-- Singleton watermarks, e.g. closed_until: every hour before it is closed (finalized).
CREATE TABLE metering_state (
  key   text PRIMARY KEY,
  value timestamptz NOT NULL
);

-- Per tenant: which marketplace bills it, its customer identifiers and dimension names.
CREATE TABLE marketplace_mappings (
  tenant      text PRIMARY KEY,
  marketplace text NOT NULL,
  spec        jsonb NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- What is (to be) sent to a marketplace: one row per tenant x marketplace dimension x hour
-- (source usage) or per correction. state: pending, sending (leased to one exporter, written
-- ahead of the call with the exact payload), sent, refused (reason), carried (a correction waiting
-- for a later usage row of its dimension), merged (folded into merged_into).
CREATE TABLE marketplace_exports (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant                text NOT NULL,
  marketplace           text NOT NULL,
  source                text NOT NULL,
  source_key            text NOT NULL,
  dimension             text NOT NULL,
  marketplace_dimension text NOT NULL,
  hour                  timestamptz NOT NULL,
  exact_quantity        numeric NOT NULL,
  quantity              numeric NOT NULL,
  state                 text NOT NULL,
  attempts              integer NOT NULL DEFAULT 0,
  solo                  boolean NOT NULL DEFAULT false,
  next_attempt_at       timestamptz NOT NULL,
  lease_owner           text,
  lease_until           timestamptz,
  payload               jsonb,
  request_id            text,
  reason                text,
  merged_into           bigint,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  sent_at               timestamptz,
  UNIQUE (tenant, marketplace, source, source_key)
);
CREATE INDEX marketplace_exports_due_idx ON marketplace_exports (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX marketplace_exports_tenant_idx ON marketplace_exports (tenant, hour, id);
