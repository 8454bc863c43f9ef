-- Idempotency records for keyed requests whose result is not an Operation (docs/adr/0304):
-- a token's creation, whose response (secret included) is sealed with the store's AES-256-GCM key
-- and kept only until expires_at, and a tenant created without environments (no expiry, like the
-- keys on operations). The key is the caller-scoped Idempotency-Key (admin/<k>, tenant:<slug>/<k>).
CREATE TABLE IF NOT EXISTS idempotency_records (
  key           text PRIMARY KEY,
  request_hash  text NOT NULL,
  status        integer NOT NULL,
  -- What the request created, e.g. token/<id> or tenant/<slug>.
  target        text NOT NULL,
  location      text,
  -- Sealed response body (v1.<keyId>.<iv>.<tag>.<ciphertext>); NULL when none was kept or it was
  -- destroyed (the token was revoked).
  response_enc  text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz
);

CREATE INDEX IF NOT EXISTS idempotency_records_target ON idempotency_records (target);
CREATE INDEX IF NOT EXISTS idempotency_records_expires_at ON idempotency_records (expires_at) WHERE expires_at IS NOT NULL;
-- (Numbered 101 in an early commit of this change; IF NOT EXISTS keeps a database that ran it then working.)
