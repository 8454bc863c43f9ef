// A real Prometheus server scrapes the running control plane; after some tenant traffic, the
// per-tenant request rate query returns one series per tenant that was served. A second server
// loads an environment's generated rules and scrapes a service speaking the metric contract: the
// recorded RED series appear with tenant labels and the availability burn alert fires.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Histogram, Registry } from 'prom-client';
import YAML from 'yaml';
import { renderMonitoring, type MonitoringContext } from '../../src/render/monitoring/index.ts';
import { freePort, startControlPlane, startPrometheus, tempDir, waitFor, type ControlPlane, type PrometheusServer } from './observability-support.ts';

let cp: ControlPlane | undefined;
let prom: PrometheusServer | undefined;
let prom2: PrometheusServer | undefined;
let service: { server: Server; timer: NodeJS.Timeout } | undefined;
const dir = tempDir('prom-rules');
after(async () => {
  await prom?.stop();
  await prom2?.stop();
  await cp?.stop();
  if (service) {
    clearInterval(service.timer);
    await new Promise((r) => service!.server.close(r));
  }
  dir.remove();
});

const PER_TENANT_RATE = 'sum by (tenant) (rate(fleetplane_http_requests_total{tenant!~"none|other|invalid"}[10s]))';

test('Prometheus scrapes /metrics and the per-tenant request rate has a series per tenant', async () => {
  cp = await startControlPlane();
  prom = await startPrometheus(new URL(cp.url).host);
  const auth = { authorization: `Bearer ${cp.adminToken}` };
  const tenants = await createTenants(cp, ['acme', 'globex']);

  // Keep traffic flowing across several scrapes: rate() needs two samples with an increase.
  let seen: Array<{ metric: Record<string, string>; value: [number, string] }> = [];
  await waitFor(async () => {
    for (const t of tenants) await fetch(`${cp!.url}/v1/tenants/${t}/environments`, { headers: auth });
    seen = await prom!.query(PER_TENANT_RATE);
    return tenants.every((t) => seen.some((s) => s.metric.tenant === t && Number(s.value[1]) > 0));
  }, 90_000, () => `no per-tenant rate for ${tenants.join(', ')}; got ${JSON.stringify(seen)}`);

  const up = await prom.query('up{job="fleetplane"}');
  assert.deepEqual(up.map((s) => s.value[1]), ['1']);
  assert.deepEqual(seen.map((s) => s.metric.tenant).sort(), [...tenants].sort());
  const routes = await prom.query('sum by (route) (fleetplane_http_requests_total{tenant="acme"})');
  assert.ok(routes.some((s) => s.metric.route === '/v1/tenants/:tenant/environments'), JSON.stringify(routes));
});

async function createTenants(c: ControlPlane, slugs: string[]): Promise<string[]> {
  for (const slug of slugs) {
    const res = await fetch(`${c.url}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug, name: slug, tier: 'shared' }),
    });
    assert.ok(res.status < 300, `creating tenant ${slug}: ${res.status} ${await res.text()}`);
  }
  return slugs;
}

/** A customer service speaking the metric contract: ~9% 503s, the same share slower than 0.3 s. */
async function contractService(): Promise<{ server: Server; timer: NodeJS.Timeout; port: number }> {
  const reg = new Registry();
  const requests = new Counter({ name: 'http_requests_total', help: 'requests', labelNames: ['code'], registers: [reg] });
  const duration = new Histogram({ name: 'http_request_duration_seconds', help: 'latency', buckets: [0.1, 0.3, 1], registers: [reg] });
  const timer = setInterval(() => {
    for (let i = 0; i < 10; i++) {
      requests.inc({ code: '200' });
      duration.observe(0.05);
    }
    requests.inc({ code: '503' });
    duration.observe(0.5);
  }, 100);
  const server = createServer((_req, res) => {
    reg.metrics().then((text) => res.writeHead(200, { 'content-type': reg.contentType }).end(text), () => res.writeHead(500).end());
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, timer, port };
}

test('generated rules on a real Prometheus: RED series recorded per service, burn alert fires on 9% errors', async () => {
  const ctx: MonitoringContext = {
    tenant: 'acme', environment: 'prod', envType: 'prod', namespace: 'acme-prod', tier: 'dedicated',
    labels: {}, services: [{ name: 'web', component: 'web', port: 'http' }],
  };
  const rule = renderMonitoring(ctx).find((o) => o.kind === 'PrometheusRule')!;
  const rulesFile = join(dir.path, 'rules.yaml');
  writeFileSync(rulesFile, YAML.stringify({ groups: (rule.spec as { groups: unknown }).groups }));
  const svc = await contractService();
  service = svc;
  // The labels Prometheus Operator and the ServiceMonitor's relabelings put on the target.
  const labels = { namespace: 'acme-prod', service: 'web', tenant: 'acme', environment: 'prod' };
  // No control plane here: its scrape job points at a closed port and is simply down.
  prom2 = await startPrometheus('127.0.0.1:1', [rulesFile], [{ job: 'web', target: `127.0.0.1:${svc.port}`, labels }]);

  const sel = '{tenant="acme",environment="prod",namespace="acme-prod",service="web"}';
  let last = '';
  await waitFor(async () => {
    const [rate, errors, slow, p99, alert] = await Promise.all([
      prom2!.query(`service:http_requests:rate5m${sel}`),
      prom2!.query(`service:http_request_errors:ratio_rate5m${sel}`),
      prom2!.query(`service:http_request_slow:ratio_rate5m${sel}`),
      prom2!.query(`service:http_request_duration_seconds:p99_5m${sel}`),
      prom2!.query('ALERTS{alertname="ServiceAvailabilityBudgetBurn",burn="fast",severity="page",alertstate="firing",tenant="acme",service="web"}'),
    ]);
    last = JSON.stringify({ rate, errors, slow, p99, alert });
    return rate.length === 1 && errors.length === 1 && slow.length === 1 && p99.length === 1 && alert.length === 1;
  }, 120_000, () => `recorded series or alert missing: ${last}`);

  const v = async (q: string) => Number((await prom2!.query(q))[0]!.value[1]);
  const errorRatio = await v(`service:http_request_errors:ratio_rate5m${sel}`);
  const slowRatio = await v(`service:http_request_slow:ratio_rate5m${sel}`);
  assert.ok(errorRatio > 0.05 && errorRatio < 0.15, `error ratio ${errorRatio} should be about 1/11`);
  assert.ok(slowRatio > 0.05 && slowRatio < 0.15, `slow ratio ${slowRatio} should be about 1/11`);
  assert.ok(await v(`service:http_requests:rate5m${sel}`) > 0);
  const p99 = await v(`service:http_request_duration_seconds:p99_5m${sel}`);
  assert.ok(p99 > 0.3 && p99 <= 1, `p99 ${p99} falls in the (0.3, 1] bucket`);
});
