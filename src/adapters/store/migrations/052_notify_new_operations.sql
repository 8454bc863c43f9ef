-- Wake idle workers in every process when operations are queued, instead of waiting for their next
-- poll: one NOTIFY per inserting statement, delivered on commit (the engine LISTENs, see
-- src/engine/index.ts). Polling stays as the fallback for missed notifications and due retries.
CREATE OR REPLACE FUNCTION fleetplane_notify_operations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('fleetplane_operations', '');
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS operations_notify_insert ON operations;
CREATE TRIGGER operations_notify_insert AFTER INSERT ON operations
  FOR EACH STATEMENT EXECUTE FUNCTION fleetplane_notify_operations();
