import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseBlueprint } from '../domain/blueprint.ts';
import type { Revision } from '../domain/types.ts';
import { buildBundle, chartImagesOf, imagesOf, type BundledChart } from './bundle.ts';
import { pinnedImages } from './bundle-requirements.ts';
import { renderEnvironment } from './index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bp = parseBlueprint(readFileSync(join(root, 'blueprints/default/1.5.0.yaml'), 'utf8'));

function revision(): Revision {
  const r = renderEnvironment({ tenant: { slug: 'acme', name: 'Acme', tier: 'shared' }, environment: { name: 'prod', type: 'prod', values: {} }, blueprint: bp, placement: { cluster: 'fp-1' } });
  return { id: r.revision, tenant: 'acme', environment: 'prod', blueprint: r.blueprint, version: r.version, objects: r.objects, helmValues: r.helmValues };
}

const file = (b: ReturnType<typeof buildBundle>, path: string) => {
  const f = b.files.find((x) => x.path === path);
  return f && { ...f, content: String(f.content) };
};

test('a bundle holds the manifests in apply order, Helm values, images, an install script and checksums', () => {
  const rev = revision();
  const b = buildBundle(rev, 'acme-prod');
  assert.equal(b.root, `acme-prod-${rev.id}`);
  const manifests = b.files.filter((f) => f.path.startsWith('manifests/'));
  assert.equal(manifests.length, rev.objects.length, 'one file per object (the default blueprint has no Secret objects)');
  assert.match(manifests[0]!.path, /^manifests\/0+-namespace-acme-prod\.yaml$/, 'the namespace applies first');
  assert.ok(b.files.some((f) => f.path.startsWith('helm/') && f.path.endsWith('.values.yaml')), 'the Redis chart values');
  assert.deepEqual(file(b, 'images.txt')!.content.trim().split('\n'), [...new Set([...imagesOf(rev.objects.map((o) => o.object)), ...chartImagesOf(rev.helmValues)])].sort());
  assert.ok(file(b, 'images.txt')!.content.split('\n').filter(Boolean).every((i) => i.includes(':') || i.includes('@')), 'every image is pinned');
  const install = file(b, 'install.sh')!;
  assert.equal(install.mode, 0o755);
  assert.match(install.content, /apply --server-side --field-manager=fleetplane -f manifests\//);
  assert.match(install.content, /rollout status 'deployment\/web' --namespace 'acme-prod'/);
  assert.match(install.content, /upgrade --install .* --repo /, 'chart components are installed with helm');
  // SHA256SUMS covers every other file, in `sha256sum -c` format.
  const sums = file(b, 'SHA256SUMS')!.content.trim().split('\n').map((l) => l.split('  ') as [string, string]);
  assert.deepEqual(sums.map(([, p]) => p), b.files.filter((f) => f.path !== 'SHA256SUMS').map((f) => f.path));
  for (const [sum, p] of sums) assert.equal(sum, createHash('sha256').update(b.files.find((f) => f.path === p)!.content).digest('hex'), p);
  const index = JSON.parse(file(b, 'revision.json')!.content) as { revision: string; manifests: Array<{ file: string }> };
  assert.equal(index.revision, rev.id);
  assert.ok(index.manifests.every((m) => b.files.some((f) => f.path === m.file)), 'the index points at files in the bundle');
  assert.deepEqual(buildBundle(rev, 'acme-prod'), b, 'the same revision builds the same bundle');
});

test('Secret values never enter a bundle: Secrets are named for the customer to create', () => {
  const rev = revision();
  const value = 'c3VwZXItc2VjcmV0LXZhbHVl';
  rev.objects.push({
    object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'registry-pull', namespace: 'acme-prod' }, data: { '.dockerconfigjson': value } },
    hash: 'x',
  } as Revision['objects'][number]);
  const b = buildBundle(rev, 'acme-prod');
  assert.ok(b.files.every((f) => !String(f.content).includes(value)), 'the value is nowhere');
  assert.ok(!b.files.some((f) => /secret-registry-pull/.test(f.path)));
  assert.match(file(b, 'README.md')!.content, /Secret `registry-pull` in namespace `acme-prod`/);
  assert.match(file(b, 'install.sh')!.content, /get secret 'registry-pull' --namespace 'acme-prod'/);
  assert.deepEqual((JSON.parse(file(b, 'revision.json')!.content) as { outOfBand: unknown[] }).outOfBand, [{ apiVersion: 'v1', kind: 'Secret', name: 'registry-pull', namespace: 'acme-prod' }]);
});

test('a bundle lists the chart archives install.sh pulls and the images their values pin (air-gapped mirrors)', () => {
  assert.deepEqual(chartImagesOf([{ yaml: 'image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.4.2\nmetrics:\n  image: { repository: x/exporter, tag: "1.0" }\n' }]), ['docker.io/bitnami/redis:7.4.2', 'x/exporter:1.0']);
  const rev = revision();
  const withChart = { ...rev, helmValues: [{ component: 'cache', chart: 'redis', chartVersion: '20.6.2', repo: 'https://charts.example.com', releaseName: 'cache', namespace: 'acme-prod', yaml: 'image: { registry: docker.io, repository: bitnami/redis, tag: 7.4.2 }\n' }] } as unknown as typeof rev;
  const b = buildBundle(withChart, 'acme-prod');
  assert.equal(file(b, 'charts.txt')!.content, 'https://charts.example.com redis 20.6.2\n');
  assert.ok(file(b, 'images.txt')!.content.split('\n').includes('docker.io/bitnami/redis:7.4.2'));
});

test('a vendored chart travels as its archive and pre-rendered objects: install.sh needs only kubectl, every image is pinned by digest', () => {
  const rev = revision();
  const image = `docker.io/library/redis:7.4.5-alpine@sha256:${'b'.repeat(64)}`;
  const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'cache-redis-master', namespace: 'acme-prod', labels: { 'app.kubernetes.io/instance': 'cache' } },
    spec: { template: { spec: { containers: [{ name: 'redis', image }] } }, volumeClaimTemplates: [] } };
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cache-redis-master', namespace: 'acme-prod' }, spec: { ports: [{ port: 6379 }] } };
  const chart: BundledChart = { component: 'cache', archive: { file: 'fleetplane-redis-1.0.0.tgz', bytes: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff]) }, objects: [svc, sts] };
  const b = buildBundle(rev, 'acme-prod', { charts: [chart] });
  const archive = b.files.find((f) => f.path === 'charts/fleetplane-redis-1.0.0.tgz')!;
  assert.ok(Buffer.isBuffer(archive.content) && archive.content.equals(chart.archive.bytes), 'the archive, byte for byte');
  assert.deepEqual(b.files.filter((f) => f.path.startsWith('charts/cache/')).map((f) => f.path), ['charts/cache/00-service-cache-redis-master.yaml', 'charts/cache/01-statefulset-cache-redis-master.yaml']);
  const sums = file(b, 'SHA256SUMS')!.content;
  assert.ok(sums.includes(`${createHash('sha256').update(chart.archive.bytes).digest('hex')}  charts/fleetplane-redis-1.0.0.tgz`), 'SHA256SUMS covers the archive');
  const index = JSON.parse(file(b, 'revision.json')!.content) as { helm: Array<{ archive?: string; rendered?: Array<{ kind: string; file: string }> }> };
  assert.equal(index.helm[0]!.archive, 'charts/fleetplane-redis-1.0.0.tgz');
  assert.deepEqual(index.helm[0]!.rendered!.map((r) => r.kind), ['Service', 'StatefulSet']);
  const install = file(b, 'install.sh')!.content;
  assert.match(install, /apply --server-side --field-manager=fleetplane -f 'charts\/cache\/'/);
  assert.doesNotMatch(install, /HELM/, 'no helm needed');
  assert.match(install, /rollout status 'statefulset\/cache-redis-master' --namespace 'acme-prod'/);
  assert.ok(install.indexOf("-f manifests/") < install.indexOf("-f 'charts/cache/'"), 'the namespace and its fences first');
  assert.ok(file(b, 'images.txt')!.content.split('\n').includes(image), 'the chart image from its rendered objects');
  const pinned = JSON.parse(file(b, 'images.json')!.content) as Array<{ image: string; digest: string | null }>;
  assert.deepEqual(pinned.find((i) => i.image === image), { image, digest: `sha256:${'b'.repeat(64)}`, pinned: image });
  assert.match(file(b, 'charts.txt')!.content, /^oci:\/\/ghcr\.io\/fleetplane\/charts fleetplane-redis 1\.0\.0 charts\/fleetplane-redis-1\.0\.0\.tgz$/m);
  assert.ok(b.requirements.writes.some((w) => w.kind === 'StatefulSet'), 'preflight checks permission for the chart kinds too');
  assert.deepEqual(pinnedImages(['a/b:1'], { product: { registry: 'r', tag: '1', imageDigests: { 'a/b:1': `sha256:${'c'.repeat(64)}` } } } as never)[0]!.pinned, `a/b:1@sha256:${'c'.repeat(64)}`);
});
