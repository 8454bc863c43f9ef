// A real Prometheus server scrapes the running control plane; after some tenant traffic, the
// per-tenant request rate query returns one series per tenant that was served.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, startPrometheus, waitFor, type ControlPlane, type PrometheusServer } from './observability-support.ts';

let cp: ControlPlane | undefined;
let prom: PrometheusServer | undefined;
after(async () => {
  await prom?.stop();
  await cp?.stop();
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
