// The rendered monitoring objects are accepted by a real API server carrying the Prometheus
// Operator's CRDs (the testbed installs them): server-side apply with strict field validation, so
// any field the CRD schema does not know fails the test. Then read back and compare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMonitoring, type MonitoringContext } from '../../src/render/monitoring/index.ts';
import { getTestbed, withNamespace } from '../helpers/testbed.ts';

test('ServiceMonitor, PrometheusRule and dashboard ConfigMap apply cleanly (strict) on a testbed cluster', async () => {
  const [cluster] = (await getTestbed()).clusters;
  assert.ok(cluster, 'a testbed cluster');
  await withNamespace(cluster, 'obs', async (ns) => {
    const ctx: MonitoringContext = {
      tenant: 'acme', environment: 'prod', envType: 'prod', namespace: ns.name, tier: 'dedicated',
      labels: { 'app.kubernetes.io/managed-by': 'fleetplane' },
      services: [
        { name: 'web', component: 'web', port: 'http' },
        { name: 'inference', component: 'model-server', port: 'metrics', path: '/stats' },
      ],
    };
    const objects = renderMonitoring(ctx);
    assert.equal(objects.length, 3);
    for (const o of objects) {
      const applied = await ns.client.apply(o);
      assert.equal(applied.metadata.name, o.metadata.name);
      const back = await ns.client.get({ apiVersion: o.apiVersion, kind: o.kind, namespace: ns.name, name: o.metadata.name });
      assert.ok(back, `${o.kind} ${o.metadata.name} exists`);
      // What the server stored is what was rendered (no field pruned by the CRD's schema).
      const key = o.kind === 'ConfigMap' ? 'data' : 'spec';
      assert.deepEqual(back[key], o[key], `${o.kind} ${key} round-trips unchanged`);
    }
  });
});
