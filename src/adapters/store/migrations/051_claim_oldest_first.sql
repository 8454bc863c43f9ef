-- Claim takes the oldest due operation first (priority, then seq), not the earliest run_at: an
-- operation that parked a step (verify waiting on pods) or backed off keeps its place in line once
-- it is due again, instead of queueing behind every operation created after it (docs/adr/0503).
CREATE INDEX IF NOT EXISTS operations_claim_order_idx ON operations (priority DESC, seq)
  WHERE state IN ('pending', 'running');
DROP INDEX IF EXISTS operations_runnable_idx;
