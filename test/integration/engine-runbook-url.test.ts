// `serve` renders environments with runbook_url = FLEETPLANE_RUNBOOK_URL (else a fixed local default):
// the base flows serve -> startEngine({platform}) -> the render step -> the stored revision.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Operation } from '../../src/domain/types.ts';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';
import { api, onboardOne, operationDone, prepareFleet, setupFleet, startServe, uniqueSlug, type Fleet, type ServeProcess } from './engine.fixture.ts';

const BASE = 'https://oncall.example.com/fleetplane/runbooks';
// The sample blueprint with a metrics port on web, so the environment gets a PrometheusRule.
const blueprint = {
  ...SAMPLE_BLUEPRINT,
  spec: { ...SAMPLE_BLUEPRINT.spec, components: SAMPLE_BLUEPRINT.spec.components.map((c) => (c.name === 'web' ? { ...c, metrics: { port: 'http', path: '/metrics' } } : c)) },
};

let fleet: Fleet;
let serve: ServeProcess;
before(async () => {
  fleet = await setupFleet();
  serve = await startServe(fleet, { workerId: 'runbook-url', env: { FLEETPLANE_RUNBOOK_URL: `${BASE}/` } });
  await prepareFleet(api(serve.url, fleet.adminToken), fleet.clusters.slice(0, 1), blueprint);
});
after(async () => {
  await serve?.kill('SIGTERM');
  await fleet?.cleanup();
});

test('rendered alerts link to FLEETPLANE_RUNBOOK_URL', async () => {
  const client = api(serve.url, fleet.adminToken);
  const slug = uniqueSlug('rb');
  const op = await operationDone(fleet, await onboardOne(client, slug, { name: 'dev', type: 'dev', cluster: fleet.clusters[0]!.name }));
  try {
    assert.equal(op.state, 'succeeded', op.error ?? '');
    const env = await fleet.store.environments.get(slug, 'dev');
    const rev = await fleet.store.revisions.get(slug, 'dev', env!.appliedRevision!);
    const rule = rev!.objects.map((o) => o.object).find((o) => o.kind === 'PrometheusRule');
    const urls = JSON.stringify(rule).match(/"runbook_url":"[^"]+"/g) ?? [];
    assert.equal(urls.length, 4);
    for (const u of urls) assert.match(u, /"runbook_url":"https:\/\/oncall\.example\.com\/fleetplane\/runbooks\/slo-(availability|latency)-burn"/);
  } finally {
    const off = await client.call<Operation>('DELETE', `/v1/tenants/${slug}`);
    await operationDone(fleet, off.body.id);
  }
});
