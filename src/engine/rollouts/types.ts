// What the API shows of a rollout (GET /v1/rollouts/{id}): per-wave counts, gates and targets,
// built by ./view.ts from the stored nouns in src/domain/rollouts.ts.
import type { RolloutState } from '../../domain/types.ts';
import type { FleetRollbackStatus, GateState, RolloutSpec, RolloutStrategy, RolloutSelector, RolloutTarget, TargetState } from '../../domain/rollouts.ts';

export interface WaveView {
  index: number;
  name: string;
  state: 'pending' | 'running' | 'baking' | 'gated' | 'done';
  counts: Record<TargetState, number>;
  gate: GateState;
  gateReason?: string;
  startedAt?: string;
  completedAt?: string;
  targets: Array<Pick<RolloutTarget, 'tenant' | 'environment' | 'state' | 'operationId' | 'reason' | 'fromVersion'>>;
}

/** What GET /v1/rollouts/{id} answers. */
export interface RolloutView {
  id: string;
  blueprint: string;
  version: string;
  state: RolloutState;
  reason: string | null;
  currentWave: number;
  selector: RolloutSelector;
  strategy: RolloutStrategy;
  totals: Record<TargetState, number> & { total: number };
  waves: WaveView[];
  skipped: RolloutSpec['skipped'];
  /** A fleet rollback (onGateFailure: rollback): why, environments restored or failed, gate-to-restored seconds. */
  rollback?: FleetRollbackStatus;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}
