// Pre-scaling nouns: a per-environment policy (opt-in, bounds, what to read, which HPA to move) and the
// decisions the pre-scaler records, each with the forecast behind it and the reason.

/** What the scaling policy decided for minReplicas (src/forecast/policy.ts). */
export type ScalingAction = 'raise' | 'hold' | 'release' | 'noop';

export type ScalingMode = 'off' | 'dry-run' | 'active';

export interface HpaRef {
  /** Registered cluster name. */
  cluster: string;
  namespace: string;
  name: string;
}

export interface ScalingPolicy {
  tenant: string;
  environment: string;
  /** off: nothing; dry-run: forecast and record what it would do; active: also patch the HPA. */
  mode: ScalingMode;
  hpa: HpaRef;
  /** PromQL returning one series of load (e.g. sum(rate(http_requests_total{namespace="…"}[2m]))). */
  query: string;
  /** minReplicas never goes below this (what the HPA has when the pre-scaler is idle). */
  floor: number;
  /** minReplicas never goes above this (nor above the HPA's maxReplicas). */
  ceiling: number;
  /** Load one pod serves, in the query's unit. */
  capacityPerPod: number;
  /** Pod start-up + readiness + HPA sync, seconds: how far ahead capacity must be in place. */
  leadTimeSeconds: number;
  /** Minutes a raised minReplicas is kept after the forecast last needed it. */
  cooldownMinutes: number;
  /** Ignore decreases smaller than this fraction of the current level. */
  hysteresis: number;
  /** Quantile of backtest residuals in the upper bound (0.5-0.99). */
  quantile: number;
  /** Days of history read from Prometheus (1-14). */
  historyDays: number;
  /** Query step in seconds (60 = 1-minute points). */
  stepSeconds: number;
}

export const POLICY_DEFAULTS = {
  mode: 'dry-run', cooldownMinutes: 15, hysteresis: 0.1, quantile: 0.9, historyDays: 14, stepSeconds: 60, leadTimeSeconds: 300,
} as const satisfies Partial<ScalingPolicy>;

export interface ForecastSummary {
  /** Forecast max of the load over (now, now + lead time], and with the residual margin. */
  windowPoint: number;
  upper: number;
  margin: number;
  quantile: number;
  leadTimeMinutes: number;
  /** Point forecasts at a few horizons (minutes → value) and the model chosen for each. */
  horizons: Array<{ minutes: number; value: number; model: string }>;
  /** Detected season in points (0 = none) and points of history used. */
  season: number;
  historyPoints: number;
  lastValue: number;
}

export interface ScalingDecision {
  id?: string;
  tenant: string;
  environment: string;
  hpa: HpaRef;
  /** ISO time of the decision (the injected clock). */
  at: string;
  action: ScalingAction | 'error';
  mode: ScalingMode;
  /** minReplicas the pre-scaler wants now, and what the HPA had before. */
  minReplicas: number;
  previousMinReplicas: number | null;
  /** What the forecast alone asked for before cool-down and hysteresis. */
  wanted: number;
  /** True when the HPA was patched by this decision. */
  applied: boolean;
  reason: string;
  forecast: ForecastSummary | null;
  /** Policy state carried to the next decision (minutes since epoch). */
  state: { current: number; lastNeededAt: number };
}
