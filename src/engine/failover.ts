// The failover loop (docs/clusters.md "Failover"): every interval (a Ticker on the engine's clock),
// each cluster the heartbeat marked Unavailable for at least a tier's threshold is evacuated for
// that tier's environments (mode on), or only planned (mode dry-run: the plan is returned and
// logged, nothing is written). Off for every tier by default. One evacuation per outage and tier
// set: keyed by the cluster and the time it became Unavailable, so every pass (and every process)
// after the first finds the same one. The moves carry `sourceLost`: steps that need the lost
// source (stopping its singletons, removing its objects) are skipped with the reason recorded
// while it stays down, and each move reports its RTO from the cluster's first failed probe.
import { Ticker } from '../clock.ts';
import { coerceError } from '../domain/errors.ts';
import type { Store } from '../domain/ports/store.ts';
import { EvacuationBusyError, type Evacuation } from '../domain/evacuation.ts';
import { failoverDecisions, type FailoverDecision, type FailoverPolicy, type PlannedMove } from '../plan/move.ts';
import type { EngineDeps } from './context.ts';
import { allClusterRecords, createEvacuation, planClusterEvacuation, type EvacuationSettings } from './evacuate.ts';

export interface FailoverPass {
  decisions: FailoverDecision[];
  /** dry-run tiers: what would move, each explained. */
  plans: Array<{ cluster: string; tiers: string[]; moves: PlannedMove[] }>;
  evacuations: Array<{ cluster: string; id: string; created: boolean }>;
}

export interface FailoverOptions { policy: FailoverPolicy; settings: EvacuationSettings; concurrency: number }

/** What the policy does now (nothing written when `write` is false: the API's dry run). */
export async function failoverPass(deps: Pick<EngineDeps, 'store' | 'now' | 'logger'>, o: FailoverOptions, write: boolean): Promise<FailoverPass> {
  const store: Store = deps.store;
  const decisions = failoverDecisions(await allClusterRecords(store), o.policy, deps.now());
  const out: FailoverPass = { decisions, plans: [], evacuations: [] };
  for (const d of decisions) {
    const dry = write ? d.dryRun : [...d.dryRun, ...d.evacuate];
    if (dry.length > 0) out.plans.push({ cluster: d.cluster, tiers: dry, moves: await planClusterEvacuation(store, o.settings, [d.cluster], dry) });
    if (write && d.evacuate.length > 0) out.evacuations.push(await failOver(deps, o, d));
  }
  for (const p of out.plans) deps.logger.info({ cluster: p.cluster, tiers: p.tiers, moves: p.moves.map((m) => `${m.tenant}/${m.environment} -> ${m.to ?? 'nowhere'}`) }, 'failover dry run');
  return out;
}

async function failOver(deps: Pick<EngineDeps, 'store' | 'now' | 'logger'>, o: FailoverOptions, d: FailoverDecision): Promise<FailoverPass['evacuations'][number]> {
  const health = (await deps.store.clusters.get(d.cluster))?.health;
  let out: Awaited<ReturnType<typeof createEvacuation>>;
  try {
    out = await createEvacuation(deps.store, o.settings, {
      clusters: [d.cluster], trigger: 'failover', reason: `failover: ${d.cluster} ${health?.message ?? 'Unavailable'}`, concurrency: o.concurrency,
      lostAt: d.lostAt, tiers: d.evacuate, key: `failover:${d.cluster}:${health?.since ?? d.lostAt}:${d.evacuate.join(',')}`, now: deps.now(),
    });
  } catch (err) {
    // Another evacuation (an operator's, or this outage's for other tiers) is emptying the cluster.
    if (!(err instanceof EvacuationBusyError)) throw err;
    deps.logger.debug({ cluster: d.cluster, evacuation: err.holder.id }, 'failover: the cluster is already being evacuated');
    return { cluster: d.cluster, id: err.holder.id, created: false };
  }
  const { evacuation, created } = out;
  if (created) deps.logger.warn({ cluster: d.cluster, evacuation: evacuation.id, tiers: d.evacuate, moves: evacuation.moves.length }, 'cluster unavailable beyond the failover threshold: evacuating');
  return { cluster: d.cluster, id: evacuation.id, created };
}

export class FailoverLoop {
  private readonly ticker: Ticker;

  constructor(private readonly deps: Pick<EngineDeps, 'store' | 'now' | 'logger' | 'clock'>, private readonly o: FailoverOptions, intervalMs: number, private readonly onEvacuation?: (e: Pick<Evacuation, 'id'>) => void) {
    this.ticker = new Ticker(() => this.pass().then(() => undefined), {
      intervalMs, clock: deps.clock, onError: (err) => deps.logger.warn({ err: coerceError(err) }, 'failover pass failed'),
    });
  }

  start(): void {
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  async pass(): Promise<FailoverPass> {
    const r = await failoverPass(this.deps, this.o, true);
    for (const e of r.evacuations) if (e.created) this.onEvacuation?.({ id: e.id });
    return r;
  }
}
