// Generates `promtool test rules` unit tests for an environment's PrometheusRule: a healthy series
// must keep every SLO alert silent; an availability outage and a latency outage must fire exactly
// the alerts of their SLO (fast burn and slow burn). Run: promtool test rules <file>.
import { ALERTS, alertAnnotations, objectivesFor, severityFor, type MonitoringContext } from '../../src/render/monitoring/index.ts';

export interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: Array<{ name: string; interval: string; input_series: InputSeries[]; alert_rule_test: AlertTest[] }>;
}
interface InputSeries { series: string; values: string }
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }>;
}

const MINUTES = 240;
const OUTAGE_AT = 60;
const RPS_OK = 6000; // requests per minute answered 2xx
const ERR_BASE = 0.3; // 5xx per minute when healthy: 0.005%, below every tier's budget

/** Counter values: `perMin` per minute, switching to `after` per minute from minute OUTAGE_AT. */
function counter(perMin: number, after = perMin): string {
  if (after === perMin) return `0+${perMin}x${MINUTES}`;
  const at = round(perMin * OUTAGE_AT);
  return `0+${perMin}x${OUTAGE_AT} ${round(at + after)}+${after}x${MINUTES - OUTAGE_AT - 1}`;
}

const round = (n: number): number => Number(n.toFixed(6));

interface Shape { errors: [number, number]; fast: [number, number] }

function inputSeries(ctx: MonitoringContext, service: string, shape: Shape): InputSeries[] {
  const base = `namespace="${ctx.namespace}",service="${service}",job="${service}",tenant="${ctx.tenant}"`;
  const le = String(objectivesFor(ctx.tier).latencyThresholdSeconds);
  const total: [number, number] = [RPS_OK + shape.errors[0], RPS_OK + shape.errors[1]];
  return [
    { series: `http_requests_total{${base},code="200"}`, values: counter(RPS_OK) },
    { series: `http_requests_total{${base},code="503"}`, values: counter(...shape.errors) },
    { series: `http_request_duration_seconds_bucket{${base},le="${le}"}`, values: counter(...shape.fast) },
    { series: `http_request_duration_seconds_bucket{${base},le="+Inf"}`, values: counter(...total) },
    { series: `http_request_duration_seconds_count{${base}}`, values: counter(...total) },
  ];
}

function expectedAlerts(ctx: MonitoringContext, service: string, slo: 'availability' | 'latency'): AlertTest['exp_alerts'] {
  return (['page', 'ticket'] as const).map((severity) => {
    const annotations = alertAnnotations(ctx, slo, severity);
    return {
      exp_labels: {
        burn: severity === 'page' ? 'fast' : 'slow',
        environment: ctx.environment,
        namespace: ctx.namespace,
        service,
        severity: severityFor(ctx.envType, severity),
        slo,
        tenant: ctx.tenant,
        tier: ctx.tier,
      },
      exp_annotations: { ...annotations, summary: annotations.summary!.replace('{{ $labels.service }}', service) },
    };
  });
}

function checks(ctx: MonitoringContext, service: string, at: string[], firing: 'availability' | 'latency' | null): AlertTest[] {
  return at.flatMap((t) => (['availability', 'latency'] as const).map((slo) => ({
    eval_time: t,
    alertname: ALERTS[slo],
    exp_alerts: firing === slo ? expectedAlerts(ctx, service, slo) : [],
  })));
}

export function ruleTests(ctx: MonitoringContext, rulesFile: string): PromtoolTestFile {
  const service = [...ctx.services].map((s) => s.name).sort()[0];
  if (!service) throw new Error('ruleTests: the context has no services');
  const fastOk = RPS_OK; // healthy: only the rare 5xx are slow
  const healthy: Shape = { errors: [ERR_BASE, ERR_BASE], fast: [fastOk, fastOk] };
  const outage: Shape = { errors: [ERR_BASE, RPS_OK / 2], fast: [fastOk, RPS_OK + RPS_OK / 2] };
  // Every request slow: even the shared tier's fast burn (14.4 × 5% = 72% slow for an hour) trips.
  const slow: Shape = { errors: [ERR_BASE, ERR_BASE], fast: [fastOk, 0] };
  const mk = (name: string, shape: Shape, alerts: AlertTest[]) => ({
    name, interval: '1m', input_series: inputSeries(ctx, service, shape), alert_rule_test: alerts,
  });
  return {
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: [
      mk('healthy traffic keeps every SLO alert silent', healthy, checks(ctx, service, ['30m', '90m', '4h'], null)),
      mk('5xx outage fires availability burn alerts only', outage,
        [...checks(ctx, service, ['30m'], null), ...checks(ctx, service, ['2h'], 'availability')]),
      mk('latency outage fires latency burn alerts only', slow,
        [...checks(ctx, service, ['30m'], null), ...checks(ctx, service, ['2h'], 'latency')]),
    ],
  };
}
