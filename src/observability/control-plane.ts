// Monitoring for Fleetplane itself: alert rules over the control plane's own fleetplane_* metrics
// and a Grafana dashboard for the platform team. `scripts/prometheus.sh start` loads the rules (it
// imports this module through `node -e`). Pure; it uses the rule, dashboard and runbook shapes of
// the per-environment monitoring the renderer makes (src/render/monitoring/).
import { stringify } from 'yaml';
import { InputError } from '../domain/errors.ts';
import { DEFAULT_RUNBOOK_BASE, runbookBaseIssue, runbookUrl, type AlertingRule, type Dashboard, type Panel, type RuleGroup } from '../render/monitoring/index.ts';

type Sev = 'page' | 'ticket';

export interface ControlPlaneRuleOptions {
  /** Base URL of the runbook pages (no trailing slash); default DEFAULT_RUNBOOK_BASE. */
  runbookBase?: string;
}

const ratio = (num: string, den: string) => `(${num}) / (${den})`;

/** Each alert links to its own section of the control-plane runbook: `control-plane#<alert name lowercased>`. */
export function controlPlaneRuleGroups(opts: ControlPlaneRuleOptions = {}): RuleGroup[] {
  const base = opts.runbookBase ?? DEFAULT_RUNBOOK_BASE;
  const issue = runbookBaseIssue(base);
  if (issue) throw new InputError(`invalid runbook base: ${issue}`, [{ field: '/runbookBase', message: issue }]);
  const alert = (name: string, expr: string, forDuration: string, severity: Sev, summary: string): AlertingRule & { for: string } => ({
    alert: name,
    expr,
    for: forDuration,
    labels: { severity, component: 'fleetplane' },
    annotations: { summary, runbook_url: runbookUrl(base, 'control-plane', name.toLowerCase()) },
  });
  const rules = [
    alert('FleetplaneAPIErrors',
      `${ratio('sum(rate(fleetplane_http_requests_total{status_class="5xx"}[5m]))', 'sum(rate(fleetplane_http_requests_total[5m]))')} > 0.05`,
      '10m', 'page', 'More than 5% of Fleetplane API requests fail with 5xx'),
    alert('FleetplaneAPISlow',
      'histogram_quantile(0.99, sum by (le, route) (rate(fleetplane_http_request_duration_seconds_bucket[5m]))) > 2',
      '15m', 'ticket', 'Fleetplane API p99 above 2s on {{ $labels.route }}'),
    alert('FleetplaneQueueBacklog', 'sum(fleetplane_queue_depth{state="pending"}) > 50', '15m', 'ticket',
      'More than 50 operations waiting for a worker'),
    alert('FleetplaneLeaseStuck', 'fleetplane_queue_oldest_lease_age_seconds > 900', '5m', 'page',
      'An operation lease has been held for more than 15 minutes (stuck worker?)'),
    alert('FleetplaneOperationsFailing',
      `${ratio('sum by (kind) (rate(fleetplane_operations_total{result="failed"}[15m]))', 'sum by (kind) (rate(fleetplane_operations_total[15m]))')} > 0.2`,
      '15m', 'ticket', 'More than 20% of {{ $labels.kind }} operations fail'),
    alert('FleetplaneClusterDown', 'fleetplane_cluster_up == 0', '5m', 'page', 'Cluster {{ $labels.cluster }} API server unreachable'),
    alert('FleetplaneClusterAPISlow',
      'histogram_quantile(0.99, sum by (le, cluster) (rate(fleetplane_cluster_api_request_duration_seconds_bucket[10m]))) > 5',
      '15m', 'ticket', 'Kubernetes API calls to {{ $labels.cluster }} are slow (p99 > 5s)'),
    alert('FleetplaneEnvironmentsUnhealthy',
      `${ratio('sum(fleetplane_environments{health=~"Degraded|Failed"})', 'sum(fleetplane_environments)')} > 0.1`,
      '15m', 'page', 'More than 10% of customer environments are Degraded or Failed'),
  ];
  return [{ name: 'fleetplane.control-plane', rules }];
}

export function controlPlaneRulesYaml(opts: ControlPlaneRuleOptions = {}): string {
  return stringify({ groups: controlPlaneRuleGroups(opts) });
}

const DS = { type: 'prometheus', uid: '${datasource}' };

function ts(title: string, unit: string, exprs: Array<[string, string]>): Omit<Panel, 'id' | 'gridPos'> {
  return {
    type: 'timeseries', title, datasource: DS,
    fieldConfig: { defaults: { unit, min: 0 }, overrides: [] },
    targets: exprs.map(([expr, legendFormat], i) => ({ datasource: DS, expr, legendFormat, refId: String.fromCharCode(65 + i) })),
  };
}

const PANELS: Array<Omit<Panel, 'id' | 'gridPos'>> = [
  ts('API requests by route', 'reqps', [['sum by (route) (rate(fleetplane_http_requests_total[5m]))', '{{route}}']]),
  ts('API 5xx ratio', 'percentunit', [[ratio('sum(rate(fleetplane_http_requests_total{status_class="5xx"}[5m]))', 'sum(rate(fleetplane_http_requests_total[5m]))'), '5xx']]),
  ts('API p99 latency by route', 's', [['histogram_quantile(0.99, sum by (le, route) (rate(fleetplane_http_request_duration_seconds_bucket[5m])))', '{{route}}']]),
  ts('Top tenants by request rate', 'reqps', [['topk(10, sum by (tenant) (rate(fleetplane_http_requests_total{tenant!~"none|other|invalid"}[5m])))', '{{tenant}}']]),
  ts('Operations by kind and result', 'ops', [['sum by (kind, result) (rate(fleetplane_operations_total[15m]))', '{{kind}} {{result}}']]),
  ts('Operation duration p90 by kind', 's', [['histogram_quantile(0.9, sum by (le, kind) (rate(fleetplane_operation_duration_seconds_bucket[30m])))', '{{kind}}']]),
  ts('Step failures', 'ops', [['sum by (kind, step) (rate(fleetplane_operation_step_failures_total[15m]))', '{{kind}}/{{step}}']]),
  ts('Queue depth', 'short', [['sum by (state) (fleetplane_queue_depth{state=~"pending|running"})', '{{state}}']]),
  ts('Oldest lease age', 's', [['fleetplane_queue_oldest_lease_age_seconds', 'oldest lease']]),
  ts('Environments by health', 'short', [['sum by (health) (fleetplane_environments)', '{{health}}']]),
  ts('Clusters up', 'short', [['fleetplane_cluster_up', '{{cluster}}']]),
  ts('Cluster API p99 by cluster', 's', [['histogram_quantile(0.99, sum by (le, cluster) (rate(fleetplane_cluster_api_request_duration_seconds_bucket[10m])))', '{{cluster}}']]),
  ts('Cluster API errors', 'ops', [['sum by (cluster, code_class) (rate(fleetplane_cluster_api_errors_total[10m]))', '{{cluster}} {{code_class}}']]),
  ts('Drift detected / healed', 'ops', [
    ['sum by (cluster) (rate(fleetplane_drift_detected_total[30m]))', 'drift {{cluster}}'],
    ['sum by (cluster) (rate(fleetplane_drift_healed_total[30m]))', 'healed {{cluster}}'],
  ]),
  ts('Rollout progress', 'short', [['sum by (progress) (fleetplane_rollout_environments{rollout_state="running"})', '{{progress}}']]),
  ts('Reconcile runs', 'ops', [['sum by (cluster, result) (rate(fleetplane_reconcile_runs_total[30m]))', '{{cluster}} {{result}}']]),
];

export function controlPlaneDashboard(): Dashboard {
  const panels: Panel[] = PANELS.map((p, i) => ({ ...p, id: i + 1, gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 } } as Panel));
  return {
    uid: 'fleetplane-control-plane',
    title: 'Fleetplane control plane',
    tags: ['fleetplane'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }] },
    annotations: { list: [] },
    panels,
  };
}
