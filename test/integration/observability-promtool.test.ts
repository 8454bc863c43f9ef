// promtool against what Fleetplane produces: the live /metrics of a running control plane, every
// generated PrometheusRule (check rules), and generated unit tests proving the burn-rate alerts
// fire on an outage and stay silent when healthy (test rules), one per tier.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseBlueprint } from '../../src/domain/blueprint.ts';
import { DEFAULT_RUNBOOK_BASE, renderMonitoring, type MonitoringContext } from '../../src/render/monitoring/index.ts';
import { renderEnvironment } from '../../src/render/index.ts';
import { controlPlaneRulesYaml } from '../../src/observability/control-plane.ts';
import { ruleTests } from '../helpers/rule-tests.ts';
import * as engineMetrics from '../../src/metrics/engine.ts';
import { binaries, promtool, startControlPlane, tempDir, type ControlPlane } from './observability-support.ts';

const tiers = ['shared', 'hybrid', 'dedicated'] as const;
const envTypes = ['prod', 'staging', 'dev'] as const;

function ctx(tier: MonitoringContext['tier'], envType: MonitoringContext['envType']): MonitoringContext {
  return {
    tenant: `t-${tier}`, environment: envType, envType, namespace: `t-${tier}-${envType}`, tier,
    labels: { 'app.kubernetes.io/managed-by': 'fleetplane' },
    services: [
      { name: 'web', component: 'web', port: 'http' },
      { name: 'api', component: 'api', port: 'http' },
      { name: 'inference', component: 'model-server', port: 'metrics', path: '/metrics' },
    ],
  };
}

function rulesYaml(c: MonitoringContext): string {
  const rule = renderMonitoring(c).find((o) => o.kind === 'PrometheusRule');
  assert.ok(rule, 'a PrometheusRule is rendered');
  return YAML.stringify({ groups: (rule.spec as { groups: unknown }).groups });
}

const dir = tempDir('promtool');
let cp: ControlPlane | undefined;
before(() => binaries());
after(async () => {
  await cp?.stop();
  dir.remove();
});

test('promtool check rules passes on every PrometheusRule the renderer produces for the real blueprints', () => {
  const files: string[] = [];
  for (const version of ['1.4.0', '1.5.0']) {
    const blueprint = parseBlueprint(readFileSync(join(import.meta.dirname, `../../blueprints/default/${version}.yaml`), 'utf8'));
    for (const tier of tiers) {
      for (const type of envTypes) {
        const out = renderEnvironment({
          tenant: { slug: `r-${tier}`, name: 'R', tier }, environment: { name: type, type }, blueprint, placement: { cluster: 'c1' },
        });
        const rules = out.objects.map((r) => r.object).filter((o) => o.kind === 'PrometheusRule');
        assert.equal(rules.length, 1, `${version} ${tier} ${type}: one PrometheusRule`);
        const file = join(dir.path, `rendered-${version}-${tier}-${type}.yaml`);
        writeFileSync(file, YAML.stringify({ groups: (rules[0]!.spec as { groups: unknown }).groups }));
        files.push(file);
      }
    }
  }
  const r = promtool(['check', 'rules', ...files]);
  assert.equal(r.code, 0, r.out);
  assert.equal((r.out.match(/SUCCESS: 22 rules found/g) ?? []).length, files.length, r.out);
});

test('promtool check rules passes on generated PrometheusRules for every tier and environment type', () => {
  const files: string[] = [];
  for (const tier of tiers) {
    for (const envType of envTypes) {
      const file = join(dir.path, `rules-${tier}-${envType}.yaml`);
      writeFileSync(file, rulesYaml(ctx(tier, envType)));
      files.push(file);
    }
  }
  const r = promtool(['check', 'rules', ...files]);
  assert.equal(r.code, 0, r.out);
  assert.equal((r.out.match(/SUCCESS: 22 rules found/g) ?? []).length, files.length, r.out);
});

for (const tier of tiers) {
  test(`promtool test rules (${tier}): burn-rate alerts fire on outages and stay silent when healthy`, () => {
    const c = ctx(tier, 'prod');
    writeFileSync(join(dir.path, `rules-${tier}.yaml`), rulesYaml(c));
    const testFile = join(dir.path, `test-${tier}.yaml`);
    const tests = ruleTests(c, `rules-${tier}.yaml`);
    writeFileSync(testFile, YAML.stringify(tests));
    const r = promtool(['test', 'rules', testFile]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);

    // Control: claiming the outage stays silent must fail, so the test above can fail.
    const wrong = structuredClone(tests);
    for (const t of wrong.tests[1]!.alert_rule_test) t.exp_alerts = [];
    const wrongFile = join(dir.path, `wrong-${tier}.yaml`);
    writeFileSync(wrongFile, YAML.stringify(wrong));
    const w = promtool(['test', 'rules', wrongFile]);
    assert.notEqual(w.code, 0, `an outage must fire alerts:\n${w.out}`);
  });
}

test('control-plane alert rules: promtool check rules, and ClusterDown / LeaseStuck fire only when they should', () => {
  writeFileSync(join(dir.path, 'control-plane.yaml'), controlPlaneRulesYaml());
  const check = promtool(['check', 'rules', join(dir.path, 'control-plane.yaml')]);
  assert.equal(check.code, 0, check.out);
  const tests = {
    rule_files: ['control-plane.yaml'],
    evaluation_interval: '1m',
    tests: [{
      interval: '1m',
      input_series: [
        { series: 'fleetplane_cluster_up{cluster="east-1"}', values: '1x10 0x20' },
        { series: 'fleetplane_cluster_up{cluster="west-1"}', values: '1x30' },
        { series: 'fleetplane_queue_oldest_lease_age_seconds', values: '0+60x30' },
      ],
      alert_rule_test: [
        { eval_time: '8m', alertname: 'FleetplaneClusterDown', exp_alerts: [] },
        { eval_time: '20m', alertname: 'FleetplaneClusterDown', exp_alerts: [{
          exp_labels: { cluster: 'east-1', severity: 'page', component: 'fleetplane' },
          exp_annotations: { summary: 'Cluster east-1 API server unreachable', runbook_url: `${DEFAULT_RUNBOOK_BASE}/control-plane#fleetplaneclusterdown` },
        }] },
        { eval_time: '10m', alertname: 'FleetplaneLeaseStuck', exp_alerts: [] },
        { eval_time: '25m', alertname: 'FleetplaneLeaseStuck', exp_alerts: [{
          exp_labels: { severity: 'page', component: 'fleetplane' },
          exp_annotations: { summary: 'An operation lease has been held for more than 15 minutes (stuck worker?)', runbook_url: `${DEFAULT_RUNBOOK_BASE}/control-plane#fleetplaneleasestuck` },
        }] },
      ],
    }],
  };
  writeFileSync(join(dir.path, 'control-plane-test.yaml'), YAML.stringify(tests));
  const r = promtool(['test', 'rules', join(dir.path, 'control-plane-test.yaml')]);
  assert.equal(r.code, 0, r.out);
});

test('promtool check metrics passes on the live /metrics of a running control plane', async () => {
  cp = await startControlPlane();
  // The control plane runs in this process: give every engine metric a sample so all are linted.
  engineMetrics.startOperation('onboard')('succeeded');
  engineMetrics.recordStepFailure('onboard', 'apply');
  engineMetrics.recordReconcile('lint-cluster', { result: 'ok', drifted: 1, healed: 1 });
  engineMetrics.setClusterUp('lint-cluster', true);
  await engineMetrics.timeClusterCall('lint-cluster', 'get', async () => null);
  await assert.rejects(engineMetrics.timeClusterCall('lint-cluster', 'get', async () => { throw new Error('x'); }));
  engineMetrics.bindRolloutProgress(async () => [{ state: 'running', done: 1, failed: 0, total: 2 }]);
  const auth = { authorization: `Bearer ${cp.adminToken}` };
  for (const path of ['/healthz', '/v1/tenants/acme', '/v1/tenants/acme/environments', '/v1/tenants', '/nowhere']) {
    await fetch(`${cp.url}${path}`, { headers: auth });
  }
  const res = await fetch(`${cp.url}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /^fleetplane_http_requests_total\{/m);
  assert.match(text, /^fleetplane_process_cpu_seconds_total /m);
  assert.match(text, /^fleetplane_cluster_api_request_duration_seconds_bucket\{/m);
  assert.match(text, /^fleetplane_rollout_environments\{/m);
  const r = promtool(['check', 'metrics'], text);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), '', `promtool reported lint problems:\n${r.out}`);
});
