// The cluster-upgrade controller: every interval (a Ticker), advance each running plan by what
// is due, one wave at a time. A cluster goes pending -> upgrading (the provider upgrades its control
// plane, one minor per step; providers are idempotent, so a pass re-run after a crash repeats the
// call harmlessly) -> verifying (its heartbeat answers on the target version and every environment
// placed there is Ready) -> done; a provider error or a check still failing after the verify
// timeout fails the cluster and halts the plan with the reason. Between waves the plan soaks; with
// approval it pauses after the canary wave until resumed. A pending cluster waits for its maintenance
// window (the plan's, or its own) before it starts, and holds while an environment placed there is
// not Ready (pre-flight; halts the plan past the verify timeout). "Ready" is read live from the
// cluster (engine/live-readiness.ts: the applied revision's Deployments, StatefulSets and
// InferenceServices, by verify's rules) when `readiness` is given, as serve gives it; without it, the
// stored health is trusted (in-process tests that have no cluster connections). Every write compares the plan's version
// (store.clusterUpgrades.update), so an operator's pause or abort always wins over a pass in flight.
import type { ClusterUpgradeProvider } from '../domain/ports/cluster-upgrade.ts';
import type { Logger } from 'pino';
import { Ticker, type Clock } from '../clock.ts';
import { upgradeWindowOf, type ClusterUpgrade, type ClusterUpgradeProgress, type ClusterUpgradeStep } from '../domain/cluster-upgrade.ts';
import type { MaintenanceWindow } from '../domain/types.ts';
import { windowOpen } from '../plan/rollout-waves.ts';
import { coerceError } from '../domain/errors.ts';
import type { Store } from '../domain/ports/store.ts';
import type { Cluster } from '../domain/types.ts';
import type { LiveVerdict } from './live-readiness.ts';

export type { ClusterUpgradeProvider } from '../domain/ports/cluster-upgrade.ts';

export interface UpgradeControllerDeps {
  store: Pick<Store, 'clusterUpgrades' | 'clusters' | 'environments'>;
  provider: ClusterUpgradeProvider;
  /** Probes a cluster now and records its health (the inventory's heartbeat). */
  heartbeat: (c: Cluster) => Promise<boolean>;
  logger: Logger;
  now: () => Date;
  clock?: Clock;
  /**
   * Each environment placed on a cluster, ready or not (and why), or skipped: readLiveReadiness
   * (engine/live-readiness.ts) reads them from the cluster. Default: their stored health.
   */
  readiness?: (cluster: string) => Promise<LiveVerdict[]>;
  /** How long a cluster's post-upgrade checks may keep failing before the plan halts (default 10 min). */
  verifyTimeoutMs?: number;
}

const APPROVAL = '_approval';

const windowText = (w: MaintenanceWindow): string => `${w.days.length > 0 ? w.days.join(',') : 'daily'} ${w.start} UTC for ${w.durationMinutes} min`;

const finishedAt = (progress: ClusterUpgradeProgress[]): number => Math.max(...progress.map((p) => Date.parse(p.finishedAt ?? '') || 0));
const needsApproval = (u: ClusterUpgrade): boolean => u.plan.approval && u.progress[APPROVAL]?.state !== 'done';

export class ClusterUpgradeController {
  private readonly ticker: Ticker;

  constructor(private readonly deps: UpgradeControllerDeps, intervalMs: number) {
    this.ticker = new Ticker(() => this.passOnce().then(() => undefined), {
      intervalMs, ...(deps.clock ? { clock: deps.clock } : {}), onError: (err) => deps.logger.warn({ err }, 'cluster upgrade pass failed'),
    });
  }

  start(): void {
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** One pass over every running plan; returns them as they are after it. */
  async passOnce(): Promise<ClusterUpgrade[]> {
    const out: ClusterUpgrade[] = [];
    for (const u of await this.deps.store.clusterUpgrades.running()) out.push(await this.advance(u));
    return out;
  }

  /** Advances one plan by what is due now. */
  async advance(u: ClusterUpgrade): Promise<ClusterUpgrade> {
    let prevFinished: number | null = null;
    for (const [i, wave] of u.plan.waves.entries()) {
      const progress = wave.map((s) => u.progress[s.cluster] ?? { state: 'pending' as const });
      const failed = wave.find((_s, k) => progress[k]!.state === 'failed');
      if (failed) return this.write(u, { state: 'failed', reason: `${failed.cluster}: ${u.progress[failed.cluster]?.message ?? 'failed'}` });
      if (progress.every((p) => p.state === 'done')) {
        prevFinished = finishedAt(progress);
        continue;
      }
      if (i === 1 && needsApproval(u)) {
        return this.write(u, { state: 'paused', reason: 'awaiting approval after the canary wave (resume to approve)', progress: { ...u.progress, [APPROVAL]: { state: 'done' } } });
      }
      if (prevFinished !== null && this.deps.now().getTime() < prevFinished + u.plan.soakMs) return u;
      // The wave's clusters that are upgrading are upgraded at once (the wave's size is how many may be
      // down together); their outcomes are then written one after the other, each on the latest plan.
      let cur = u;
      const upgrading = wave.filter((s) => u.progress[s.cluster]?.state === 'upgrading');
      const outcomes = await Promise.all(upgrading.map(async (step) => ({ step, next: await this.upgradeOn(u, step) })));
      for (const { step, next } of outcomes) cur = (await this.setProgress(cur, step.cluster, next)) ?? cur;
      for (const step of wave.filter((s) => !upgrading.includes(s))) cur = (await this.advanceCluster(cur, step)) ?? cur;
      return cur;
    }
    return this.write(u, { state: 'succeeded', reason: null });
  }

  private async advanceCluster(u: ClusterUpgrade, step: ClusterUpgradeStep): Promise<ClusterUpgrade | null> {
    const p = u.progress[step.cluster] ?? { state: 'pending' };
    const now = this.deps.now().toISOString();
    const cluster = await this.deps.store.clusters.get(step.cluster);
    if (!cluster) return this.setProgress(u, step.cluster, { ...p, state: 'failed', message: 'cluster was deregistered', finishedAt: now });
    if (p.state === 'pending') return this.startInWindow(u, step, p);
    if (p.state === 'upgrading') return this.setProgress(u, step.cluster, await this.upgradeOn(u, step));
    if (p.state !== 'verifying') return null;
    const problem = await this.verify(cluster, u.target);
    if (problem === null) return this.setProgress(u, step.cluster, { ...p, state: 'done', finishedAt: now, message: `on ${u.target}, environments Ready` });
    const waited = this.deps.now().getTime() - Date.parse(p.verifySince ?? now);
    if (waited >= (this.deps.verifyTimeoutMs ?? 600_000)) return this.setProgress(u, step.cluster, { ...p, state: 'failed', finishedAt: now, message: `check failed: ${problem}` });
    return this.setProgress(u, step.cluster, { ...p, message: `waiting: ${problem}` });
  }

  /** The provider upgrades one cluster (every minor of its path); the progress that follows: verifying, or failed with the provider's reason. */
  private async upgradeOn(u: ClusterUpgrade, step: ClusterUpgradeStep): Promise<ClusterUpgradeProgress> {
    const p = u.progress[step.cluster] ?? { state: 'upgrading' as const };
    const cluster = await this.deps.store.clusters.get(step.cluster);
    if (!cluster) return { ...p, state: 'failed', message: 'cluster was deregistered', finishedAt: this.deps.now().toISOString() };
    try {
      for (const to of step.steps) await this.deps.provider.upgrade(cluster, to, (line) => this.deps.logger.info({ upgrade: u.id, cluster: step.cluster }, line));
    } catch (raw) {
      return { ...p, state: 'failed', finishedAt: this.deps.now().toISOString(), message: `${this.deps.provider.name} provider: ${coerceError(raw).message.split('\n')[0]}` };
    }
    return { ...p, state: 'verifying', verifySince: this.deps.now().toISOString(), message: 'checking the cluster and its environments' };
  }

  /** pending -> upgrading, only inside the cluster's maintenance window; once started it finishes past the window's end. */
  private async startInWindow(u: ClusterUpgrade, step: ClusterUpgradeStep, p: ClusterUpgradeProgress): Promise<ClusterUpgrade | null> {
    const window = upgradeWindowOf(u.plan, step.cluster);
    if (!windowOpen(window, this.deps.now())) {
      const waiting = `waiting for its maintenance window (${windowText(window!)})`;
      return p.message === waiting ? null : this.setProgress(u, step.cluster, { ...p, message: waiting });
    }
    // Pre-flight: a cluster whose environments are not Ready is not upgraded (its post-upgrade check
    // could not tell the upgrade's harm from what was already wrong); the step holds, and the plan
    // halts when they are still not Ready after the verify timeout.
    const notReady = await this.notReadyOn(step.cluster);
    if (notReady.length > 0) {
      const now = this.deps.now();
      const since = p.verifySince ?? now.toISOString();
      const problem = `environments not Ready before the upgrade: ${listed(notReady)}`;
      if (now.getTime() - Date.parse(since) >= (this.deps.verifyTimeoutMs ?? 600_000)) {
        return this.setProgress(u, step.cluster, { ...p, state: 'failed', finishedAt: now.toISOString(), message: `pre-flight failed: ${problem}` });
      }
      const holding = `holding: ${problem}`;
      return p.message === holding && p.verifySince ? null : this.setProgress(u, step.cluster, { ...p, verifySince: since, message: holding });
    }
    return this.setProgress(u, step.cluster, { state: 'upgrading', startedAt: this.deps.now().toISOString(), message: `upgrading ${step.from} -> ${step.steps.join(' -> ')}` });
  }

  /** Null when the cluster answers on the target version and every environment placed there is Ready; else why not. */
  private async verify(cluster: Cluster, target: string): Promise<string | null> {
    const up = await this.deps.heartbeat(cluster);
    const health = (await this.deps.store.clusters.get(cluster.name))?.health;
    if (!up) return `cluster not answering (${health?.message ?? 'probe failed'})`;
    if (health?.version !== target) return `cluster reports ${health?.version ?? 'no version'}, not ${target}`;
    const notReady = await this.notReadyOn(cluster.name);
    return notReady.length ? `environments not Ready: ${listed(notReady)}` : null;
  }

  /** "tenant/environment reason" of each environment placed on the cluster that is not Ready (skipped ones are not listed). */
  private async notReadyOn(cluster: string): Promise<string[]> {
    const verdicts = await (this.deps.readiness ?? ((c: string) => storedReadiness(this.deps.store, c)))(cluster);
    return verdicts.filter((v) => v.state === 'not-ready').map((v) => `${v.tenant}/${v.environment} ${v.reason}`);
  }

  private async setProgress(u: ClusterUpgrade, cluster: string, p: ClusterUpgradeProgress): Promise<ClusterUpgrade | null> {
    this.deps.logger.info({ upgrade: u.id, cluster, state: p.state, message: p.message }, 'cluster upgrade progress');
    return this.deps.store.clusterUpgrades.update(u.id, u.version, { progress: { ...u.progress, [cluster]: p } });
  }

  private async write(u: ClusterUpgrade, patch: Parameters<UpgradeControllerDeps['store']['clusterUpgrades']['update']>[2]): Promise<ClusterUpgrade> {
    const next = await this.deps.store.clusterUpgrades.update(u.id, u.version, patch);
    if (next && patch.state) this.deps.logger.info({ upgrade: u.id, state: patch.state, reason: patch.reason }, 'cluster upgrade plan state');
    return next ?? (await this.deps.store.clusterUpgrades.get(u.id)) ?? u;
  }
}

/** The first five, and how many more. */
function listed(items: string[]): string {
  return `${items.slice(0, 5).join(', ')}${items.length > 5 ? ` and ${items.length - 5} more` : ''}`;
}

/** The environments' stored health as verdicts (the check without cluster connections). */
export async function storedReadiness(store: Pick<Store, 'environments'>, cluster: string): Promise<LiveVerdict[]> {
  const out: LiveVerdict[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.environments.list({ cluster, limit: 200, ...(cursor ? { cursor } : {}) });
    for (const e of page.items) {
      const skipped = e.health === 'Deleted';
      out.push({ tenant: e.tenant, environment: e.name, state: skipped ? 'skipped' : e.health === 'Ready' ? 'ready' : 'not-ready', reason: skipped ? 'deleted' : e.health });
    }
    cursor = page.next;
  } while (cursor);
  return out;
}
