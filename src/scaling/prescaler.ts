// The pre-scaler: for each opted-in environment, read load history from Prometheus, forecast the
// maximum over the lead-time window, decide minReplicas (pure policy), patch the HPA in active mode, and
// record every decision with its forecast and reason. One bad environment never stops the others.
import type { Logger } from 'pino';
import type { RangeQuery } from '../adapters/prometheus/client.ts';
import { decide, type PolicyState } from '../forecast/policy.ts';
import { fitForecaster } from '../forecast/selector.ts';
import type { DenseSeries } from '../forecast/series.ts';
import type { HpaPort } from './hpa.ts';
import { observeDecision } from './metrics.ts';
import type { ScalingRepo } from '../domain/ports/store.ts';
import type { ForecastSummary, ScalingDecision, ScalingPolicy } from '../domain/scaling.ts';
import { coerceError } from '../domain/errors.ts';
import type { Placement } from '../domain/types.ts';
import { scopeQuery } from './query-scope.ts';

export interface HistorySource {
  history(q: RangeQuery): Promise<{ series: DenseSeries; samples: number }>;
}

export interface PrescalerDeps {
  history: HistorySource;
  hpa: HpaPort;
  /** Where policies come from and decisions go (Store.scaling). */
  store: Pick<ScalingRepo, 'enabledPolicies' | 'latest' | 'record'>;
  /**
   * Where the policy's environment runs (Store.environments). A policy may only move an HPA in its own
   * environment's namespace and only read that namespace's series; anything else is refused at run
   * time too, so a policy stored before the API checked it cannot reach another tenant (issue #14).
   */
  placement: (tenant: string, environment: string) => Promise<Placement | null>;
  /** Injected clock: tests drive the pre-scaler across a recorded trace. */
  now: () => Date;
  logger?: Logger;
  /** Environments decided at once (default 8). */
  concurrency?: number;
  /** Whether the environment is hibernated (docs/ai-workloads.md): then the pre-scaler stands down. */
  hibernated?: (tenant: string, environment: string) => Promise<boolean>;
}

const REPORT_MINUTES = [5, 15, 30];
const MIN_POINTS = 120;

class DecisionError extends Error {}

export class Prescaler {
  constructor(private readonly deps: PrescalerDeps) {}

  /**
   * One pass over every enabled policy; per-environment failures become recorded "error" decisions.
   * A few environments are in flight at once so Prometheus and API-server round trips overlap (the
   * forecast itself is ~10 ms of CPU, so a thousand environments fit in a minute).
   */
  async runOnce(): Promise<ScalingDecision[]> {
    const policies = await this.deps.store.enabledPolicies();
    const out: ScalingDecision[] = new Array(policies.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < policies.length) {
        const i = next++;
        out[i] = await this.decideFor(policies[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.concurrency ?? 8, policies.length) }, worker));
    return out;
  }

  async decideFor(policy: ScalingPolicy): Promise<ScalingDecision> {
    const at = this.deps.now();
    const nowMin = Math.floor(at.getTime() / 60_000);
    const prior = await this.deps.store.latest(policy.tenant, policy.environment);
    const state: PolicyState = prior?.state ?? { current: policy.floor, lastNeededAt: nowMin };
    let d: ScalingDecision;
    try {
      d = await this.evaluate(policy, at, state);
    } catch (err) {
      const message = coerceError(err).message;
      d = {
        tenant: policy.tenant, environment: policy.environment, hpa: policy.hpa, at: at.toISOString(), action: 'error', mode: policy.mode,
        minReplicas: state.current, previousMinReplicas: null, wanted: state.current, applied: false, reason: message.slice(0, 500), forecast: null, state,
      };
      this.deps.logger?.warn({ tenant: policy.tenant, environment: policy.environment, err: message }, 'prescale decision failed');
    }
    const saved = await this.deps.store.record(d);
    observeDecision({ ...d, upper: d.forecast?.upper ?? null });
    this.deps.logger?.info({ tenant: d.tenant, environment: d.environment, action: d.action, minReplicas: d.minReplicas, applied: d.applied, upper: d.forecast?.upper }, 'prescale decision');
    return saved;
  }

  /** The query scoped to the environment's namespace; refuses a target outside the environment. */
  private async scoped(policy: ScalingPolicy): Promise<string> {
    const where = await this.deps.placement(policy.tenant, policy.environment);
    if (!where) throw new DecisionError(`environment ${policy.tenant}/${policy.environment} not found`);
    if (policy.hpa.cluster !== where.cluster || policy.hpa.namespace !== where.namespace) {
      throw new DecisionError(`refused: HPA ${policy.hpa.cluster}/${policy.hpa.namespace}/${policy.hpa.name} is outside the environment (${where.cluster}/${where.namespace})`);
    }
    try {
      return scopeQuery(policy.query, where.namespace);
    } catch (err) {
      throw new DecisionError(`refused query: ${coerceError(err).message}`);
    }
  }

  private async evaluate(policy: ScalingPolicy, at: Date, state: PolicyState): Promise<ScalingDecision> {
    const query = await this.scoped(policy);
    const standDown = (reason: string, previous: number | null): ScalingDecision => ({
      tenant: policy.tenant, environment: policy.environment, hpa: policy.hpa, at: at.toISOString(), action: 'noop', mode: policy.mode,
      minReplicas: previous ?? state.current, previousMinReplicas: previous, wanted: previous ?? state.current, applied: false, reason, forecast: null, state,
    });
    // Scale to zero and hibernation win over a raised floor (docs/ai-workloads.md).
    if (await this.deps.hibernated?.(policy.tenant, policy.environment)) return standDown('environment is hibernated: nothing is raised until it wakes', null);
    const hpa = await this.deps.hpa.get(policy.hpa);
    if (!hpa) throw new DecisionError(`HPA ${policy.hpa.namespace}/${policy.hpa.name} not found on cluster ${policy.hpa.cluster}`);
    if (hpa.scaledObject) return standDown(`scale to zero: KEDA owns this HPA for ScaledObject ${hpa.scaledObject} (minReplicaCount 0); the pre-scaler does not raise its floor`, hpa.minReplicas);
    const forecast = await this.forecast({ ...policy, query }, at);
    const ceiling = Math.max(policy.floor, Math.min(policy.ceiling, hpa.maxReplicas));
    const nowMin = Math.floor(at.getTime() / 60_000);
    const p = decide(forecast.upper, state, nowMin, { ...policy, ceiling });
    let applied = false;
    // Active mode also repairs drift: if someone else moved minReplicas, the pre-scaler's value wins.
    if (policy.mode === 'active' && hpa.minReplicas !== p.minReplicas) {
      await this.deps.hpa.setMinReplicas(policy.hpa, p.minReplicas);
      applied = true;
    }
    const prefix = policy.mode === 'dry-run' ? 'dry-run (not applied): ' : '';
    return {
      tenant: policy.tenant, environment: policy.environment, hpa: policy.hpa, at: at.toISOString(), action: p.action, mode: policy.mode,
      minReplicas: p.minReplicas, previousMinReplicas: hpa.minReplicas, wanted: p.wanted, applied, reason: prefix + p.reason, forecast, state: p.state,
    };
  }

  private async forecast(policy: ScalingPolicy, at: Date): Promise<ForecastSummary> {
    const step = policy.stepSeconds;
    const end = Math.floor(at.getTime() / 1000 / step) * step;
    const { series } = await this.deps.history.history({ query: policy.query, start: end - policy.historyDays * 86_400, end, step });
    const n = series.values.length;
    const lastTs = series.start + (n - 1) * step;
    if (end - lastTs > Math.max(5 * step, 300)) throw new DecisionError(`stale data: last sample ${end - lastTs}s before now`);
    if (n < MIN_POINTS) throw new DecisionError(`not enough history: ${n} points, need ${MIN_POINTS}`);
    const perMin = 60 / step;
    const lead = Math.max(1, Math.ceil(policy.leadTimeSeconds / step));
    const horizons = REPORT_MINUTES.map((m) => Math.max(1, Math.round(m * perMin)));
    const f = fitForecaster(series.values, { horizons, leadTime: lead, quantile: policy.quantile, day: Math.round(86_400 / step) });
    const w = f.window(n - 1);
    return {
      windowPoint: w.point, upper: w.upper, margin: f.windowMargin, quantile: policy.quantile, leadTimeMinutes: policy.leadTimeSeconds / 60,
      horizons: horizons.map((h, i) => ({ minutes: REPORT_MINUTES[i]!, value: f.predict(n - 1, h), model: f.choice.get(h) ?? 'unknown' })),
      season: f.ctx.period, historyPoints: n, lastValue: series.values[n - 1]!,
    };
  }
}
