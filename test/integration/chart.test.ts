// Fleetplane's own Helm chart (deploy/helm/fleetplane), judged by outside tools: `helm lint --strict`,
// a real kube-apiserver's strict server-side dry-run of every rendered object, Pod Security admission
// at `restricted` (enforced on the namespace, so a non-compliant pod is refused by the apiserver), and
// a real `helm install` whose replicas must become Ready on the testbed's kwok nodes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

// Rendered manifests are read field by field; the chart's own schema is what the apiserver checks below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
import type { KubeObject } from '../../src/domain/types.ts';
import { binaryPath, buildAll } from '../../testbed/index.ts';
import { createNamespace, getTestbed, type TestCluster, type TestNamespace } from '../helpers/testbed.ts';

const run = promisify(execFile);
const CHART = join(import.meta.dirname, '..', '..', 'deploy', 'helm', 'fleetplane');
const helm = () => binaryPath('helm');
const work = mkdtempSync(join(tmpdir(), 'fp-chart-'));

async function helmRun(args: string[], kubeconfig?: string): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') };
  return run(helm(), [...args, ...(kubeconfig ? ['--kubeconfig', kubeconfig] : [])], { env, maxBuffer: 16 << 20 });
}

function valuesFile(extra: Record<string, unknown> = {}): string {
  const file = join(work, `values-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({
    database: { existingSecret: 'fp-db' },
    secretKey: { existingSecret: 'fp-key' },
    adminToken: { existingSecret: 'fp-admin' },
    serviceMonitor: { enabled: true },
    ...extra,
  }));
  return file;
}

// Offline commands (lint, template) are told the testbed's Kubernetes version; install asks the cluster.
let kubeVersion = '';

async function template(values: string, namespace = 'fleetplane', release = 'fp'): Promise<KubeObject[]> {
  const { stdout } = await helmRun(['template', release, CHART, '--namespace', namespace, '--kube-version', kubeVersion, '-f', values]);
  return parseAllDocuments(stdout).map((d) => d.toJSON() as KubeObject | null).filter((o): o is KubeObject => !!o);
}

after(() => rmSync(work, { recursive: true, force: true }));

describe('Fleetplane Helm chart', () => {
  let cluster: TestCluster;
  let ns: TestNamespace;

  before(async () => {
    // helm is built on demand (CI builds it in the background while the suite runs; the lock makes
    // this wait for that build, or build it here).
    await buildAll({ only: ['helm'], log: () => undefined });
    [cluster] = (await getTestbed()).clusters as [TestCluster];
    kubeVersion = cluster.version ?? '';
    assert.ok(kubeVersion, 'testbed cluster reports its version');
    ns = await createNamespace(cluster, 'chart');
    // Pod Security at restricted, enforced: the apiserver refuses any pod of the chart that is not.
    await ns.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: { 'fleetplane.io/test': 'true', 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } });
    for (const [name, key, value] of [['fp-db', 'url', 'postgres://fleetplane:pw@postgres:5432/fleetplane'], ['fp-key', 'secret-key', 'ab'.repeat(32)], ['fp-admin', 'token', 'fp_admin_test']]) {
      await ns.client.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: name!, namespace: ns.name }, type: 'Opaque', stringData: { [key!]: value! } });
    }
  });
  after(async () => { await ns?.delete(); });

  it('passes helm lint --strict', async () => {
    const { stdout } = await helmRun(['lint', '--strict', CHART, '--kube-version', kubeVersion, '-f', valuesFile()]);
    assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('refuses to render without the shared secret key or a database', async () => {
    await assert.rejects(helmRun(['template', 'fp', CHART, '--kube-version', kubeVersion, '-f', valuesFile({ secretKey: { existingSecret: '' } })]), /secretKey\.existingSecret is required/);
    await assert.rejects(helmRun(['template', 'fp', CHART, '--kube-version', kubeVersion, '-f', valuesFile({ database: { existingSecret: '', url: '' } })]), /database\.existingSecret or database\.url is required/);
  });

  it('renders the objects a production install needs, least privilege and restricted', async () => {
    const objects = await template(valuesFile());
    const kinds = objects.map((o) => o.kind).sort();
    assert.deepEqual(kinds, ['Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'ServiceMonitor']);
    // No RBAC at all, and no token in the pods: Fleetplane never talks to the cluster it runs in.
    const sa = objects.find((o) => o.kind === 'ServiceAccount')!;
    assert.equal(sa.automountServiceAccountToken, false);
    const dep = objects.find((o) => o.kind === 'Deployment') as KubeObject & { spec: { replicas: number; template: { spec: Record<string, Loose> } } };
    assert.equal(dep.spec.replicas, 3);
    const pod = dep.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    const c = pod.containers[0];
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    assert.equal(c.env.find((e: Loose) => e.name === 'FLEETPLANE_DATABASE_URL').valueFrom.secretKeyRef.name, 'fp-db');
    assert.ok(c.readinessProbe.httpGet.path === '/readyz' && c.livenessProbe.httpGet.path === '/healthz');
    const np = objects.find((o) => o.kind === 'NetworkPolicy') as KubeObject & { spec: { policyTypes: string[] } };
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
  });

  it('values.platform becomes a ConfigMap serve reads as FLEETPLANE_PLATFORM_CONFIG; a change rolls the pods', async () => {
    const platform = { baseDomain: 'saas.example.com', egressTargets: { database: ['10.9.0.0/16'] } };
    const objects = await template(valuesFile({ platform }));
    const cm = objects.find((o) => o.kind === 'ConfigMap') as KubeObject & { data: Record<string, string> };
    assert.deepEqual(parseYaml(cm.data['platform.yaml']!), platform, 'the file holds exactly the values');
    const dep = objects.find((o) => o.kind === 'Deployment') as KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> }; spec: Record<string, Loose> } } };
    const c = dep.spec.template.spec.containers[0];
    assert.equal(c.env.find((e: Loose) => e.name === 'FLEETPLANE_PLATFORM_CONFIG').value, '/etc/fleetplane/platform.yaml');
    assert.ok(c.volumeMounts.some((m: Loose) => m.mountPath === '/etc/fleetplane' && m.readOnly === true));
    assert.equal(dep.spec.template.spec.volumes.find((v: Loose) => v.name === 'platform').configMap.name, cm.metadata.name);
    const sum = dep.spec.template.metadata.annotations?.['checksum/platform'];
    assert.match(sum ?? '', /^[0-9a-f]{64}$/);
    const other = await template(valuesFile({ platform: { ...platform, baseDomain: 'other.example.com' } }));
    const otherDep = other.find((o) => o.kind === 'Deployment') as typeof dep;
    assert.notEqual(otherDep.spec.template.metadata.annotations?.['checksum/platform'], sum, 'another platform, another pod template');
    // Without values.platform: no ConfigMap, no variable (serve warns that it renders the example platform).
    const plain = await template(valuesFile());
    assert.equal(plain.some((o) => o.kind === 'ConfigMap'), false);
  });

  it('passes nodeOptions to the server as NODE_OPTIONS (a heap cap inside the memory limit by default); none when empty', async () => {
    const env = async (extra: Record<string, unknown>) => {
      const dep = (await template(valuesFile(extra))).find((o) => o.kind === 'Deployment') as KubeObject & { spec: { template: { spec: Record<string, Loose> } } };
      return dep.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    };
    const byDefault = (await env({})).find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    const cap = Number(/--max-old-space-size=(\d+)/.exec(byDefault)?.[1]);
    const limit = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8')).resources.limits.memory as string;
    assert.match(limit, /^\d+Mi$/);
    assert.ok(cap > 0 && cap < parseInt(limit, 10) * 0.8, `old space ${cap} MiB leaves room under the ${limit} limit`);
    assert.equal((await env({ nodeOptions: '--max-old-space-size=900' })).find((e) => e.name === 'NODE_OPTIONS')?.value, '--max-old-space-size=900');
    assert.equal((await env({ nodeOptions: '' })).some((e) => e.name === 'NODE_OPTIONS'), false);
  });

  it('is accepted by a real kube-apiserver with strict field validation', async () => {
    // Another release name than the install below, so the ServiceAccount the pod probe needs can be
    // created for real without colliding with what helm installs.
    const objects = await template(valuesFile(), ns.name, 'dry');
    const failures: string[] = [];
    for (const o of objects) {
      try {
        await ns.client.apply({ ...o, metadata: { ...o.metadata, namespace: ns.name } }, { dryRun: true });
      } catch (err) {
        failures.push(`${o.kind}/${o.metadata.name}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
    // The pod itself, dry-run in the restricted namespace: Pod Security admission judges the real spec.
    await ns.client.apply({ ...objects.find((o) => o.kind === 'ServiceAccount')!, metadata: { name: 'dry-fleetplane', namespace: ns.name } });
    const dep = objects.find((o) => o.kind === 'Deployment') as KubeObject & { spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } } };
    const probe = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { ...dep.spec.template.metadata, name: 'chart-probe', namespace: ns.name }, spec });
    await ns.client.apply(probe(dep.spec.template.spec), { dryRun: true });
    // The namespace really enforces restricted: the same pod allowed to escalate is refused.
    const containers = (dep.spec.template.spec.containers as Array<Record<string, Loose>>).map((c) => ({ ...c, securityContext: { ...c.securityContext, allowPrivilegeEscalation: true } }));
    await assert.rejects(ns.client.apply(probe({ ...dep.spec.template.spec, containers }), { dryRun: true }), /violates PodSecurity "restricted/);
  });

  it('installs with helm and its replicas become Ready', async () => {
    await helmRun(['install', 'fp', CHART, '--namespace', ns.name, '-f', valuesFile(), '--wait', '--timeout', '5m'], cluster.kubeconfig);
    const dep = await ns.client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name: 'fp-fleetplane' }) as (KubeObject & { status?: { readyReplicas?: number } }) | null;
    assert.equal(dep?.status?.readyReplicas, 3);
    const pdb = await ns.client.get({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: ns.name, name: 'fp-fleetplane' });
    assert.ok(pdb, 'PodDisruptionBudget installed');
  });
});
