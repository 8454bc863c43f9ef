// Rollout records as the rollouts engine and the API see them. The base columns (blueprint, version,
// selector, waves, state, current_wave) stay compatible with the domain Rollout type; spec, status
// and the per-target rows carry the rest (see migration 060).
import type { RolloutState } from '../../domain/types.ts';
import type { PlannedTarget, RolloutSelector, RolloutStrategy } from '../../plan/rollout-waves.ts';

export type TargetState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';
export const TARGET_STATES: readonly TargetState[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'skipped'];
export const TARGET_DONE: ReadonlySet<TargetState> = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);

export interface RolloutSpec {
  selector: RolloutSelector;
  strategy: RolloutStrategy;
  waveNames: string[];
  /** Environments the plan left out, with why (e.g. AlreadyAtVersion). */
  skipped: Array<PlannedTarget & { reason: string }>;
}

export type GateState = 'pending' | 'baking' | 'passed' | 'failed';

export interface WaveStatus {
  startedAt?: string;
  completedAt?: string;
  gate: GateState;
  gateReason?: string;
  /** Last metric gate reading, for operators. */
  metric?: { value: number | null; at: string };
}

export interface RolloutStatus {
  waves: WaveStatus[];
}

export interface RolloutTarget {
  tenant: string;
  environment: string;
  wave: number;
  position: number;
  state: TargetState;
  operationId: string | null;
  fromVersion: string | null;
  reason: string | null;
  /** A failure an operator accepted on resume; it no longer fails the health gate. */
  acknowledged: boolean;
}

export interface RolloutRecord {
  id: string;
  blueprint: string;
  version: string;
  state: RolloutState;
  currentWave: number;
  reason: string | null;
  spec: RolloutSpec;
  status: RolloutStatus;
  requestHash: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

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
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}
