// The console's read-only reports over stored state (Store.fleet and Store.rollouts.matrix): counts
// computed by the store, "needs attention" rows, halted rollouts and a rollout's tenant x wave matrix.
import type { Condition, Health, Operation } from './types.ts';

export type HealthCounts = Partial<Record<Health, number>>;

export interface CountRow {
  environments: number;
  drifted: number;
  byHealth: HealthCounts;
}

export interface FleetCounts extends CountRow {
  byRelease: Array<CountRow & { blueprint: string; version: string }>;
  byCluster: Array<CountRow & { cluster: string }>;
}

export interface OperationCounts {
  pending: number;
  running: number;
  /** Failed in the last 24 hours. */
  failedLastDay: number;
}

export interface AttentionRow {
  tenant: string;
  environment: string;
  health: Health;
  drifted: boolean;
  cluster: string;
  blueprint: string;
  version: string;
  conditions: Condition[];
  updatedAt: string;
  heldBy: string | null;
  /** The environment's latest operation, when it failed. */
  failed: Pick<Operation, 'id' | 'kind' | 'error' | 'steps' | 'finishedAt'> | null;
}

export interface HaltedRollout {
  id: string;
  blueprint: string;
  version: string;
  state: string;
  reason: string | null;
  currentWave: number;
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
  updatedAt: string;
}

/** The reconcile loop's last drift report for one environment. */
export interface DriftRecord {
  report: unknown;
  checkedAt: string | null;
}

export interface MatrixCell {
  environment: string;
  wave: number;
  state: string;
  reason: string | null;
  operationId: string | null;
  fromVersion: string | null;
}

export interface MatrixRow {
  tenant: string;
  firstWave: number;
  targets: MatrixCell[];
}

export interface MatrixPage {
  rows: MatrixRow[];
  next?: string;
}
