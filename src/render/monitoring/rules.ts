// PrometheusRule content for one environment: RED recording rules per service and multi-window,
// multi-burn-rate SLO alerts. Recorded series carry tenant/environment labels; alerts select on
// them, because every environment's rules record the same metric names into one Prometheus.
import { DEFAULT_RUNBOOK_BASE, runbookUrl } from './runbooks.ts';
import { BURN_WINDOWS, RATE_WINDOWS, burnThreshold, objectivesFor, severityFor, type Severity } from './slo.ts';
import { SERVICE_METRICS, type MonitoringContext } from './types.ts';

export interface RecordingRule { record: string; expr: string; labels?: Record<string, string> }
export interface AlertingRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export type Rule = RecordingRule | AlertingRule;
export interface RuleGroup { name: string; interval?: string; rules: Rule[] }

/** Names of the series the recording rules produce (the dashboard may only query these). */
export const RECORDED = {
  requestRate: 'service:http_requests:rate5m',
  errorRatio: (w: string) => `service:http_request_errors:ratio_rate${w}`,
  slowRatio: (w: string) => `service:http_request_slow:ratio_rate${w}`,
  quantile: (q: 'p50' | 'p90' | 'p99') => `service:http_request_duration_seconds:${q}_5m`,
} as const;

export const QUANTILES = [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]] as const;
export const ALERTS = { availability: 'ServiceAvailabilityBudgetBurn', latency: 'ServiceLatencyBudgetBurn' } as const;

const BY = 'namespace, service';

function rawSelector(ctx: MonitoringContext, extra = ''): string {
  const names = [...new Set(ctx.services.map((s) => s.name))].sort().join('|');
  return `{namespace="${ctx.namespace}",service=~"${names}"${extra}}`;
}

function recordedSelector(ctx: MonitoringContext): string {
  return `{namespace="${ctx.namespace}",tenant="${ctx.tenant}",environment="${ctx.environment}"}`;
}

const sumRate = (metric: string, sel: string, w: string, by = BY): string => `sum by (${by}) (rate(${metric}${sel}[${w}]))`;

// `or … * 0` keeps the ratio at 0 (not absent) for services that have never returned a 5xx.
function errorRatioExpr(ctx: MonitoringContext, w: string): string {
  const all = sumRate(SERVICE_METRICS.requests, rawSelector(ctx), w);
  const errors = sumRate(SERVICE_METRICS.requests, rawSelector(ctx, ',code=~"5.."'), w);
  return `(${errors} or ${all} * 0) / ${all}`;
}

function slowRatioExpr(ctx: MonitoringContext, w: string): string {
  const le = String(objectivesFor(ctx.tier).latencyThresholdSeconds);
  const fast = sumRate(SERVICE_METRICS.durationBucket, rawSelector(ctx, `,le="${le}"`), w);
  const all = sumRate(SERVICE_METRICS.durationCount, rawSelector(ctx), w);
  return `1 - (${fast} / ${all})`;
}

function redGroup(ctx: MonitoringContext, labels: Record<string, string>): RuleGroup {
  const rules: Rule[] = [
    { expr: sumRate(SERVICE_METRICS.requests, rawSelector(ctx), '5m'), labels: { ...labels }, record: RECORDED.requestRate },
    ...QUANTILES.map(([name, q]): RecordingRule => ({
      expr: `histogram_quantile(${q}, ${sumRate(SERVICE_METRICS.durationBucket, rawSelector(ctx), '5m', `${BY}, le`)})`,
      labels: { ...labels },
      record: RECORDED.quantile(name),
    })),
  ];
  return { name: `fleetplane.${ctx.tenant}.${ctx.environment}.red`, rules };
}

function ratioGroup(ctx: MonitoringContext, labels: Record<string, string>): RuleGroup {
  const rules: Rule[] = [];
  for (const w of RATE_WINDOWS) {
    rules.push({ expr: errorRatioExpr(ctx, w), labels: { ...labels }, record: RECORDED.errorRatio(w) });
    rules.push({ expr: slowRatioExpr(ctx, w), labels: { ...labels }, record: RECORDED.slowRatio(w) });
  }
  return { name: `fleetplane.${ctx.tenant}.${ctx.environment}.slo-ratios`, rules };
}

type Slo = 'availability' | 'latency';

function burnExpr(ctx: MonitoringContext, slo: Slo, severity: Severity): string {
  const objective = slo === 'availability' ? objectivesFor(ctx.tier).availability : objectivesFor(ctx.tier).latency;
  const series = slo === 'availability' ? RECORDED.errorRatio : RECORDED.slowRatio;
  const sel = recordedSelector(ctx);
  return BURN_WINDOWS.filter((b) => b.severity === severity)
    .map((b) => {
      const t = burnThreshold(objective, b.factor);
      return `(${series(b.long)}${sel} > ${t} and ${series(b.short)}${sel} > ${t})`;
    })
    .join(' or ');
}

export function alertAnnotations(ctx: MonitoringContext, slo: Slo, severity: Severity): Record<string, string> {
  const o = objectivesFor(ctx.tier);
  const windows = BURN_WINDOWS.filter((b) => b.severity === severity).map((b) => `${b.long}/${b.short} at ${b.factor}x`).join(', ');
  const objective = slo === 'availability'
    ? `${round(o.availability * 100)}% of requests without a 5xx`
    : `${round(o.latency * 100)}% of requests faster than ${o.latencyThresholdSeconds * 1000}ms`;
  return {
    description: `SLO (${ctx.tier} tier, 30 days): ${objective}. Burn rate above threshold in windows ${windows}.`,
    runbook_url: runbookUrl(ctx.runbookBase ?? DEFAULT_RUNBOOK_BASE, slo === 'availability' ? 'slo-availability-burn' : 'slo-latency-burn'),
    summary: `{{ $labels.service }} in ${ctx.tenant}/${ctx.environment} is burning its ${slo} error budget`,
  };
}

const round = (n: number): number => Number(n.toPrecision(6));

function alertRules(ctx: MonitoringContext): AlertingRule[] {
  const out: AlertingRule[] = [];
  for (const slo of ['availability', 'latency'] as const) {
    for (const severity of ['page', 'ticket'] as const) {
      out.push({
        alert: ALERTS[slo],
        annotations: alertAnnotations(ctx, slo, severity),
        expr: burnExpr(ctx, slo, severity),
        labels: { burn: severity === 'page' ? 'fast' : 'slow', severity: severityFor(ctx.envType, severity), slo, tier: ctx.tier },
      });
    }
  }
  return out;
}

/** spec.groups of the environment's PrometheusRule. */
export function ruleGroups(ctx: MonitoringContext): RuleGroup[] {
  const labels = { environment: ctx.environment, tenant: ctx.tenant };
  return [
    redGroup(ctx, labels),
    ratioGroup(ctx, labels),
    { name: `fleetplane.${ctx.tenant}.${ctx.environment}.slo-alerts`, rules: alertRules(ctx) },
  ];
}
