// Isolation invariants of every rendered object family (issue #12), over the spread of environments
// (every release, tier and type): nothing reaches outside its namespace, secrets are read only
// through the environment's own SecretStore and path, no two tenants produce the same name in a
// shared scope, a pod cannot fill a shared node's disk, a hung CronJob run ends, the cache chart's
// own NetworkPolicy stays off, and a rollout of every environment type fits its own quota.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RELEASES, spread } from '../../../test/helpers/render-spread.ts';
import { InputError } from '../../domain/errors.ts';
import { parseQuantity } from '../../domain/quantity.ts';
import type { KubeObject } from '../../domain/types.ts';
import { parse } from 'yaml';
import { renderEnvironment, type RenderInput } from '../index.ts';

const envs = spread();
const objectsOf = (i: number): KubeObject[] => envs[i]!.result.objects.map((o) => o.object);
const bp = RELEASES[1]!;
const input = (slug: string, env: string, values: Record<string, unknown> = {}): RenderInput => ({
  tenant: { slug, name: slug, tier: 'shared' }, environment: { name: env, type: 'prod', values }, blueprint: bp, placement: { cluster: 'c1' },
});

type PodSpec = { containers: Array<{ resources: { requests: Record<string, string>; limits: Record<string, string> } }>; volumes?: Array<{ emptyDir?: { sizeLimit?: string } }> };
function podSpecOf(o: KubeObject): PodSpec | undefined {
  const s = o.spec as { template?: { spec: PodSpec }; jobTemplate?: { spec: { template: { spec: PodSpec } } } };
  return o.kind === 'Deployment' ? s.template!.spec : o.kind === 'CronJob' ? s.jobTemplate!.spec.template.spec : undefined;
}

describe('no rendered object reaches outside its namespace', () => {
  it('every object but the Namespace is in the environment namespace; no cluster-scoped RBAC; bindings name local subjects', () => {
    envs.forEach((e, i) => {
      const ns = e.result.namespace;
      for (const o of objectsOf(i)) {
        if (o.kind === 'Namespace') { assert.equal(o.metadata.name, ns); continue; }
        assert.equal(o.metadata.namespace, ns, `${o.kind}/${o.metadata.name}`);
        assert.ok(!o.kind.startsWith('Cluster'), `${o.kind} is cluster-scoped`);
        if (o.kind === 'RoleBinding') {
          const rb = o as unknown as { roleRef: { kind: string }; subjects: Array<{ kind: string; namespace?: string }> };
          assert.equal(rb.roleRef.kind, 'Role');
          for (const s of rb.subjects) if (s.kind === 'ServiceAccount') assert.equal(s.namespace, ns);
        }
        if (o.kind === 'HTTPRoute') {
          const spec = o.spec as { parentRefs: Array<{ name: string; namespace: string }>; rules: Array<{ backendRefs: Array<{ namespace?: string }> }> };
          assert.deepEqual(spec.parentRefs.map((p) => `${p.namespace}/${p.name}`), ['gateway-system/fleetplane']);
          for (const r of spec.rules) for (const b of r.backendRefs) assert.equal(b.namespace, undefined, 'backend in another namespace');
        }
      }
    });
  });
});

describe('secrets: one SecretStore per environment, fenced to its own path', () => {
  it('every ExternalSecret reads through a SecretStore of its own namespace; no ClusterSecretStore', () => {
    envs.forEach((e, i) => {
      const objects = objectsOf(i);
      const stores = new Set(objects.filter((o) => o.kind === 'SecretStore').map((o) => o.metadata.name));
      const externals = objects.filter((o) => o.kind === 'ExternalSecret');
      assert.ok(externals.length > 0);
      for (const x of externals) {
        const ref = (x.spec as { secretStoreRef: { kind: string; name: string } }).secretStoreRef;
        assert.equal(ref.kind, 'SecretStore', `${e.result.namespace}/${x.metadata.name}`);
        assert.ok(stores.has(ref.name), `${ref.name} is rendered in ${e.result.namespace}`);
        const keys = JSON.stringify(x.spec).match(/"key":"([^"]+)"/g) ?? [];
        for (const k of keys) assert.ok(k.includes(`tenants/${e.input.tenant.slug}/${e.input.environment.name}/`), k);
      }
      for (const s of objects.filter((o) => o.kind === 'SecretStore')) {
        const vault = (s.spec as { provider: { vault: { auth: { kubernetes: { role: string; serviceAccountRef: { name: string; namespace?: string } } } } } }).provider.vault;
        assert.equal(vault.auth.kubernetes.role, e.result.namespace, 'the Vault role is the environment\'s own');
        assert.equal(vault.auth.kubernetes.serviceAccountRef.namespace, undefined);
        assert.equal(s.metadata.annotations?.['fleetplane.io/vault-policy-path'], `secret/data/tenants/${e.input.tenant.slug}/${e.input.environment.name}/*`);
      }
    });
  });

  it('cross-tenant: an environment asking for another tenant\'s (or a parent) key is refused, naming the field', () => {
    for (const key of ['tenants/globex/prod/database', 'tenants/acme/staging/database', 'tenants/acme/prod/../../globex/prod/db', 'tenants/acme/prodx/db']) {
      assert.throws(() => renderEnvironment(input('acme', 'prod', { secrets: { database: { remoteRef: { key } } } })), (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.equal(err.issues[0]!.field, '/values/secrets/database/remoteRef/key');
        return true;
      }, key);
    }
    const ok = renderEnvironment(input('acme', 'prod', { secrets: { database: { remoteRef: { key: 'tenants/acme/prod/db-v2' } } } }));
    assert.ok(JSON.stringify(ok.objects.map((o) => o.object)).includes('tenants/acme/prod/db-v2'));
  });

  it('a blueprint naming a ClusterSecretStore is refused', () => {
    const shared = structuredClone(bp);
    shared.spec.components[1]!.secrets![0]!.remoteRef!.storeKind = 'ClusterSecretStore';
    assert.throws(() => renderEnvironment({ ...input('acme', 'prod'), blueprint: shared }), (err: unknown) => err instanceof InputError && /storeKind/.test(err.issues[0]!.field));
  });
});

describe('unique names in every shared scope', () => {
  it('no two (tenant, environment) pairs give the same namespace or hostname, even when their joins collide', () => {
    const a = renderEnvironment(input('acme', 'eu-prod'));
    const b = renderEnvironment(input('acme-eu', 'prod'));
    assert.notEqual(a.namespace, b.namespace);
    assert.notEqual(a.hostname, b.hostname);
    const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/);
    fc.assert(fc.property(label, label, label, label, (t1, e1, t2, e2) => {
      fc.pre(t1 !== t2 || e1 !== e2);
      const r1 = renderEnvironment(input(t1, e1));
      const r2 = renderEnvironment(input(t2, e2));
      return r1.namespace !== r2.namespace && r1.hostname !== r2.hostname;
    }), { numRuns: 60 });
  });

  it('the only cluster-scoped object is the Namespace; HTTPRoute hostnames on the shared Gateway are the environment\'s own', () => {
    const hosts = new Map<string, string>();
    envs.forEach((e, i) => {
      const cluster = objectsOf(i).filter((o) => !o.metadata.namespace);
      assert.deepEqual(cluster.map((o) => o.kind), ['Namespace']);
      for (const r of objectsOf(i).filter((o) => o.kind === 'HTTPRoute')) {
        for (const h of (r.spec as { hostnames: string[] }).hostnames) {
          const owner = hosts.get(h);
          assert.ok(owner === undefined || owner === e.result.namespace, `${h} claimed by ${owner} and ${e.result.namespace}`);
          hosts.set(h, e.result.namespace);
        }
      }
    });
  });
});

describe('shared nodes: disk, hung jobs', () => {
  it('every container requests and limits ephemeral-storage, every emptyDir has a sizeLimit, the quota caps both', () => {
    envs.forEach((e, i) => {
      for (const o of objectsOf(i)) {
        const pod = podSpecOf(o);
        if (!pod) continue;
        for (const c of pod.containers) assert.ok(c.resources.requests['ephemeral-storage'] && c.resources.limits['ephemeral-storage'], `${o.metadata.name}`);
        for (const v of pod.volumes ?? []) if (v.emptyDir) assert.ok(v.emptyDir.sizeLimit, `${o.metadata.name}: emptyDir without sizeLimit`);
      }
      const hard = (objectsOf(i).find((o) => o.kind === 'ResourceQuota')!.spec as { hard: Record<string, string> }).hard;
      assert.ok(hard['requests.ephemeral-storage'] && hard['limits.ephemeral-storage']);
      const lr = (objectsOf(i).find((o) => o.kind === 'LimitRange')!.spec as { limits: Array<{ default: Record<string, string> }> }).limits[0]!;
      assert.ok(lr.default['ephemeral-storage'], 'chart pods get a default too');
    });
  });

  it('CronJobs that forbid overlap end a hung run (activeDeadlineSeconds) and skip a long-missed start', () => {
    for (let i = 0; i < envs.length; i++) {
      for (const o of objectsOf(i).filter((x) => x.kind === 'CronJob')) {
        const s = o.spec as { concurrencyPolicy: string; startingDeadlineSeconds?: number; jobTemplate: { spec: { activeDeadlineSeconds?: number } } };
        assert.equal(s.concurrencyPolicy, 'Forbid');
        assert.ok((s.jobTemplate.spec.activeDeadlineSeconds ?? 0) > 0);
        assert.ok((s.startingDeadlineSeconds ?? 0) > 0);
      }
    }
  });
});

describe('the cache chart', () => {
  it('renders with its own NetworkPolicy off (it would open 6379 to the cluster and all egress)', () => {
    for (const e of envs) {
      const cache = parse(e.result.helmValues.find((h) => h.component === 'cache')!.yaml) as { networkPolicy?: { enabled?: boolean } };
      assert.equal(cache.networkPolicy?.enabled, false, e.result.namespace);
    }
  });
});

describe('rollouts fit each environment type\'s own quota', () => {
  type Res = Record<string, string>;
  const sum = (acc: Map<string, number>, res: Res, n: number, prefix: string) => {
    for (const [k, v] of Object.entries(res)) acc.set(`${prefix}.${k}`, (acc.get(`${prefix}.${k}`) ?? 0) + parseQuantity(v) * n);
  };

  /** Pods of a workload during its rollout: the floor (HPA minimum or replicas; one job) and the surge on top. */
  const rolloutPods = (o: KubeObject, hpa: { minReplicas: number } | undefined) => {
    const floor = o.kind === 'CronJob' ? 1 : hpa?.minReplicas ?? (o.spec as { replicas: number }).replicas;
    const surgeSpec = (o.spec as { strategy?: { rollingUpdate?: { maxSurge: number | string } } }).strategy?.rollingUpdate?.maxSurge ?? 0;
    return { floor, surge: typeof surgeSpec === 'number' ? surgeSpec : Math.ceil((floor * parseInt(surgeSpec, 10)) / 100) };
  };

  it('at the replica floor plus each Deployment\'s surge (GPU ones replace, not surge), requests and limits fit; GPUs fit at the HPA maximum', () => {
    envs.forEach((e, i) => {
      const objects = objectsOf(i);
      const hpaOf = (name: string) => objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === name)?.spec as { minReplicas: number; maxReplicas: number } | undefined;
      const use = new Map<string, number>();
      let gpusAtMax = 0;
      for (const o of objects) {
        const pod = podSpecOf(o);
        if (!pod) continue;
        const hpa = hpaOf(o.metadata.name);
        const { floor, surge } = rolloutPods(o, hpa);
        const res = pod.containers[0]!.resources;
        sum(use, res.requests, floor + surge, 'requests');
        sum(use, res.limits, floor + surge, 'limits');
        const gpu = Number(res.requests['nvidia.com/gpu'] ?? 0);
        if (gpu > 0) assert.equal(surge, 0, `${o.metadata.name}: a GPU pod must not surge`);
        gpusAtMax += gpu * (hpa?.maxReplicas ?? floor);
      }
      const hard = (objects.find((o) => o.kind === 'ResourceQuota')!.spec as { hard: Res }).hard;
      for (const [k, v] of use) if (hard[k] !== undefined) assert.ok(v <= parseQuantity(hard[k]), `${e.release} ${e.tier}/${e.type}: ${k} ${v} > ${hard[k]}`);
      assert.ok(gpusAtMax <= Number(hard['requests.nvidia.com/gpu']), `${e.release} ${e.tier}/${e.type}: ${gpusAtMax} GPUs at HPA max > quota ${hard['requests.nvidia.com/gpu']}`);
    });
  });

  it('prod keeps the GPU model server available through a rollout or drain: two replicas and a PDB', () => {
    envs.filter((e) => e.type === 'prod').forEach((e) => {
      const objects = e.result.objects.map((o) => o.object);
      assert.equal((objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'model')!.spec as { minReplicas: number }).minReplicas, 2);
      assert.ok(objects.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'model'));
    });
  });
});
