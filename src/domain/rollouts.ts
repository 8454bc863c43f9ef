// Fleet rollouts as they are stored: the request (selector, strategy), the frozen wave plan, the
// per-wave gate status and one target row per environment (migrations 001 + 060). The wave planner
// (src/plan/rollout-waves.ts) works on these nouns; the rollouts engine (src/engine/rollouts/) drives
// them through the store's one rollouts repository (Store.rollouts, src/adapters/store/rollout-progress.ts).
import type { EnvironmentType, RolloutState } from './types.ts';

export interface RolloutSelector {
  /** Every label must match the tenant's labels. */
  labels?: Record<string, string>;
  envTypes?: EnvironmentType[];
  clusters?: string[];
  tenants?: string[];
}

export interface MetricGate {
  /** PromQL instant query; each environment's series may use $tenant / $environment placeholders. */
  query: string;
  /** The gate passes when `value <op> threshold` for every series returned. */
  op: '<' | '<=' | '>' | '>=';
  threshold: number;
}

export interface RolloutStrategy {
  canary: { count?: number; percent?: number };
  /** Cumulative percentages of the non-canary targets, ascending; the last wave always ends at 100. */
  waves: number[];
  /** Upgrades in flight at once (per rollout). */
  maxParallel: number;
  /** Failed upgrades tolerated before the health gate pauses the rollout (default 0). */
  maxFailures?: number;
  /** slo: every upgraded environment's own burn-rate SLO (src/engine/rollouts/slo-gate.ts). */
  gates: { health: boolean; metric?: MetricGate; slo?: { severities: Array<'page' | 'ticket'> }; bakeSeconds: number };
  respectMaintenanceWindows: boolean;
  /**
   * What a failed metric or SLO gate does: pause (default: an operator decides), or roll back every
   * environment this rollout changed, in every wave, to its previous revision and reject the release.
   */
  onGateFailure?: 'pause' | 'rollback';
}

export interface PlannedTarget {
  tenant: string;
  environment: string;
}

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

/** A fleet rollback (onGateFailure: rollback), from the gate firing to every touched environment back. */
export interface FleetRollbackStatus {
  reason: string;
  /** When the gate fired. */
  startedAt: string;
  /** When the last environment was back (Ready, or Published for self-managed) on its previous revision. */
  completedAt?: string;
  /** completedAt - startedAt. */
  seconds?: number;
  /** Environments being rolled back, restored so far, and those whose rollback failed (tenant/env: why). */
  environments: number;
  restored: number;
  failed: string[];
}

export interface RolloutStatus {
  waves: WaveStatus[];
  rollback?: FleetRollbackStatus;
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

/** One stored rollout (a `rollouts` row). Its targets are read separately (Store.rollouts.targets). */
export interface Rollout {
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

/** What Store.rollouts.create inserts: the rollout and its frozen plan, one row per target. */
export interface NewRollout {
  id: string;
  blueprint: string;
  version: string;
  spec: RolloutSpec;
  status: RolloutStatus;
  targets: Array<Omit<RolloutTarget, 'state' | 'operationId' | 'reason' | 'acknowledged'>>;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdBy: string | null;
}

/** A change to one target row; absent fields stay, `null` clears operationId / reason. */
export interface TargetPatch {
  state?: TargetState;
  operationId?: string | null;
  reason?: string | null;
  acknowledged?: boolean;
}

/** Targets of one rollout by state, for the rollout gauges (no ids: summed by rollout state). */
export interface RolloutProgress {
  state: RolloutState;
  done: number;
  failed: number;
  total: number;
}
