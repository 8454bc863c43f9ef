-- Every API request looks its token up. Each process keeps the lookups in memory (adapters/store/tokens.ts
-- TokenCache); on a shared PostgreSQL a token written by another `serve` replica or the CLI (created,
-- rotated, revoked, deleted) must drop them everywhere: this notification, sent at commit, does (ADR 0205).
CREATE FUNCTION fleetplane_notify_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('fleetplane_tokens', '');
  RETURN NULL;
END $$;

CREATE TRIGGER api_tokens_notify AFTER INSERT OR UPDATE OR DELETE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION fleetplane_notify_tokens();

CREATE TRIGGER api_tokens_notify_truncate AFTER TRUNCATE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION fleetplane_notify_tokens();
