// A Kubernetes upgrade plan over clusters as it is stored (plan/cluster-upgrade.ts computes it,
// engine/cluster-upgrades.ts carries it out, docs/clusters.md "Upgrades").
import type { MaintenanceWindow } from './types.ts';

export interface ClusterUpgradeStep { cluster: string; provider: string; from: string; steps: string[] }

export interface ClusterUpgradePlan {
  target: string;
  waves: ClusterUpgradeStep[][];
  skipped: Array<{ cluster: string; reason: string }>;
  soakMs: number;
  approval: boolean;
  /** When clusters may start upgrading (UTC); a cluster's own entry in `windows` wins. Absent: any time. */
  maintenanceWindow?: MaintenanceWindow;
  windows?: Record<string, MaintenanceWindow>;
}

/** The maintenance window a cluster of the plan starts in, if any. */
export function upgradeWindowOf(plan: ClusterUpgradePlan, cluster: string): MaintenanceWindow | undefined {
  return plan.windows?.[cluster] ?? plan.maintenanceWindow;
}

export const UPGRADE_STATES = ['running', 'paused', 'succeeded', 'failed', 'aborted'] as const;
export type UpgradeState = (typeof UPGRADE_STATES)[number];

export interface ClusterUpgradeProgress {
  state: 'pending' | 'upgrading' | 'verifying' | 'done' | 'failed';
  startedAt?: string;
  finishedAt?: string;
  /** When the checks began failing: the pre-flight's while pending, the post-upgrade checks' once upgraded (their timeout counts from here). */
  verifySince?: string;
  message?: string;
}

export interface ClusterUpgrade {
  id: string;
  target: string;
  state: UpgradeState;
  plan: ClusterUpgradePlan;
  /** By cluster name. */
  progress: Record<string, ClusterUpgradeProgress>;
  /** Why the plan paused, failed or was aborted. */
  reason: string | null;
  /** Bumped on every write; updates compare it (two controllers never both advance a plan). */
  version: number;
  createdAt: string;
  updatedAt: string;
}
