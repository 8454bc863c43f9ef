// The direct driver and the pre-scaler share an HPA: delivery owns it, the pre-scaler owns only
// spec.minReplicas once it raised it. A re-delivery must keep the raised floor, and still heal
// every other field (here maxReplicas edited by hand).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Cluster, Environment, KubeObject, Revision } from '../../src/domain/types.ts';
import { testClusterClient } from './gitops-support.ts';
import { DirectDriver } from '../../src/engine/drivers/direct.ts';
import type { DriverContext } from '../../src/engine/drivers/types.ts';
import { KubeHpaPort } from '../../src/scaling/hpa.ts';
import { getTestbed, withNamespace, type TestNamespace } from '../helpers/testbed.ts';

function hpa(ns: string, min: number, max: number): KubeObject {
  return {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'fleetplane' } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: min, maxReplicas: max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
  };
}

function revision(ns: string, min: number, max: number): Revision {
  return { id: `r-${min}-${max}`, tenant: 't', environment: 'prod', blueprint: 'b', version: '1.0.0', objects: [{ object: hpa(ns, min, max), hash: 'x' }], helmValues: [] };
}

function context(ns: TestNamespace): DriverContext {
  return {
    environment: { tenant: 't', name: 'prod', placement: { cluster: ns.cluster.name, namespace: ns.name } } as Environment,
    cluster: { name: ns.cluster.name } as Cluster,
    kube: testClusterClient(ns.cluster.name, ns.client),
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    now: () => new Date(),
    operation: { id: 'op', kind: 'upgrade', workerId: 'test' },
  };
}

type HpaSpec = { spec: { minReplicas: number; maxReplicas: number } };

test('re-delivery keeps the floor the pre-scaler raised and heals the rest', async () => {
  const { clusters } = await getTestbed();
  await withNamespace(clusters[0]!, 'prescale-floor', async (ns) => {
    const driver = new DirectDriver();
    const ctx = context(ns);
    const ref = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: ns.name, name: 'web' };
    await driver.deliver(ctx, revision(ns.name, 2, 10));

    // Before the pre-scaler acts, delivery owns minReplicas: a hand edit is reverted.
    await ns.client.apply({ ...hpa(ns.name, 5, 10), metadata: { name: 'web', namespace: ns.name } }, { fieldManager: 'kubectl-edit', force: true });
    await driver.deliver(ctx, revision(ns.name, 2, 10));
    assert.equal((await ns.client.get<KubeObject & HpaSpec>(ref))!.spec.minReplicas, 2);

    // The pre-scaler raises the floor; someone also edits maxReplicas by hand.
    const port = new KubeHpaPort(() => ns.client);
    await port.setMinReplicas({ cluster: ns.cluster.name, namespace: ns.name, name: 'web' }, 7);
    await ns.client.apply({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: ns.name }, spec: { maxReplicas: 8 } } as KubeObject, { fieldManager: 'kubectl-edit', force: true });

    await driver.deliver(ctx, revision(ns.name, 2, 10));
    const live = (await ns.client.get<KubeObject & HpaSpec>(ref))!;
    assert.equal(live.spec.minReplicas, 7, 'the pre-scaler\'s floor survives a re-delivery');
    assert.equal(live.spec.maxReplicas, 10, 'fields delivery owns are still healed');
  });
});
