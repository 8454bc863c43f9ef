-- API token expiry and rotation (src/adapters/store/tokens.ts, docs/api.md "Tokens").
-- expires_at: absent = never expires. A rotation moves the current hash to prev_hash, which keeps
-- authenticating until prev_valid_until (the grace period), then answers 401 like an expired token.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN rotated_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN prev_hash text UNIQUE;
ALTER TABLE api_tokens ADD COLUMN prev_valid_until timestamptz;

-- Every secret a rotation retired, so a rotated-away secret can never come back (e.g. as
-- FLEETPLANE_ADMIN_TOKEN on a later start), even after a second rotation dropped prev_hash.
CREATE TABLE api_token_retired_hashes (
  hash       text PRIMARY KEY,
  token_id   text NOT NULL,
  retired_at timestamptz NOT NULL
);
