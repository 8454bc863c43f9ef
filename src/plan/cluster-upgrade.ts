// A Kubernetes upgrade plan over clusters: the canary alone first, then the rest in waves of at
// most `waveSize`, interleaved across clouds (one cluster per provider before a second of the same
// one, so a bad release shows on every cloud early), each cluster one minor at a time (Cluster API's
// and the managed services' skew rule), soak time between waves, an optional approval after the
// canary, and maintenance windows in which clusters may start (a cluster already upgrading finishes
// past its window's end, as Gardener's do). Pure: the controller (engine/cluster-upgrades.ts) carries it out and records progress.
import type { ClusterUpgradePlan, ClusterUpgradeStep, UpgradeState } from '../domain/cluster-upgrade.ts';
import type { MaintenanceWindow } from '../domain/types.ts';
import { upgradePath } from './kube-versions.ts';

export interface UpgradeCandidate { name: string; provider: string; version: string | null }

export interface UpgradeOptions {
  target: string;
  canary?: string | undefined;
  waveSize?: number | undefined;
  soakMs?: number | undefined;
  /** Pause after the canary wave until resumed (an approval). */
  approval?: boolean | undefined;
  /** Clusters start upgrading only inside this window (UTC); `windows` sets one per cluster. */
  maintenanceWindow?: MaintenanceWindow | undefined;
  windows?: Record<string, MaintenanceWindow> | undefined;
}


type Sorted = { steps: ClusterUpgradeStep[]; skipped: ClusterUpgradePlan['skipped'] } | { error: string };

/** Each cluster's minors to pass through, or why it is skipped; an impossible path refuses the plan. */
function stepsOf(clusters: readonly UpgradeCandidate[], target: string): Sorted {
  const steps: ClusterUpgradeStep[] = [];
  const skipped: ClusterUpgradePlan['skipped'] = [];
  for (const c of [...clusters].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!c.version) {
      skipped.push({ cluster: c.name, reason: 'version unknown (no successful heartbeat yet)' });
      continue;
    }
    const p = upgradePath(c.version, target);
    if ('error' in p) return { error: `${c.name}: ${p.error}` };
    if (p.path.length === 0) skipped.push({ cluster: c.name, reason: `already at ${c.version}` });
    else steps.push({ cluster: c.name, provider: c.provider, from: c.version, steps: p.path });
  }
  return { steps, skipped };
}

export function planClusterUpgrade(clusters: readonly UpgradeCandidate[], o: UpgradeOptions): { plan: ClusterUpgradePlan } | { error: string } {
  const sorted = stepsOf(clusters, o.target);
  if ('error' in sorted) return sorted;
  const { steps, skipped } = sorted;
  const refused = optionError(clusters, steps, o);
  if (refused) return { error: refused };
  const waves: ClusterUpgradeStep[][] = [];
  const canary = steps.find((s) => s.cluster === o.canary) ?? steps[0];
  if (canary) waves.push([canary]);
  const rest = interleaveByProvider(steps.filter((s) => s !== canary));
  const size = Math.max(1, o.waveSize ?? 1);
  for (let i = 0; i < rest.length; i += size) waves.push(rest.slice(i, i + size));
  return {
    plan: {
      target: o.target, waves, skipped, soakMs: o.soakMs ?? 0, approval: o.approval ?? false,
      ...(o.maintenanceWindow ? { maintenanceWindow: o.maintenanceWindow } : {}),
      ...(o.windows && Object.keys(o.windows).length > 0 ? { windows: o.windows } : {}),
    },
  };
}

function optionError(clusters: readonly UpgradeCandidate[], steps: readonly ClusterUpgradeStep[], o: UpgradeOptions): string | null {
  if (o.canary && !clusters.some((c) => c.name === o.canary)) return `canary ${o.canary} is not one of the plan's clusters`;
  if (o.canary && !steps.some((s) => s.cluster === o.canary)) return `canary ${o.canary} has nothing to upgrade`;
  const strangers = Object.keys(o.windows ?? {}).filter((n) => !clusters.some((c) => c.name === n));
  return strangers.length > 0 ? `maintenance windows name clusters outside the plan: ${strangers.join(', ')}` : null;
}

/** aws-1, gcp-1, azure-1, aws-2, …: round robin over providers, each in name order. */
function interleaveByProvider(steps: ClusterUpgradeStep[]): ClusterUpgradeStep[] {
  const byProvider = new Map<string, ClusterUpgradeStep[]>();
  for (const s of steps) byProvider.set(s.provider, [...(byProvider.get(s.provider) ?? []), s]);
  const queues = [...byProvider.values()];
  const out: ClusterUpgradeStep[] = [];
  while (queues.some((q) => q.length > 0)) for (const q of queues) if (q.length > 0) out.push(q.shift()!);
  return out;
}


/** Legal moves of a plan's state by an operator action; null when refused. */
export function upgradeAction(state: UpgradeState, action: 'pause' | 'resume' | 'abort'): UpgradeState | null {
  if (action === 'pause') return state === 'running' ? 'paused' : null;
  if (action === 'resume') return state === 'paused' ? 'running' : null;
  return state === 'running' || state === 'paused' ? 'aborted' : null;
}
