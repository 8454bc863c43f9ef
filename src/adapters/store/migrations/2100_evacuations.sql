-- Evacuations (docs/clusters.md "Move and evacuate", issue #16): every environment of one or more
-- clusters moved by its own `move` operation, at most `concurrency` at once. `moves` holds one entry
-- per environment with its state and timestamps (domain/evacuation.ts); `version` is bumped on
-- every write so two controllers never both start the same move (compare-and-set);
-- `idempotency_key` keeps a failover from creating a second evacuation of the same outage.
CREATE TABLE evacuations (
  id               text PRIMARY KEY,
  clusters         jsonb NOT NULL,
  region           text,
  trigger          text NOT NULL,
  reason           text NOT NULL,
  concurrency      integer NOT NULL,
  lost_at          timestamptz,
  state            text NOT NULL,
  moves            jsonb NOT NULL DEFAULT '[]',
  idempotency_key  text UNIQUE,
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX evacuations_running ON evacuations (created_at) WHERE state = 'running';
