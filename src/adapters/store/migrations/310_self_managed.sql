-- Self-managed channel (src/selfmanaged, docs/self-managed.md): each tenant's current license and
-- the install reports its customers' installs send back (online or imported from a file).
-- Numbers 310-319 belong to the self-managed channel.

CREATE TABLE licenses (
  tenant       text PRIMARY KEY,
  license      jsonb NOT NULL,
  expires_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE install_reports (
  seq          bigserial PRIMARY KEY,
  tenant       text NOT NULL,
  environment  text NOT NULL,
  report_id    text NOT NULL,
  revision     text NOT NULL,
  version      text NOT NULL,
  result       text NOT NULL,
  via          text NOT NULL,
  reported_at  timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  report       jsonb NOT NULL,
  -- The customer side makes the id: the same report uploaded and imported again is stored once.
  UNIQUE (tenant, report_id)
);
CREATE INDEX install_reports_env ON install_reports (tenant, environment, reported_at DESC);
