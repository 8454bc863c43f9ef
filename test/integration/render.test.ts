// Every object the renderer produces, for every tier and environment type, is accepted by a real
// kube-apiserver of the testbed: the Namespace is applied for real, everything else with server-side
// dry-run and strict field validation (ServiceAccounts are applied for real: pods need them) (the testbed installs the ServiceMonitor, PrometheusRule,
// ExternalSecret and HTTPRoute CRDs). Pods built from each workload's template are dry-run too, so
// Pod Security Admission `restricted` (enforced on the namespace) judges the real pod specs. The cache
// chart Fleetplane vendors (blueprints/charts/fleetplane-redis) is rendered by the testbed's helm with
// each environment's values file and judged the same way: strict dry-run, its pods at `restricted`,
// and no NetworkPolicy of its own (#12 finding 2).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import { parseBlueprint } from '../../src/domain/blueprint.ts';
import type { EnvironmentType, KubeObject, Tier } from '../../src/domain/types.ts';
import { renderEnvironment, type RenderInput, type RenderResult } from '../../src/render/index.ts';
import { packVendoredChart } from '../../src/adapters/archive/targz.ts';
import { helmTemplate } from '../../src/adapters/helm/index.ts';
import { VENDORED_CHARTS_DIR } from '../../src/api/routes/bundles.ts';
import { binaryPath, buildAll } from '../../testbed/index.ts';
import { getTestbed } from '../helpers/testbed.ts';

const root = join(import.meta.dirname, '..', '..');
const blueprints = ['1.4.0', '1.5.0'].map((v) => parseBlueprint(readFileSync(join(root, `blueprints/default/${v}.yaml`), 'utf8')));
const TIERS: Tier[] = ['shared', 'dedicated', 'hybrid'];
const TYPES: EnvironmentType[] = ['prod', 'staging', 'dev'];
const run = randomBytes(3).toString('hex');

let client: KubeClient;
const created: string[] = [];

function podFrom(o: KubeObject): KubeObject | null {
  const template = o.kind === 'Deployment' || o.kind === 'StatefulSet'
    ? (o.spec as { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } }).template
    : o.kind === 'CronJob'
      ? (o.spec as { jobTemplate: { spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } } } }).jobTemplate.spec.template
      : null;
  if (!template) return null;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: `${o.metadata.name}-probe`, namespace: o.metadata.namespace }, spec: template.spec };
}

/** The rendered Namespace, applied for real (and marked as test debris for cleanupTestNamespaces). */
async function applyNamespace(ns: KubeObject): Promise<void> {
  await client.apply({ ...ns, metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, 'fleetplane.io/test': 'true' } } });
  created.push(ns.metadata.name);
}

async function dryRunAll(objects: KubeObject[]): Promise<string[]> {
  const failures: string[] = [];
  for (const o of objects) {
    try {
      await client.apply(o, { dryRun: true });
    } catch (err) {
      failures.push(`${o.kind}/${o.metadata.name}: ${(err as Error).message}`);
    }
  }
  return failures;
}

/** The environment's chart components rendered by helm from the vendored chart with its values file. */
async function chartObjects(r: RenderResult): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const h of r.helmValues) {
    const archive = await packVendoredChart(VENDORED_CHARTS_DIR, h.chart, h.chartVersion);
    assert.ok(archive, `${h.chart} ${h.chartVersion} is vendored in blueprints/charts`);
    out.push(...await helmTemplate(binaryPath('helm'), { archive: archive.bytes, release: h.releaseName, namespace: h.namespace, values: h.yaml }));
  }
  return out;
}

describe('rendered objects against a real kube-apiserver', { timeout: 900_000 }, () => {
  before(async () => {
    await buildAll({ only: ['helm'], log: () => undefined });
    const tb = await getTestbed();
    assert.ok(tb.clusters.length > 0, 'testbed has no clusters; run: npm run testbed -- up --clusters 1');
    client = tb.clusters[0]!.client();
  });

  after(async () => {
    if (!client) return;
    await Promise.all(created.map((name) => client.delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagationPolicy: 'Background' }).catch(() => undefined)));
  });

  for (const bp of blueprints) {
    for (const tier of TIERS) {
      for (const type of TYPES) {
        it(`${bp.metadata.version} ${tier}/${type}: accepted with strict validation, pods pass PSA restricted`, async () => {
          const input: RenderInput = {
            tenant: { slug: `rt-${run}-${tier.slice(0, 3)}${bp.metadata.version.replace(/\./g, '')}`, name: 'Render Test', tier },
            environment: { name: type, type, values: { features: { beta: true } } },
            blueprint: bp,
            placement: { cluster: 'fp-1' },
          };
          const r = renderEnvironment(input);
          const [ns, ...rest] = r.objects.map((o) => o.object);
          assert.equal(ns!.kind, 'Namespace');
          await applyNamespace(ns!);
          // Pods are admitted only when their ServiceAccount exists, so those are applied for real too.
          const accounts = rest.filter((o) => o.kind === 'ServiceAccount');
          for (const sa of accounts) await client.apply(sa);
          const chart = await chartObjects(r);
          assert.deepEqual(chart.map((o) => o.kind).sort(), ['Service', 'StatefulSet'], 'the cache chart: no NetworkPolicy, nothing cluster-wide');
          assert.ok(chart.every((o) => o.metadata.namespace === r.namespace), 'in the environment\'s namespace');
          const pods = [...rest, ...chart].map(podFrom).filter((p): p is KubeObject => p !== null);
          assert.ok(pods.length >= 5, 'workloads and the cache give pods to check');
          assert.ok(pods.some((p) => p.metadata.name === 'cache-redis-master-probe'), 'the chart pod is judged too');
          const failures = await dryRunAll([...rest.filter((o) => o.kind !== 'ServiceAccount'), ...chart, ...pods]);
          assert.deepEqual(failures, [], failures.join('\n'));
        });
      }
    }
  }

  it('the ingress routing mode is accepted too', async () => {
    const r = renderEnvironment({
      tenant: { slug: `rt-${run}-ing`, name: 'Render Test', tier: 'shared' },
      environment: { name: 'prod', type: 'prod' },
      blueprint: blueprints[0]!,
      placement: { cluster: 'fp-1' },
      platform: { routing: 'ingress' },
    });
    const [ns, ...rest] = r.objects.map((o) => o.object);
    await applyNamespace(ns!);
    assert.ok(rest.some((o) => o.kind === 'Ingress'));
    assert.deepEqual(await dryRunAll(rest), []);
  });

  it('an ambient waypoint (Gateway of class istio-waypoint, HBONE policies) and a per-environment SecretStore are accepted', async () => {
    const r = renderEnvironment({
      tenant: { slug: `rt-${run}-wp`, name: 'Render Test', tier: 'shared' },
      environment: { name: 'prod', type: 'prod' },
      blueprint: blueprints[1]!,
      placement: { cluster: 'fp-1' },
      platform: { waypoint: 'waypoint' },
    });
    const [ns, ...rest] = r.objects.map((o) => o.object);
    await applyNamespace(ns!);
    assert.ok(rest.some((o) => o.kind === 'Gateway') && rest.some((o) => o.kind === 'SecretStore'));
    for (const sa of rest.filter((o) => o.kind === 'ServiceAccount')) await client.apply(sa);
    assert.deepEqual(await dryRunAll(rest.filter((o) => o.kind !== 'ServiceAccount')), []);
  });

  it('an unknown field is refused (strict field validation is live)', async () => {
    const name = created[0];
    assert.ok(name, 'an earlier test created a namespace');
    const r = renderEnvironment({ tenant: { slug: `rt-${run}-x`, name: 'X', tier: 'shared' }, environment: { name: 'dev', type: 'dev' }, blueprint: blueprints[0]!, placement: { cluster: 'fp-1', namespace: name } });
    const deployment = r.objects.find((o) => o.object.kind === 'Deployment')!.object;
    const broken = { ...deployment, spec: { ...(deployment.spec as object), replicaz: 3 } };
    await assert.rejects(client.apply(broken, { dryRun: true }), /replicaz/);
  });

  it('a pod that breaks PSA restricted is refused in a rendered namespace (the check is live)', async () => {
    const name = created[0];
    assert.ok(name, 'an earlier test created a namespace');
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'root-probe', namespace: name }, spec: { containers: [{ name: 'c', image: 'registry.example.com/acme/web:1.4.0', securityContext: { privileged: true } }] } };
    await assert.rejects(client.apply(pod, { dryRun: true }), /forbidden|violates PodSecurity/i);
  });
});
