-- Change feed for GET /v1/events/stream (the console's live views and the CLI's watch commands).
-- Triggers append one small row per meaningful change of an environment, an operation, a rollout or
-- a rollout target, whoever wrote it (API, engine, rollout controller, another `serve` process), in
-- the writer's transaction; a statement-level NOTIFY wakes the stream's tail on commit. seq is the
-- SSE event id (Last-Event-ID resumes after it). tenant NULL = fleet-wide (rollouts): admin only.
-- Rows are hints to re-read state, kept one day (pruned by the stream's tail). Numbers 900-919: console.
CREATE TABLE change_events (
  seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  topic   text NOT NULL,
  tenant  text,
  subject text NOT NULL,
  data    jsonb NOT NULL
);
CREATE INDEX change_events_tenant_idx ON change_events (tenant, seq);
CREATE INDEX change_events_at_idx ON change_events (at);

CREATE FUNCTION fleetplane_change_environment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r environments%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  INSERT INTO change_events (topic, tenant, subject, data) VALUES ('environment', r.tenant, r.tenant || '/' || r.name,
    jsonb_build_object('op', lower(TG_OP), 'tenant', r.tenant, 'environment', r.name, 'health', r.health,
      'blueprint', r.blueprint, 'version', r.version, 'cluster', r.cluster, 'appliedRevision', r.applied_revision,
      'drifted', r.conditions @> '[{"type":"Drifted","status":"True"}]'));
  RETURN NULL;
END $$;

CREATE TRIGGER environments_change_insdel AFTER INSERT OR DELETE ON environments
  FOR EACH ROW EXECUTE FUNCTION fleetplane_change_environment();
CREATE TRIGGER environments_change_update AFTER UPDATE ON environments
  FOR EACH ROW WHEN (OLD.health IS DISTINCT FROM NEW.health OR OLD.conditions IS DISTINCT FROM NEW.conditions
    OR OLD.version IS DISTINCT FROM NEW.version OR OLD.applied_revision IS DISTINCT FROM NEW.applied_revision
    OR OLD.cluster IS DISTINCT FROM NEW.cluster)
  EXECUTE FUNCTION fleetplane_change_environment();

CREATE FUNCTION fleetplane_change_operation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (topic, tenant, subject, data) VALUES ('operation', NEW.tenant, NEW.id,
    jsonb_build_object('id', NEW.id, 'kind', NEW.kind, 'tenant', NEW.tenant, 'environment', NEW.environment, 'state', NEW.state,
      'step', (SELECT s->>'name' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(NEW.steps) = 'array' THEN NEW.steps ELSE '[]'::jsonb END) s
               WHERE s->>'state' IN ('running', 'waiting', 'failed') LIMIT 1),
      'error', NEW.error));
  RETURN NULL;
END $$;

-- Heartbeats and lease renewals change neither state nor steps, so they add nothing here.
CREATE TRIGGER operations_change_insert AFTER INSERT ON operations
  FOR EACH ROW EXECUTE FUNCTION fleetplane_change_operation();
CREATE TRIGGER operations_change_update AFTER UPDATE ON operations
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.steps IS DISTINCT FROM NEW.steps)
  EXECUTE FUNCTION fleetplane_change_operation();

CREATE FUNCTION fleetplane_change_rollout() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (topic, tenant, subject, data) VALUES ('rollout', NULL, NEW.id,
    jsonb_build_object('id', NEW.id, 'state', NEW.state, 'currentWave', NEW.current_wave, 'reason', NEW.reason));
  RETURN NULL;
END $$;

CREATE TRIGGER rollouts_change_insert AFTER INSERT ON rollouts
  FOR EACH ROW EXECUTE FUNCTION fleetplane_change_rollout();
CREATE TRIGGER rollouts_change_update AFTER UPDATE ON rollouts
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.current_wave IS DISTINCT FROM NEW.current_wave
    OR OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION fleetplane_change_rollout();

CREATE FUNCTION fleetplane_change_rollout_target() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (topic, tenant, subject, data) VALUES ('rollout-target', NEW.tenant, NEW.rollout_id || '/' || NEW.tenant || '/' || NEW.environment,
    jsonb_build_object('rolloutId', NEW.rollout_id, 'tenant', NEW.tenant, 'environment', NEW.environment, 'wave', NEW.wave,
      'state', NEW.state, 'reason', NEW.reason, 'operationId', NEW.operation_id));
  RETURN NULL;
END $$;

CREATE TRIGGER rollout_targets_change_update AFTER UPDATE ON rollout_targets
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.operation_id IS DISTINCT FROM NEW.operation_id)
  EXECUTE FUNCTION fleetplane_change_rollout_target();

CREATE FUNCTION fleetplane_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('fleetplane_changes', '');
  RETURN NULL;
END $$;

CREATE TRIGGER change_events_notify AFTER INSERT ON change_events
  FOR EACH STATEMENT EXECUTE FUNCTION fleetplane_notify_changes();
