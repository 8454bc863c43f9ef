// Renderer: table-driven rules per object for every tier x environment type (the default blueprint
// has every component kind), bad input, determinism. The manifest snapshots are snapshots.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blueprintFromRelease, parseBlueprint, releaseDigest, type Blueprint } from '../domain/blueprint.ts';
import { InputError } from '../domain/errors.ts';
import { isDnsLabel, isLabelValue } from '../domain/naming.ts';
import type { EnvironmentType, KubeObject, Tier } from '../domain/types.ts';
import { canonicalJson, canonicalYamlStream, sha256Hex } from '../domain/canonical.ts';
import { KIND_ORDER } from '../domain/kinds.ts';
import { DEFAULT_PLATFORM, renderEnvironment, type RenderInput } from './index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const bp14 = parseBlueprint(readFileSync(join(root, 'blueprints/default/1.4.0.yaml'), 'utf8'));
const bp15 = parseBlueprint(readFileSync(join(root, 'blueprints/default/1.5.0.yaml'), 'utf8'));
const TIERS: Tier[] = ['shared', 'dedicated', 'hybrid'];
const TYPES: EnvironmentType[] = ['prod', 'staging', 'dev'];

function input(tier: Tier, type: EnvironmentType, over: Partial<RenderInput> = {}, bp: Blueprint = bp14): RenderInput {
  return {
    tenant: { slug: 'acme', name: 'Acme Corp', tier },
    environment: { name: type, type, values: { features: { beta: true } } },
    blueprint: bp,
    placement: { cluster: 'fp-1' },
    ...over,
  };
}

const find = (objs: KubeObject[], kind: string, name?: string): KubeObject[] =>
  objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const one = (objs: KubeObject[], kind: string, name: string): KubeObject => {
  const found = find(objs, kind, name);
  assert.equal(found.length, 1, `expected exactly one ${kind}/${name}`);
  return found[0]!;
};
const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

describe('every object', () => {
  for (const tier of TIERS) {
    for (const type of TYPES) {
      const r = renderEnvironment(input(tier, type));
      it(`${tier}/${type}: carries the contract labels, valid names, hashes its canonical bytes, fast canonical path`, () => {
        for (const { object: o, hash } of r.objects) {
          const l = o.metadata.labels ?? {};
          assert.equal(l['app.kubernetes.io/managed-by'], 'fleetplane', `${o.kind}/${o.metadata.name}`);
          assert.equal(l['fleetplane.io/tenant'], 'acme');
          assert.equal(l['fleetplane.io/environment'], type);
          assert.equal(l['fleetplane.io/revision'], r.revision);
          for (const k of ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/part-of', 'app.kubernetes.io/version']) {
            assert.ok(l[k], `${o.kind}/${o.metadata.name} lacks ${k}`);
          }
          for (const v of Object.values(l)) assert.ok(isLabelValue(v), `label value ${v}`);
          assert.ok(isDnsLabel(o.metadata.name), `${o.kind} name ${o.metadata.name}`);
          if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, r.namespace);
          // Our own objects are built in canonical key order, so the native JSON.stringify already prints canonical bytes.
          assert.equal(JSON.stringify(o), canonicalJson(o), `${o.kind}/${o.metadata.name} built in canonical order`);
          // Hashes are taken with the revision label empty (index.ts): stable across revisions.
          assert.equal(hash, sha256Hex(canonicalJson({ ...o, metadata: { ...o.metadata, labels: { ...l, 'fleetplane.io/revision': '' } } })));
        }
      });
      it(`${tier}/${type}: objects come in apply order`, () => {
        const ranks = r.objects.map((o) => KIND_ORDER.indexOf(o.object.kind));
        assert.ok(ranks.every((x) => x >= 0), 'every kind is ranked');
        assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));
      });
    }
  }
});

describe('per-object rules', () => {
  const cases: Array<{ name: string; tier: Tier; type: EnvironmentType; check: (objs: KubeObject[]) => void }> = [
    { name: 'namespace enforces PSA restricted and ambient mesh', tier: 'shared', type: 'prod', check: (objs) => {
      const ns = one(objs, 'Namespace', 'acme-prod');
      assert.equal(ns.metadata.labels!['pod-security.kubernetes.io/enforce'], 'restricted');
      assert.equal(ns.metadata.labels!['pod-security.kubernetes.io/warn'], 'restricted');
      assert.equal(ns.metadata.labels!['pod-security.kubernetes.io/audit'], 'restricted');
      assert.equal(ns.metadata.labels!['istio.io/dataplane-mode'], 'ambient');
    } },
    { name: 'shared quota is the blueprint quota, no nodeports', tier: 'shared', type: 'prod', check: (objs) => {
      const q = one(objs, 'ResourceQuota', 'environment-quota');
      assert.equal((get(q, 'spec.hard') as Record<string, string>)['requests.cpu'], '16');
      assert.equal((get(q, 'spec.hard') as Record<string, string>)['services.nodeports'], '0');
    } },
    { name: 'dedicated quota is 4x and allows load balancers', tier: 'dedicated', type: 'prod', check: (objs) => {
      const hard = get(one(objs, 'ResourceQuota', 'environment-quota'), 'spec.hard') as Record<string, string>;
      assert.equal(hard['requests.cpu'], '64');
      assert.equal(hard['requests.memory'], '128Gi');
      assert.equal(hard['services.loadbalancers'], undefined);
    } },
    { name: 'default deny for ingress and egress, DNS allowed', tier: 'shared', type: 'dev', check: (objs) => {
      assert.deepEqual(get(one(objs, 'NetworkPolicy', 'default-deny'), 'spec'), { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      const dns = one(objs, 'NetworkPolicy', 'allow-dns');
      assert.deepEqual((get(dns, 'spec.egress') as Array<{ ports: unknown }>)[0]!.ports, [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }]);
    } },
    { name: 'api accepts web, the gateway and Prometheus; calls cache and model', tier: 'shared', type: 'prod', check: (objs) => {
      const p = one(objs, 'NetworkPolicy', 'allow-api');
      const text = JSON.stringify(p);
      assert.match(text, /"fleetplane.io\/component":"web"/);
      assert.match(text, /"kubernetes.io\/metadata.name":"gateway-system"/);
      assert.match(text, /"kubernetes.io\/metadata.name":"monitoring"/);
      assert.match(text, /"app.kubernetes.io\/instance":"cache"/);
      assert.match(text, /"port":6379/);
    } },
    { name: 'only the worker mounts a token, with a least-privilege Role', tier: 'shared', type: 'prod', check: (objs) => {
      for (const sa of find(objs, 'ServiceAccount')) assert.equal(sa.automountServiceAccountToken, sa.metadata.name === 'worker');
      assert.deepEqual(one(objs, 'Role', 'worker').rules, [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
      assert.equal(find(objs, 'Role').length, 2);
    } },
    { name: 'tenant admins get a namespaced role without secrets', tier: 'dedicated', type: 'staging', check: (objs) => {
      const rb = one(objs, 'RoleBinding', 'tenant-admin');
      assert.deepEqual(rb.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'fleetplane:tenant:acme:admins' }]);
      const rules = one(objs, 'Role', 'tenant-admin').rules as Array<{ resources: string[] }>;
      assert.ok(rules.length > 0 && rules.every((r) => !r.resources.includes('secrets')));
    } },
    { name: 'pods meet PSA restricted', tier: 'hybrid', type: 'prod', check: (objs) => {
      for (const d of [...find(objs, 'Deployment'), ...find(objs, 'CronJob')]) {
        const pod = (d.kind === 'CronJob' ? get(d, 'spec.jobTemplate.spec.template.spec') : get(d, 'spec.template.spec')) as Record<string, unknown>;
        assert.equal(get(pod, 'securityContext.runAsNonRoot'), true);
        assert.equal(get(pod, 'securityContext.seccompProfile.type'), 'RuntimeDefault');
        for (const c of pod.containers as Array<Record<string, unknown>>) {
          assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true });
          assert.ok(get(c, 'resources.requests.cpu') && get(c, 'resources.limits.memory'), `${d.metadata.name} has resources`);
        }
      }
    } },
    { name: 'model server requests a GPU and lands on GPU nodes', tier: 'shared', type: 'prod', check: (objs) => {
      const pod = get(one(objs, 'Deployment', 'model'), 'spec.template.spec') as Record<string, unknown>;
      assert.equal((get(pod, 'containers.0.resources.limits') as Record<string, string>)['nvidia.com/gpu'], '1');
      assert.deepEqual(pod.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
      assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    } },
    { name: 'hybrid tier steers data-plane components to the tenant pool', tier: 'hybrid', type: 'prod', check: (objs) => {
      const model = get(one(objs, 'Deployment', 'model'), 'spec.template.spec') as Record<string, unknown>;
      assert.deepEqual(get(model, 'affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.preference.matchExpressions'), [{ key: 'fleetplane.io/dedicated-pool', operator: 'In', values: ['acme'] }]);
      assert.ok((model.tolerations as Array<{ key: string }>).some((t) => t.key === 'fleetplane.io/dedicated-pool'));
      assert.equal(get(one(objs, 'Deployment', 'api'), 'spec.template.spec.affinity'), undefined);
      assert.equal(get(one(objs, 'Deployment', 'api'), 'spec.template.spec.nodeSelector'), undefined);
    } },
    { name: 'prod: HPA owns replicas, PDB where replicas >= 2 (the GPU model server runs two in prod)', tier: 'shared', type: 'prod', check: (objs) => {
      assert.equal(get(one(objs, 'Deployment', 'web'), 'spec.replicas'), undefined);
      assert.equal(get(one(objs, 'HorizontalPodAutoscaler', 'web'), 'spec.minReplicas'), 2);
      assert.deepEqual(find(objs, 'PodDisruptionBudget').map((p) => p.metadata.name), ['api', 'model', 'web', 'worker']);
    } },
    { name: 'GPU model server replaces pods instead of surging (the quota has no spare GPU)', tier: 'shared', type: 'staging', check: (objs) => {
      assert.deepEqual(get(one(objs, 'Deployment', 'model'), 'spec.strategy.rollingUpdate'), { maxSurge: 0, maxUnavailable: 1 });
      assert.equal(get(one(objs, 'Deployment', 'web'), 'spec.strategy.rollingUpdate.maxSurge'), '25%');
    } },
    { name: 'dev: fixed replicas, no HPA, no PDB', tier: 'shared', type: 'dev', check: (objs) => {
      assert.equal(get(one(objs, 'Deployment', 'web'), 'spec.replicas'), 1);
      assert.equal(find(objs, 'HorizontalPodAutoscaler').length, 0);
      assert.equal(find(objs, 'PodDisruptionBudget').length, 0);
    } },
    { name: 'routes on <env>.<tenant>.<base>, prod on <tenant>.<base>', tier: 'shared', type: 'staging', check: (objs) => {
      assert.deepEqual(get(one(objs, 'HTTPRoute', 'web'), 'spec.hostnames'), ['staging.acme.fleetplane.example.com']);
      assert.equal(get(one(objs, 'HTTPRoute', 'api'), 'spec.rules.0.matches.0.path.value'), '/api');
    } },
    { name: 'secrets only by reference', tier: 'shared', type: 'prod', check: (objs) => {
      assert.equal(find(objs, 'Secret').length, 0);
      const es = one(objs, 'ExternalSecret', 'database');
      assert.equal(es.apiVersion, 'external-secrets.io/v1');
      assert.deepEqual(get(es, 'spec.data'), [{ secretKey: 'url', remoteRef: { key: 'tenants/acme/prod/database', property: 'url' } }]);
      const envFrom = get(one(objs, 'CronJob', 'reports'), 'spec.jobTemplate.spec.template.spec.containers') as Array<{ envFrom: unknown }>;
      assert.deepEqual(envFrom[0]!.envFrom, [{ configMapRef: { name: 'reports-config' } }, { secretRef: { name: 'smtp-credentials' } }]);
    } },
    { name: 'monitoring objects come from the observability module', tier: 'shared', type: 'prod', check: (objs) => {
      assert.equal(find(objs, 'ServiceMonitor').length, 1);
      assert.match(JSON.stringify(find(objs, 'PrometheusRule')[0]), /burn/i);
    } },
  ];
  for (const c of cases) {
    it(c.name, () => c.check(renderEnvironment(input(c.tier, c.type)).objects.map((o) => o.object)));
  }

  it('a required dedicated pool pins data-plane pods with a nodeSelector', () => {
    const pool = { labelKey: 'pool', taintKey: 'pool', required: true };
    const objs = renderEnvironment(input('hybrid', 'prod', { platform: { dedicatedPool: pool } })).objects.map((o) => o.object);
    assert.deepEqual(get(one(objs, 'Deployment', 'model'), 'spec.template.spec.nodeSelector'), { 'nvidia.com/gpu.present': 'true', pool: 'acme' });
    assert.equal(get(one(objs, 'Deployment', 'model'), 'spec.template.spec.affinity'), undefined);
  });

  it('alerts link to the runbooks under platform.runbookBaseUrl', () => {
    const urls = (r: ReturnType<typeof renderEnvironment>) => [...JSON.stringify(find(r.objects.map((o) => o.object), 'PrometheusRule')).matchAll(/"runbook_url":"([^"]+)"/g)].map((m) => m[1]);
    const own = urls(renderEnvironment(input('shared', 'prod', { platform: { runbookBaseUrl: 'https://ops.example.com/fp/runbooks' } })));
    assert.equal(own.length, 4);
    assert.ok(own.every((u) => /^https:\/\/ops\.example\.com\/fp\/runbooks\/slo-(availability|latency)-burn$/.test(u!)), own.join());
    const byDefault = urls(renderEnvironment(input('shared', 'prod')));
    assert.equal(byDefault.length, 4);
    assert.ok(byDefault.every((u) => u!.startsWith(`${DEFAULT_PLATFORM.runbookBaseUrl}/`)), byDefault.join());
  });

  it('ingress routing mode renders Ingress objects instead of HTTPRoutes', () => {
    const objs = renderEnvironment(input('shared', 'prod', { platform: { routing: 'ingress' } })).objects.map((o) => o.object);
    assert.equal(find(objs, 'HTTPRoute').length, 0);
    assert.equal(get(one(objs, 'Ingress', 'web'), 'spec.ingressClassName'), 'nginx');
  });
});

describe('values and versions', () => {
  it('a config change rolls only that component (config hash) and changes the revision', () => {
    const a = renderEnvironment(input('shared', 'prod'));
    const b = renderEnvironment(input('shared', 'prod', { environment: { name: 'prod', type: 'prod', values: { features: { beta: true }, modelName: 'acme-large-v3' } } }));
    assert.notEqual(a.revision, b.revision);
    const hashOf = (r: typeof a, name: string) => (get(find(r.objects.map((o) => o.object), 'Deployment', name)[0], 'spec.template.metadata.annotations') as Record<string, string>)['fleetplane.io/config-hash'];
    assert.notEqual(hashOf(a, 'model'), hashOf(b, 'model'));
    assert.equal(hashOf(a, 'web'), hashOf(b, 'web'));
    const webHash = (r: typeof a) => r.objects.find((o) => o.object.kind === 'Deployment' && o.object.metadata.name === 'web')!.hash;
    assert.equal(webHash(a), webHash(b), 'unchanged objects keep their hash across revisions');
  });
  it('1.5.0 changes the model image and adds searchEnabled', () => {
    const r = renderEnvironment(input('shared', 'prod', { environment: { name: 'prod', type: 'prod', values: { searchEnabled: true } } }, bp15));
    const objs = r.objects.map((o) => o.object);
    assert.equal(get(one(objs, 'Deployment', 'model'), 'spec.template.spec.containers.0.image'), 'registry.example.com/acme/inference-server:1.5.0-cuda12');
    assert.equal((one(objs, 'ConfigMap', 'api-config').data as Record<string, string>).SEARCH_ENABLED, 'true');
    assert.throws(() => renderEnvironment(input('shared', 'prod', { environment: { name: 'prod', type: 'prod', values: { searchEnabled: true } } })), /searchEnabled/);
  });
  it('manual scale pins replicas and drops the HPA for that component', () => {
    const r = renderEnvironment(input('shared', 'prod', { environment: { name: 'prod', type: 'prod', values: { components: { api: { replicas: 5 } } } } }));
    const objs = r.objects.map((o) => o.object);
    assert.equal(get(one(objs, 'Deployment', 'api'), 'spec.replicas'), 5);
    assert.equal(find(objs, 'HorizontalPodAutoscaler', 'api').length, 0);
  });
  it('env-type parameter defaults apply (dev logs at debug)', () => {
    const objs = renderEnvironment(input('shared', 'dev')).objects.map((o) => o.object);
    assert.equal((one(objs, 'ConfigMap', 'api-config').data as Record<string, string>).LOG_LEVEL, 'debug');
  });
  it('a stored release {name, version, spec} parses back to the same blueprint and renders the same', () => {
    const { metadata, spec } = bp14;
    const stored = { name: metadata.name, version: metadata.version, spec: JSON.parse(JSON.stringify(spec)) as Record<string, unknown> };
    const again = blueprintFromRelease(stored);
    assert.equal(again.digest, bp14.digest, 'the release digest is the document digest');
    assert.equal(again.digest, releaseDigest(stored.name, stored.version, stored.spec));
    assert.equal(renderEnvironment(input('shared', 'prod', { blueprint: again })).revision, renderEnvironment(input('shared', 'prod')).revision);
  });
});

describe('bad input is an InputError naming the field', () => {
  const table: Array<[string, Partial<RenderInput>, string]> = [
    ['tenant slug', { tenant: { slug: 'Acme!', name: 'x', tier: 'shared' } }, '/tenant/slug'],
    ['tier', { tenant: { slug: 'acme', name: 'x', tier: 'gold' as Tier } }, '/tenant/tier'],
    ['environment type', { environment: { name: 'prod', type: 'qa' as EnvironmentType } }, '/environment/type'],
    ['unknown parameter', { environment: { name: 'prod', type: 'prod', values: { colour: 'red' } } }, '/values'],
    ['parameter type', { environment: { name: 'prod', type: 'prod', values: { maxUploadMb: 'lots' } } }, '/values/maxUploadMb'],
    ['unknown component override', { environment: { name: 'prod', type: 'prod', values: { components: { db: { replicas: 2 } } } } }, '/values/components/db'],
    ['secret value instead of a reference', { environment: { name: 'prod', type: 'prod', values: { secrets: { database: { value: 'hunter2' } } } } }, '/values/secrets/database'],
    ['base domain', { platform: { baseDomain: 'not a domain' } }, '/platform/baseDomain'],
    ['monitoring namespace', { platform: { monitoringNamespace: 'Mon!' } }, '/platform/monitoringNamespace'],
    ['runbook base URL', { platform: { runbookBaseUrl: 'runbooks/' } }, '/platform/runbookBaseUrl'],
    ['remote key for a customer-provided secret', { environment: { name: 'prod', type: 'prod', values: { secrets: { smtp: { remoteRef: { key: 'x' } } } } } }, '/values/secrets/smtp/remoteRef'],
  ];
  for (const [name, over, field] of table) {
    it(name, () => {
      assert.throws(() => renderEnvironment(input('shared', 'prod', over)), (err: unknown) => {
        assert.ok(err instanceof InputError, String(err));
        assert.ok(err.issues.some((i) => i.field.startsWith(field)), `${JSON.stringify(err.issues)} names ${field}`);
        assert.ok(!err.message.includes('hunter2'));
        return true;
      });
    });
  }
});

describe('determinism', () => {
  it('same input, same bytes; input key order does not matter', () => {
    const a = renderEnvironment(input('hybrid', 'prod', { environment: { name: 'prod', type: 'prod', values: { maxUploadMb: 10, features: { a: true, b: false } } } }));
    const b = renderEnvironment(input('hybrid', 'prod', { environment: { type: 'prod', values: { features: { b: false, a: true }, maxUploadMb: 10 }, name: 'prod' } }));
    assert.equal(a.revision, b.revision);
    assert.equal(canonicalYamlStream(a.objects.map((o) => o.object)), canonicalYamlStream(b.objects.map((o) => o.object)));
    assert.deepEqual(a.helmValues, b.helmValues);
  });
  it('the input values object is not modified (defaults are filled into a copy)', () => {
    const values = { features: {} };
    renderEnvironment(input('shared', 'prod', { environment: { name: 'prod', type: 'prod', values } }));
    assert.deepEqual(values, { features: {} });
  });
});

describe('singleton components', () => {
  it('a singleton Deployment replaces its pods (Recreate) and carries the annotation a move reads; the others are unchanged', () => {
    const spec = structuredClone(bp14.spec);
    const name = spec.components.find((c) => c.kind === 'web-service')!.name;
    spec.components = spec.components.map((c) => (c.name === name ? { ...c, singleton: true } : c));
    const r = renderEnvironment(input('shared', 'prod', { blueprint: { ...bp14, spec } }));
    const d = one(r.objects.map((o) => o.object), 'Deployment', name);
    assert.deepEqual(get(d, 'spec.strategy'), { type: 'Recreate' });
    assert.equal(d.metadata.annotations?.['fleetplane.io/singleton'], 'true');
    const plain = one(renderEnvironment(input('shared', 'prod')).objects.map((o) => o.object), 'Deployment', name);
    assert.equal(plain.metadata.annotations, undefined);
    assert.equal(get(plain, 'spec.strategy.type'), 'RollingUpdate');
  });
});
