-- Fleetplane core schema. Forward-only: never edit a released migration, add a new file.
-- seq columns give a stable, monotonic order for keyset pagination (cursor = seq).

CREATE TABLE tenants (
  slug               text PRIMARY KEY,
  name               text NOT NULL,
  tier               text NOT NULL,
  channel            text NOT NULL,
  labels             jsonb NOT NULL DEFAULT '{}',
  region             text,
  maintenance_window jsonb,
  resource_version   integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  deleted_at         timestamptz
);

CREATE TABLE environments (
  tenant             text NOT NULL REFERENCES tenants (slug),
  name               text NOT NULL,
  type               text NOT NULL,
  blueprint          text NOT NULL,
  version            text NOT NULL,
  "values"           jsonb NOT NULL DEFAULT '{}',
  cluster            text NOT NULL,
  namespace          text NOT NULL,
  delivery           text NOT NULL,
  self_heal          boolean NOT NULL DEFAULT true,
  desired_revision   text,
  applied_revision   text,
  last_good_revision text,
  health             text NOT NULL DEFAULT 'Unknown',
  conditions         jsonb NOT NULL DEFAULT '[]',
  resource_version   integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, name)
);
CREATE INDEX environments_cluster_idx ON environments (cluster, tenant, name);

CREATE TABLE clusters (
  name               text PRIMARY KEY,
  provider           text NOT NULL,
  region             text NOT NULL,
  labels             jsonb NOT NULL DEFAULT '{}',
  role               text NOT NULL,
  api_server         text NOT NULL,
  kubernetes_version text,
  capacity           jsonb,
  price_per_cpu_hour double precision,
  -- AES-256-GCM envelope "v1.<keyId>.<iv>.<tag>.<ciphertext>" (base64url); never plaintext.
  credentials_enc    text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blueprint_releases (
  name       text NOT NULL,
  version    text NOT NULL,
  spec       jsonb NOT NULL,
  digest     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

CREATE TABLE revisions (
  seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  tenant      text NOT NULL,
  environment text NOT NULL,
  id          text NOT NULL,
  blueprint   text NOT NULL,
  version     text NOT NULL,
  objects     jsonb NOT NULL,
  helm_values jsonb NOT NULL DEFAULT '[]',
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, environment, id)
);

-- Only sha256(secret) is stored; see docs/adr/0201-token-hashing.md.
CREATE TABLE api_tokens (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  tenant     text,
  role       text NOT NULL,
  hash       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE TABLE rollouts (
  seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           text PRIMARY KEY,
  blueprint    text NOT NULL,
  version      text NOT NULL,
  selector     jsonb NOT NULL DEFAULT '{}',
  waves        jsonb NOT NULL DEFAULT '[]',
  state        text NOT NULL,
  current_wave integer NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operations (
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id              text PRIMARY KEY,
  kind            text NOT NULL,
  tenant          text NOT NULL,
  environment     text,
  state           text NOT NULL DEFAULT 'pending',
  -- A retried create with the same key hits this index and returns the first operation.
  idempotency_key text UNIQUE,
  params          jsonb NOT NULL DEFAULT '{}',
  steps           jsonb NOT NULL DEFAULT '[]',
  attempts        integer NOT NULL DEFAULT 0,
  result          jsonb,
  error           text,
  request_id      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE INDEX operations_tenant_idx ON operations (tenant, seq);
CREATE INDEX operations_state_idx ON operations (state, seq);

CREATE TABLE cloud_events (
  source      text NOT NULL,
  id          text NOT NULL,
  type        text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, id)
);

CREATE TABLE audit_log (
  seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at     timestamptz NOT NULL DEFAULT now(),
  actor  text NOT NULL,
  action text NOT NULL,
  tenant text,
  target text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant, seq);

-- The audit log is append-only: the database itself refuses UPDATE and DELETE.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
