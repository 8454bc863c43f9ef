import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../domain/errors.ts';
import { metricNames } from '../../../test/helpers/promql.ts';
import { buildDashboard, burnThreshold, DEFAULT_RUNBOOK_BASE, objectName, renderMonitoring, ruleGroups, SERVICE_METRICS, type Dashboard, type MonitoringContext, type Panel } from './index.ts';

const ctx = (over: Partial<MonitoringContext> = {}): MonitoringContext => ({
  tenant: 'acme',
  environment: 'prod',
  envType: 'prod',
  namespace: 'acme-prod',
  tier: 'dedicated',
  labels: { 'app.kubernetes.io/managed-by': 'fleetplane', 'fleetplane.io/tenant': 'acme', 'fleetplane.io/environment': 'prod' },
  services: [
    { name: 'web', component: 'web', port: 'http' },
    { name: 'api', component: 'api', port: 'http' },
    { name: 'model', component: 'model', port: 'metrics', path: '/stats' },
  ],
  ...over,
});

test('renders ServiceMonitor, PrometheusRule and dashboard ConfigMap, byte-stable', () => {
  const a = renderMonitoring(ctx());
  const b = renderMonitoring(ctx({ services: [...ctx().services].reverse() }));
  assert.deepEqual(a.map((o) => o.kind), ['ServiceMonitor', 'PrometheusRule', 'ConfigMap']);
  assert.equal(JSON.stringify(a), JSON.stringify(b), 'service order must not change output');
  for (const o of a) {
    assert.equal(o.metadata.namespace, 'acme-prod');
    assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'fleetplane');
    assert.equal(o.metadata.labels?.['fleetplane.io/tenant'], 'acme');
    assert.ok(o.metadata.name.length <= 63);
  }
});

test('ServiceMonitor: one endpoint per port+path, keeping only its services, tenant labels added', () => {
  const [sm] = renderMonitoring(ctx());
  const spec = sm!.spec as { endpoints: Array<{ port: string; path: string; relabelings: Array<Record<string, unknown>> }>; namespaceSelector: unknown; selector: unknown };
  assert.deepEqual(spec.endpoints.map((e) => [e.port, e.path, e.relabelings[0]!.regex]), [
    ['http', '/metrics', 'api|web'],
    ['metrics', '/stats', 'model'],
  ]);
  assert.deepEqual(spec.namespaceSelector, { matchNames: ['acme-prod'] });
  assert.deepEqual(spec.selector, { matchLabels: { 'fleetplane.io/environment': 'prod', 'fleetplane.io/tenant': 'acme' } });
  assert.ok(spec.endpoints.every((e) => e.relabelings.some((r) => r.targetLabel === 'tenant' && r.replacement === 'acme')));
});

test('dashboard ConfigMap carries the Grafana sidecar label and the tenant folder', () => {
  const cm = renderMonitoring(ctx())[2]!;
  assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
  assert.equal(cm.metadata.annotations?.grafana_folder, 'acme');
  const data = cm.data as Record<string, string>;
  assert.deepEqual(Object.keys(data), ['acme-prod.json']);
  const parsed = JSON.parse(data['acme-prod.json']!) as Dashboard;
  assert.equal(parsed.uid.length <= 40, true);
  assert.deepEqual(parsed, buildDashboard(ctx()));
});

function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...((p.panels as Panel[] | undefined) ?? [])]);
}

function queries(d: Dashboard): string[] {
  const exprs = allPanels(d).flatMap((p) => ((p.targets as Array<{ expr: string }> | undefined) ?? []).map((t) => t.expr));
  const vars = (d.templating as { list: Array<{ definition?: string }> }).list.flatMap((v) => (v.definition ? [v.definition] : []));
  return [...exprs, ...vars];
}

for (const tier of ['shared', 'hybrid', 'dedicated'] as const) {
  test(`dashboard (${tier}): unique panel ids, RED panels for each service, only produced metrics`, () => {
    const c = ctx({ tier });
    const d = buildDashboard(c);
    const ids = allPanels(d).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids must be unique');
    for (const s of c.services) {
      for (const what of ['request rate', 'error ratio', 'latency']) {
        assert.ok(d.panels.some((p) => p.title === `${s.name}: ${what}`), `${s.name} has a ${what} panel`);
      }
    }
    const recorded = new Set(ruleGroups(c).flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [r.record] : []))));
    const used = queries(d).flatMap(metricNames);
    assert.ok(used.length > 10);
    for (const m of used) assert.ok(recorded.has(m), `dashboard queries ${m}, which no recording rule produces`);
  });
}

test('dashboard layout: panels fit the 24-column grid without overlapping; targets well-formed', () => {
  const d = buildDashboard(ctx());
  const cells = new Set<string>();
  for (const p of d.panels) {
    const { x, y, w, h } = p.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${p.title} fits the grid`);
    for (let i = x; i < x + w; i++) {
      for (let j = y; j < y + h; j++) {
        assert.ok(!cells.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`);
        cells.add(`${i},${j}`);
      }
    }
    const targets = (p.targets as Array<{ refId: string; expr: string }> | undefined) ?? [];
    assert.equal(new Set(targets.map((t) => t.refId)).size, targets.length, `${p.title}: unique refIds`);
    if (p.type !== 'row') assert.ok(targets.length > 0 && p.datasource, `${p.title} queries a data source`);
  }
});

test('rules read only the documented service metrics and recorded series', () => {
  const groups = ruleGroups(ctx());
  const recorded = new Set(groups.flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [r.record] : []))));
  const allowed = new Set<string>([...recorded, ...Object.values(SERVICE_METRICS)]);
  for (const r of groups.flatMap((g) => g.rules)) {
    for (const m of metricNames(r.expr)) assert.ok(allowed.has(m), `${m} in ${r.expr}`);
  }
});

test('burn-rate alerts use the SRE workbook windows and tier budgets', () => {
  const alerts = ruleGroups(ctx({ tier: 'hybrid' })).flatMap((g) => g.rules).filter((r) => 'alert' in r);
  assert.equal(alerts.length, 4);
  const page = alerts.find((a) => 'alert' in a && a.labels.slo === 'availability' && a.labels.severity === 'page')!;
  assert.match(page.expr, /ratio_rate1h\{[^}]*\} > 0\.0144 and service:http_request_errors:ratio_rate5m\{[^}]*\} > 0\.0144/);
  assert.match(page.expr, /ratio_rate6h\{[^}]*\} > 0\.006 and service:http_request_errors:ratio_rate30m/);
  assert.ok('annotations' in page && page.annotations.runbook_url === `${DEFAULT_RUNBOOK_BASE}/slo-availability-burn`);
  assert.equal(burnThreshold(0.9995, 14.4), 0.0072);
});

test('non-production environments never page', () => {
  const alerts = ruleGroups(ctx({ envType: 'staging' })).flatMap((g) => g.rules).filter((r) => 'alert' in r);
  assert.ok(alerts.every((a) => 'labels' in a && a.labels?.severity === 'ticket'));
});

test('bad context is an InputError naming the field; no services renders nothing', () => {
  assert.throws(() => renderMonitoring(ctx({ tenant: 'Acme!' })), (e: unknown) => e instanceof InputError && e.issues[0]!.field === '/tenant');
  assert.throws(() => renderMonitoring(ctx({ services: [{ name: 'web', component: 'web', port: '8080' }] })),
    (e: unknown) => e instanceof InputError && e.issues[0]!.field === '/services/0/port');
  assert.throws(() => renderMonitoring(ctx({ tier: 'gold' as never })), InputError);
  assert.deepEqual(renderMonitoring(ctx({ services: [] })), []);
});

test('object names: fp-<tenant>-<env>-<suffix>, hashed to 63 characters when long or not clean', () => {
  assert.equal(objectName({ tenant: 'acme', environment: 'prod' }, 'slo'), 'fp-acme-prod-slo');
  const long = objectName({ tenant: 'a'.repeat(60), environment: 'b'.repeat(60) }, 'slo');
  assert.equal(long.length <= 63, true);
  assert.match(long, /^[a-z0-9-]+-[0-9a-f]{8}$/);
  assert.notEqual(long, objectName({ tenant: 'a'.repeat(60), environment: 'b'.repeat(59) }, 'slo'));
  // "--" is a valid label but not what the rewrite leaves, so such names carry a hash (as they always did).
  assert.match(objectName({ tenant: 'a--b', environment: 'prod' }, 'slo'), /^fp-a-b-prod-slo-[0-9a-f]{8}$/);
});

test('metricNames ignores functions, labels, ranges, numbers and grouping', () => {
  assert.deepEqual(metricNames('sum by (namespace) (rate(http_requests_total{code=~"5.."}[5m])) / 1e-3 > bool 0.5'), ['http_requests_total']);
  assert.deepEqual(metricNames('label_values(service:http_requests:rate5m{tenant="a"}, namespace)'), ['service:http_requests:rate5m']);
  assert.deepEqual(metricNames('a and on (x) b offset 5m'), ['a', 'b']);
});
