// The big demo tour's fleet plan (demo/fleet-plan.ts): 60 customers x 5 environments with the mix
// the tour promises, every request valid for the API's own schema (Ajv, as `serve` validates), the
// CPU-only blueprint variant a valid release, and the whole fleet fitting the testbed: what placement
// reserves (quotas) against the clusters' allocatable x overcommit, and the pods' requests against the
// untainted nodes, from the testbed's own node list and the real renderer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import YAML from 'yaml';
import { TenantCreate } from '../../src/api/schemas.ts';
import { parseBlueprint, type Blueprint } from '../../src/domain/blueprint.ts';
import { slugIssue } from '../../src/domain/validation.ts';
import { cpuMillis, parseQuantity } from '../../src/domain/quantity.ts';
import { quotaRequests } from '../../src/engine/place.ts';
import { ENGINE_DEFAULTS } from '../../src/engine/defaults.ts';
import { renderEnvironment } from '../../src/render/index.ts';
import { nodesFor } from '../../testbed/lib/nodes.ts';
import { clusterTerms, cpuVariant, CUSTOMERS, fleetPlan, RESIDENCY } from '../../demo/fleet-plan.ts';

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;
const ROOT = join(import.meta.dirname, '../..');
const BP = { gpu: 'default', cpu: 'default-cpu' };
const plan = fleetPlan(BP, '1.4.0');
type Doc = Parameters<typeof cpuVariant>[0];
const release = (v: string) => YAML.parse(readFileSync(join(ROOT, 'blueprints/default', `${v}.yaml`), 'utf8')) as Doc;
const envs = plan.tenants.flatMap((t) => t.environments.map((e) => ({ t, e })));

test('60 customers x 5 environments, unique names, every body valid for POST /v1/tenants', () => {
  assert.equal(CUSTOMERS.length, 60);
  assert.equal(plan.tenants.length, 60);
  assert.equal(new Set(plan.tenants.map((t) => t.slug)).size, 60);
  assert.equal(envs.length, 300);
  for (const t of plan.tenants) assert.deepEqual(t.environments.map((e) => e.name), ['prod', 'staging', 'dev', 'qa', 'demo'], t.slug);
  for (const small of ['acme', 'globex', 'initech', 'umbrella']) assert.ok(!plan.tenants.some((t) => t.slug === small), `${small} belongs to the small tour`);
  const validate = addFormats(new Ajv({ strict: false, allErrors: true })).compile(TenantCreate);
  for (const t of plan.tenants) assert.ok(validate(t), `${t.slug}: ${JSON.stringify(validate.errors)}`);
  for (const t of plan.tenants) assert.equal(slugIssue(t.slug), null, t.slug);
});

test('the mix: tiers, one internal canary tenant, a few GPU, GitOps and self-managed customers, EU residency', () => {
  const byTier = (tier: string) => plan.tenants.filter((t) => t.tier === tier).map((t) => t.slug);
  assert.deepEqual(byTier('dedicated'), [plan.dedicated]);
  assert.ok(byTier('hybrid').length >= 5, `hybrid: ${byTier('hybrid').length}`);
  assert.ok(byTier('shared').length >= 40);
  assert.deepEqual(plan.tenants.filter((t) => t.labels.internal === 'true').map((t) => t.slug), ['northwind']);

  assert.equal(plan.gpu.length, 3);
  assert.deepEqual(envs.filter(({ e }) => e.blueprint === BP.gpu).map(({ t }) => t.slug).sort(), plan.gpu.flatMap((s) => Array(5).fill(s)).sort());
  assert.ok(plan.gpu.every((s) => plan.tenants.find((t) => t.slug === s)!.labels.workload === 'ai'));

  assert.equal(plan.gitops.length, 2);
  const gitopsEnvs = envs.filter(({ e }) => e.delivery === 'gitops');
  assert.equal(gitopsEnvs.length, 10, 'a handful of tenants through Argo CD, every one of their environments');
  assert.deepEqual([...new Set(gitopsEnvs.map(({ t }) => t.slug))], plan.gitops);
  // The rollouts select direct and GitOps tenants by this label: it must say how each tenant is delivered.
  for (const t of plan.tenants) assert.equal(t.labels.delivery, plan.gitops.includes(t.slug) ? 'gitops' : 'direct', t.slug);

  assert.equal(plan.selfManaged.length, 2);
  assert.deepEqual(plan.tenants.filter((t) => t.channel === 'self-managed').map((t) => t.slug), plan.selfManaged);
  const special = [plan.dedicated, ...plan.gpu, ...plan.gitops, ...plan.selfManaged, 'northwind'];
  assert.equal(new Set(special).size, special.length, 'no tenant plays two special roles');
  assert.ok(plan.eu.length >= 3);
  assert.ok(plan.eu.every((s) => !special.includes(s)));
  assert.ok(plan.eu.every((s) => plan.tenants.find((t) => t.slug === s)!.labels[RESIDENCY] === 'eu'));
  assert.ok(new Set(plan.tenants.map((t) => t.labels.plan)).size >= 4, 'several plans');
});

test('the CPU variant of 1.4.0 and 1.5.0 is a valid release with no GPU, talking to no missing component', () => {
  for (const v of ['1.4.0', '1.5.0']) {
    const doc = cpuVariant(release(v), BP.cpu);
    const bp = parseBlueprint(doc as Record<string, unknown>);
    assert.equal(bp.metadata.name, BP.cpu);
    assert.equal(bp.metadata.version, v);
    assert.ok(!bp.spec.components.some((c) => c.kind === 'model-server'));
    assert.ok(bp.spec.components.some((c) => c.kind === 'web-service'));
    for (const t of ['prod', 'staging', 'dev'] as const) assert.equal(bp.spec.environmentTypes[t].quota.gpus, 0);
    const r = renderEnvironment({ tenant: { slug: 'coho', name: 'Coho', tier: 'shared' }, environment: { name: 'prod', type: 'prod', values: {} }, blueprint: bp, placement: { cluster: 'fp-1' } });
    assert.ok(!JSON.stringify(r.objects.map((o) => o.object)).includes('nvidia.com/gpu":"1'), 'no pod asks for a GPU');
  }
  assert.deepEqual(release('1.4.0').metadata.name, 'default', 'the document it came from is not changed');
});

const OVERCOMMIT = { cpu: ENGINE_DEFAULTS.cpuOvercommit, memory: ENGINE_DEFAULTS.memoryOvercommit };
const PROVIDERS = ['aws', 'gcp', 'azure'];

function capacity(index: number, general: boolean) {
  const nodes = nodesFor(`fp-${index}`, index, 'v1.37.2') as Array<{ spec: { taints?: unknown[] }; status: { allocatable: Record<string, string> } }>;
  const picked = nodes.filter((n) => !general || !n.spec.taints?.length);
  const sum = (f: (a: Record<string, string>) => number) => picked.reduce((s, n) => s + f(n.status.allocatable), 0);
  return { cpuMillis: sum((a) => cpuMillis(a.cpu!)), memoryBytes: sum((a) => parseQuantity(a.memory!)), gpus: sum((a) => Number(a['nvidia.com/gpu'] ?? 0)), pods: sum((a) => Number(a.pods)) };
}

const blueprints = new Map<string, Blueprint>([
  [BP.gpu, parseBlueprint(release('1.4.0') as Record<string, unknown>)],
  [BP.cpu, parseBlueprint(cpuVariant(release('1.4.0'), BP.cpu) as Record<string, unknown>)],
]);

function demand(slugs: (s: string) => boolean) {
  const total = { cpuMillis: 0, memoryBytes: 0, gpus: 0 };
  for (const { t, e } of envs.filter(({ t }) => slugs(t.slug))) {
    const q = quotaRequests(blueprints.get(e.blueprint)!.spec.environmentTypes[e.type].quota, t.tier);
    total.cpuMillis += q.cpuMillis;
    total.memoryBytes += q.memoryBytes;
    total.gpus += q.gpus;
  }
  return total;
}

test('what placement reserves fits the testbed: shared clusters, the EU cluster, the dedicated one', () => {
  // fp-1 (aws, us), fp-2 (gcp, eu) shared; fp-3 (azure, eu) dedicated to plan.dedicated.
  assert.deepEqual(PROVIDERS.map((p, i) => clusterTerms(i + 1, p).labels[RESIDENCY]), ['us', 'eu', 'eu']);
  assert.equal(new Set(PROVIDERS.map((p, i) => clusterTerms(i + 1, p).pricePerCpuHour)).size, 3, 'prices differ');
  const shared = [capacity(1, false), capacity(2, false)];
  const headroom = 0.9;
  const all = demand((s) => s !== plan.dedicated);
  assert.ok(all.cpuMillis <= (shared[0]!.cpuMillis + shared[1]!.cpuMillis) * OVERCOMMIT.cpu * headroom, `CPU ${all.cpuMillis / 1000} cores reserved`);
  assert.ok(all.memoryBytes <= (shared[0]!.memoryBytes + shared[1]!.memoryBytes) * OVERCOMMIT.memory * headroom);
  assert.ok(all.gpus <= shared[0]!.gpus + shared[1]!.gpus, `GPUs ${all.gpus}`);
  assert.ok(all.gpus > 0);
  const eu = demand((s) => plan.eu.includes(s));
  assert.ok(eu.cpuMillis <= shared[1]!.cpuMillis * OVERCOMMIT.cpu * headroom, 'the EU tenants fit the one shared EU cluster');
  const own = demand((s) => s === plan.dedicated);
  assert.ok(own.cpuMillis <= capacity(3, false).cpuMillis * OVERCOMMIT.cpu && own.gpus <= capacity(3, false).gpus);
});

type Deployment = { spec: { replicas?: number; template: { spec: { containers: Array<{ resources?: { requests?: Record<string, string> } }> } } } };

/** One Deployment's pods and their requests; GPU pods (they run on the tainted GPU nodes) count as none. */
function podRequests(d: Deployment): { pods: number; cpu: number; mem: number } {
  const containers = d.spec.template.spec.containers;
  const req = (c: (typeof containers)[number], k: string) => c.resources?.requests?.[k] ?? '0';
  if (containers.some((c) => req(c, 'nvidia.com/gpu') !== '0')) return { pods: 0, cpu: 0, mem: 0 };
  const n = d.spec.replicas ?? 1;
  return { pods: n, cpu: n * containers.reduce((s, c) => s + cpuMillis(req(c, 'cpu')), 0), mem: n * containers.reduce((s, c) => s + parseQuantity(req(c, 'memory')), 0) };
}

test('the pods the renderer makes fit the untainted nodes of the two shared clusters (CPU, memory, pod count)', () => {
  const sum = { pods: 0, cpu: 0, mem: 0 };
  for (const { t, e } of envs.filter(({ t }) => t.slug !== plan.dedicated)) {
    const r = renderEnvironment({ tenant: { slug: t.slug, name: t.name, tier: t.tier }, environment: { name: e.name, type: e.type, values: e.values ?? {} }, blueprint: blueprints.get(e.blueprint)!, placement: { cluster: 'fp-1' } });
    for (const { object: o } of r.objects) {
      if (o.kind !== 'Deployment') continue;
      const p = podRequests(o as unknown as Deployment);
      sum.pods += p.pods;
      sum.cpu += p.cpu;
      sum.mem += p.mem;
    }
  }
  const general = [capacity(1, true), capacity(2, true)];
  const cap = { cpu: general[0]!.cpuMillis + general[1]!.cpuMillis, mem: general[0]!.memoryBytes + general[1]!.memoryBytes, pods: general[0]!.pods + general[1]!.pods };
  assert.ok(sum.pods > 500, `pods ${sum.pods}`);
  // With the rolling update's surge pods (25 %) on top, still under the nodes' allocatable.
  assert.ok(sum.cpu * 1.25 <= cap.cpu, `pod CPU requests ${sum.cpu / 1000} of ${cap.cpu / 1000} cores`);
  assert.ok(sum.mem * 1.25 <= cap.mem);
  assert.ok(sum.pods * 1.25 <= cap.pods, `pods ${sum.pods} of ${cap.pods}`);
});
