// An evacuation as it is stored (docs/clusters.md "Move and evacuate"): every environment of one or
// more clusters (a region's), each moved by its own `move` Operation, at most `concurrency` at once
// (engine/evacuations.ts starts them; plan/move.ts decides which). Progress per environment with
// its timestamps: the move's start, Ready on the target, the source removal, and its RTO when the
// evacuation was a failover (counted from when the cluster was lost).

import { ConflictError } from './errors.ts';

export type EvacuationState = 'running' | 'succeeded' | 'failed';

/** One environment's move within an evacuation. */
export type MoveState = 'pending' | 'moving' | 'succeeded' | 'failed' | 'unplaceable';

export interface EvacuationMove {
  tenant: string;
  environment: string;
  from: string;
  /** Target chosen when the evacuation was created (null: no cluster can take it). */
  to: string | null;
  /** The placement decision in words (plan/placement.ts explain). */
  explanation: string;
  state: MoveState;
  operation?: string;
  /** The move's Operation was created. */
  startedAt?: string;
  /** Ready on the target (before anything was removed from the source). */
  readyAt?: string;
  /** Placement switched to the target. */
  switchedAt?: string;
  /** Removal from the source began. */
  removeStartedAt?: string;
  finishedAt?: string;
  /** What the move waits on now, e.g. a PodDisruptionBudget not yet met on the target. */
  waitingOn?: string;
  /** The PodDisruptionBudgets consulted before the source copy was removed (met on the target, the source's allowance, any wait). */
  disruptionBudgets?: string;
  /** Failover: seconds from the cluster's loss to Ready on the target. */
  rtoSeconds?: number;
  /** Failover: the lost source still holds this environment's objects (the move could not remove them). */
  leftOn?: string;
  /** The `reclaim` Operation that removes them once the cluster answers again (engine/reclaim.ts). */
  reclaimOperation?: string;
  error?: string;
}

export interface Evacuation {
  id: string;
  /** The clusters emptied (one, or every cluster of `region`). */
  clusters: string[];
  region: string | null;
  trigger: 'manual' | 'failover';
  reason: string;
  /** Moves in flight at once. */
  concurrency: number;
  /** Failover: when the cluster was lost (its first failed probe); RTO counts from here. */
  lostAt: string | null;
  state: EvacuationState;
  moves: EvacuationMove[];
  /** Bumped on every write; updates compare it. */
  version: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export type NewEvacuation = Pick<Evacuation, 'clusters' | 'region' | 'trigger' | 'reason' | 'concurrency' | 'lostAt' | 'moves'>;

/**
 * A cluster is already being emptied by a running evacuation: one running evacuation per cluster
 * (the store enforces it, migration 2110), so two requests at once never both start moves (409).
 */
export class EvacuationBusyError extends ConflictError {
  constructor(readonly holder: { id: string; clusters: string[] }, requested: readonly string[]) {
    const busy = requested.filter((c) => holder.clusters.includes(c));
    super(`evacuation ${holder.id} of ${holder.clusters.join(', ')} is still running (${busy.join(', ') || requested.join(', ')} cannot be evacuated twice at once)`,
      [{ field: 'clusters', message: `already being evacuated by ${holder.id}` }]);
  }
}
