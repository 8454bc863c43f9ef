// A Kubernetes upgrade plan over clusters as it is stored (plan/cluster-upgrade.ts computes it,
// engine/cluster-upgrades.ts carries it out, docs/clusters.md "Upgrades").

export interface ClusterUpgradeStep { cluster: string; provider: string; from: string; steps: string[] }

export interface ClusterUpgradePlan {
  target: string;
  waves: ClusterUpgradeStep[][];
  skipped: Array<{ cluster: string; reason: string }>;
  soakMs: number;
  approval: boolean;
}

export const UPGRADE_STATES = ['running', 'paused', 'succeeded', 'failed', 'aborted'] as const;
export type UpgradeState = (typeof UPGRADE_STATES)[number];

export interface ClusterUpgradeProgress {
  state: 'pending' | 'upgrading' | 'verifying' | 'done' | 'failed';
  startedAt?: string;
  finishedAt?: string;
  /** When the post-upgrade checks began (their timeout counts from here). */
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
