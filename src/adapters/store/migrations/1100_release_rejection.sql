-- A release a rollout's failed gate rolled back (issue #21): {reason, rollout, by, at}; NULL = usable.
-- Rollouts and onboarding refuse a rejected release until an admin clears it.
ALTER TABLE blueprint_releases ADD COLUMN rejected jsonb;
-- Rollouts rolling the fleet back are active too (claimed by the controller like running ones).
DROP INDEX IF EXISTS rollouts_active_idx;
CREATE INDEX rollouts_active_idx ON rollouts (seq) WHERE state IN ('pending', 'running', 'rolling-back');
