// The change feed's nouns (migration 900 writes it, GET /v1/events/stream reads it): one small row
// per meaningful change of an environment, an operation, a rollout or a rollout target, read after
// an SSE event id by one tenant (its rows only) or by the fleet (admin).
export type ChangeTopic = 'environment' | 'operation' | 'rollout' | 'rollout-target';
export const CHANGE_TOPICS: readonly ChangeTopic[] = ['environment', 'operation', 'rollout', 'rollout-target'];

export interface ChangeEvent {
  /** The SSE event id. */
  seq: number;
  at: string;
  topic: ChangeTopic;
  /** null: fleet-wide (rollouts), admin only. */
  tenant: string | null;
  subject: string;
  data: Record<string, unknown>;
}

/** Who reads: one tenant (its rows only, never fleet-wide ones) or the fleet (admin). */
export type ChangeScope = { kind: 'fleet' } | { kind: 'tenant'; tenant: string };
