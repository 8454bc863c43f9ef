// The self-managed channel end to end on a real testbed cluster (fp-1, a throwaway namespace): the
// tenant's bundle (signed, with license, digests and preflight.json) is verified offline by the
// customer CLI; a tampered bundle, a missing signature, another vendor's key and an expired license
// are refused with nothing applied; preflight refuses a release needing GPU nodes the cluster lacks;
// `fleetplane bundle install` applies it server-side and uploads the signed report online; the next
// release upgrades in place and prunes the dropped worker; its report, saved to a file (air-gapped),
// is imported later. The cache chart Fleetplane vendors (blueprints/charts/fleetplane-redis) travels as
// its archive and pre-rendered objects, its image pinned by digest: a tampered archive is refused, and
// the CLI installs its StatefulSet with the rest (kept, not pruned, by the upgrade). The API shows which version each self-managed environment runs, and a tenant
// sees only its own license, reports and train (cross-tenant checks).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { preflight } from '../../src/selfmanaged/preflight.ts';
import { readBundle, verifyBundle } from '../../src/selfmanaged/verify.ts';
import { harness, blueprintVersion, type Harness } from '../helpers/api-harness.ts';
import { buildAll } from '../../testbed/index.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';

const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
/** The default blueprint's cache: the vendored chart, by the reference the blueprints use. */
const CACHE = { name: 'cache', kind: 'helm-chart', ports: [{ name: 'redis', port: 6379 }],
  chart: { repo: 'oci://ghcr.io/fleetplane/charts', name: 'fleetplane-redis', version: '1.0.0', values: { auth: { enabled: true, existingSecret: 'cache-auth', existingSecretPasswordKey: 'password' } } } };

function release(version: string, o: { dropWorker?: boolean; gpus?: number } = {}): Record<string, unknown> {
  const doc = blueprintVersion(version) as { spec: { product: Record<string, unknown>; components: Array<Record<string, unknown>> } };
  const product = { ...doc.spec.product, tag: version, kubernetes: { min: '1.36', max: '1.37' },
    imageDigests: { [`registry.example.com/demo/web:${version}`]: DIGEST('a'), [`registry.example.com/demo/worker:${version}`]: DIGEST('b') } };
  let components = [...doc.spec.components.filter((c) => !(o.dropWorker && c.name === 'worker')), CACHE];
  if (o.gpus) components = [...components, { name: 'model', kind: 'model-server', image: { repository: 'model-server' }, gpu: { count: o.gpus } }];
  return { ...doc, spec: { ...doc.spec, product, components } };
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (out += t), isTTY: false });
  return { code, out };
}

describe('self-managed channel: signed bundle, license, preflight, install, upgrade with prune, install reports', () => {
  let h: Harness;
  let cluster: TestCluster;
  let dir = '';
  let server = '';
  const slug = `smc-${randomBytes(3).toString('hex')}`;
  const other = `smo-${randomBytes(3).toString('hex')}`;
  const ns = `${slug}-dev`;
  const tokens = { ours: `fpt_sm_${randomBytes(10).toString('hex')}`, theirs: `fpt_sm_${randomBytes(10).toString('hex')}` };

  const download = async (file: string, token = tokens.ours) => {
    const r = await h.req('GET', `/v1/tenants/${slug}/bundles/dev`, { token });
    assert.equal(r.status, 200, r.raw.toString('utf8').slice(0, 300));
    await writeFile(join(dir, file), r.raw);
    return join(dir, file);
  };
  const nsObject = () => cluster.client().get({ apiVersion: 'v1', kind: 'Namespace', name: ns });

  before(async () => {
    cluster = (await getTestbed()).clusters[0]!;
    await buildAll({ only: ['helm'], log: () => undefined }); // bundles pre-render the vendored chart with it
    h = await harness('embedded');
    for (const [version, o] of [['1.0.0', {}], ['1.1.0', { dropWorker: true }], ['1.2.0', { gpus: 16 }]] as const) {
      const r = await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version, spec: release(version, o) } });
      assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
    }
    for (const t of [slug, other]) {
      const r = await h.req('POST', '/v1/tenants', { body: { slug: t, name: `${t} Co`, tier: 'shared', channel: 'self-managed', environments: [{ name: 'dev', type: 'dev', blueprint: 'demo-app', version: '1.0.0' }] } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    }
    await h.store.tokens.create({ name: 'ours', tenant: slug, role: 'tenant-admin' }, tokens.ours);
    await h.store.tokens.create({ name: 'theirs', tenant: other, role: 'tenant-admin' }, tokens.theirs);
    dir = await mkdtemp(join(tmpdir(), 'fp-selfmanaged-'));
    await writeFile(join(dir, 'vendor.pem'), (await h.req('GET', '/v1/bundles/signing-key', { token: null })).raw);
    const stranger = await harness('embedded');
    await writeFile(join(dir, 'stranger.pem'), (await stranger.req('GET', '/v1/bundles/signing-key', { token: null })).raw);
    await stranger.close();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    server = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await cluster?.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => false);
    if (dir) await rm(dir, { recursive: true, force: true });
    await h?.close();
  });

  test('a bundle without a license, tampered, unsigned, checked with another key or past its license is refused offline; nothing applied', async () => {
    const unlicensed = await download('unlicensed.tar.gz');
    const key = join(dir, 'vendor.pem');
    let r = await cli(['bundle', 'verify', unlicensed, '--key', key]);
    assert.equal(r.code, 1);
    assert.match(r.out, /license\.json is missing/);

    // Only an admin issues licenses; a tenant reads its own and nobody else's.
    const body = { expiresAt: '2027-12-01T00:00:00Z', entitlements: { maxEnvironments: 2, maxGpus: 0 } };
    assert.equal((await h.req('PUT', `/v1/tenants/${slug}/license`, { token: tokens.ours, body })).status, 403);
    assert.equal((await h.req('PUT', `/v1/tenants/${slug}/license`, { body: { ...body, expiresAt: '2020-01-01T00:00:00Z' } })).status, 400);
    assert.equal((await h.req('PUT', `/v1/tenants/${slug}/license`, { body })).status, 200);
    assert.equal((await h.req('GET', `/v1/tenants/${slug}/license`, { token: tokens.ours })).body.license.entitlements.maxEnvironments, 2);
    assert.equal((await h.req('GET', `/v1/tenants/${slug}/license`, { token: tokens.theirs })).status, 404);
    assert.equal((await h.req('GET', `/v1/tenants/${slug}/bundles/dev`, { token: tokens.theirs })).status, 404);

    const path = await download('v1.tar.gz');
    r = await cli(['bundle', 'verify', path, '--key', key]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /demo-app@1\.0\.0 .*3\/3 images pinned by digest/, 'web, worker and the chart\'s redis');

    const files = await readBundle(path);
    const pem = await readFile(key, 'utf8');
    const refused = (f: Map<string, Buffer>, at = new Date()) => {
      try {
        verifyBundle(f, pem, at);
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const manifest = [...files.keys()].find((p) => p.startsWith('manifests/') && p.includes('deployment'))!;
    assert.match(refused(new Map(files).set(manifest, Buffer.from(`${files.get(manifest)}\n# replicas: 50\n`))), /does not match SHA256SUMS/);
    assert.match(refused(new Map(files).set('manifests/99-extra.yaml', Buffer.from('kind: ClusterRoleBinding\n'))), /files not in SHA256SUMS: manifests\/99-extra\.yaml/);
    // The chart archive and its pre-rendered objects are covered too.
    const archive = 'charts/fleetplane-redis-1.0.0.tgz';
    assert.ok(files.get(archive)?.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b])), 'the chart archive is in the bundle');
    const images = JSON.parse(files.get('images.json')!.toString()) as Array<{ image: string; digest: string | null }>;
    assert.ok(images.some((i) => /^docker\.io\/library\/redis:[^@]+@sha256:[0-9a-f]{64}$/.test(i.image) && i.digest), JSON.stringify(images));
    const tamperedChart = Buffer.from(files.get(archive)!);
    tamperedChart[tamperedChart.length - 5]! ^= 0xff;
    assert.match(refused(new Map(files).set(archive, tamperedChart)), /charts\/fleetplane-redis-1\.0\.0\.tgz does not match SHA256SUMS: the bundle was changed/);
    const sts = [...files.keys()].find((p) => p.startsWith('charts/cache/') && p.includes('statefulset'))!;
    assert.ok(files.get(sts)!.toString().includes('"readOnlyRootFilesystem": true'), 'the rendered StatefulSet, as the bundle holds it');
    assert.match(refused(new Map(files).set(sts, Buffer.from(files.get(sts)!.toString().replace('"readOnlyRootFilesystem": true', '"readOnlyRootFilesystem": false')))), /does not match SHA256SUMS/);
    const unsigned = new Map(files);
    unsigned.delete('SHA256SUMS.sig');
    assert.match(refused(unsigned), /SHA256SUMS\.sig is missing/);
    assert.match(refused(files, new Date('2028-01-01T00:00:00Z')), /the license expired at 2027-12-01/);
    const forgedLicense = new Map(files).set('license.json', Buffer.from(files.get('license.json')!.toString().replace('"maxGpus":0', '"maxGpus":8')));
    assert.match(refused(forgedLicense), /license\.sig is not a signature/);
    r = await cli(['bundle', 'install', path, '--key', join(dir, 'stranger.pem'), '--kubeconfig', cluster.kubeconfig]);
    assert.equal(r.code, 1);
    assert.match(r.out, /bundle refused, nothing applied: SHA256SUMS\.sig is not a signature by the bundle signing key/);
    assert.equal(await nsObject(), null, 'nothing applied');
  });

  test('preflight refuses a release that needs GPU nodes the cluster does not have', async () => {
    await h.store.environments.update(slug, 'dev', { version: '1.2.0' });
    const b = verifyBundle(await readBundle(await download('gpu.tar.gz')), await readFile(join(dir, 'vendor.pem'), 'utf8'), new Date());
    await h.store.environments.update(slug, 'dev', { version: '1.0.0' });
    assert.deepEqual(b.requirements.gpu, { resource: 'nvidia.com/gpu', perPod: 16 });
    const r = await preflight(cluster.client(), b.requirements, b.license, { tenant: slug, environment: 'dev', namespace: ns });
    assert.equal(r.ok, false);
    const failed = r.checks.filter((c) => !c.ok).map((c) => c.name);
    assert.ok(failed.includes('gpu-nodes'), JSON.stringify(r.checks));
    assert.match(r.checks.find((c) => c.name === 'kubernetes-version')!.message, /cluster runs v1\.3[67]/);
    assert.equal(await nsObject(), null, 'preflight applies nothing');
  });

  test('install, report online, upgrade in place with prune, report imported from a file; the train shows it; tenants stay apart', async () => {
    const key = join(dir, 'vendor.pem');
    const v1 = await download('v1-install.tar.gz');
    const first = await cli(['--server', server, 'bundle', 'install', v1, '--key', key, '--kubeconfig', cluster.kubeconfig, '--report-file', join(dir, 'r1.json'), '--upload']);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /ok {3}permissions/);
    assert.match(first.out, /report sent to/);
    // The CLI waited for what it applied, and the report says so (the API's schema takes it: the upload above).
    assert.match(first.out, /rolled out statefulset\/cache-redis-master: 1 pods rolled out/);
    const r1 = JSON.parse(await readFile(join(dir, 'r1.json'), 'utf8')) as { result: string; message: string; rollout: Array<{ kind: string; name: string; ready: boolean }> };
    assert.equal(r1.result, 'installed');
    assert.match(r1.message, /; 3 rolled out$/);
    assert.deepEqual(r1.rollout.map((x) => `${x.kind}/${x.name}:${x.ready}`).sort(), ['Deployment/web:true', 'Deployment/worker:true', 'StatefulSet/cache-redis-master:true']);
    const deployments = async () => (await cluster.client().list('apps/v1', 'Deployment', { namespace: ns })).map((d) => d.metadata.name).sort();
    assert.ok((await deployments()).some((n) => n.includes('worker')), 'the worker is installed');
    const applied = await cluster.client().list('apps/v1', 'Deployment', { namespace: ns });
    const cache = await cluster.client().get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: 'cache-redis-master' });
    assert.match(String((cache?.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image), /@sha256:[0-9a-f]{64}$/, 'the chart, installed by the CLI, pulls by digest');
    assert.ok(applied.every((d) => ((d.metadata.managedFields ?? []) as Array<{ manager?: string; operation?: string }>).some((m) => m.manager === 'fleetplane' && m.operation === 'Apply')), 'server-side apply');

    let train = (await h.req('GET', '/v1/self-managed/environments', { token: tokens.ours })).body.items;
    assert.deepEqual(train.map((e: { tenant: string }) => e.tenant), [slug], 'a tenant sees only its own environments');
    assert.equal(train[0].installed.version, '1.0.0');
    assert.equal(train[0].installed.via, 'online');

    // The next release drops the worker: install upgrades in place and prunes it. Air-gapped: no upload.
    await h.store.environments.update(slug, 'dev', { version: '1.1.0' });
    const v2 = await download('v2.tar.gz');
    const second = await cli(['bundle', 'install', v2, '--key', key, '--kubeconfig', cluster.kubeconfig, '--report-file', join(dir, 'r2.json')]);
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /pruned \d+: .*Deployment\/[a-z0-9-]*worker/);
    assert.ok(!(await deployments()).some((n) => n.includes('worker')), 'the worker is pruned');
    assert.ok((await deployments()).some((n) => n.includes('web')), 'web stays');
    assert.ok(await cluster.client().get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: 'cache-redis-master' }), 'the chart stays (in the inventory, not pruned)');

    // Import from the file: another tenant cannot, a changed report is refused, the real one lands once.
    const report = JSON.parse(await readFile(join(dir, 'r2.json'), 'utf8'));
    assert.equal(report.result, 'installed');
    assert.equal((await h.req('POST', `/v1/tenants/${slug}/install-reports`, { token: tokens.theirs, body: report })).status, 404);
    assert.equal((await h.req('POST', `/v1/tenants/${slug}/install-reports`, { token: tokens.ours, body: { ...report, version: '9.9.9' } })).status, 400);
    assert.equal((await h.req('POST', '/v1/install-reports', { token: null, body: report })).status, 401, 'online upload needs the report token');
    const theirKey = (await readBundle(v2)).get('report.key')!.toString().trim().replace(slug, other);
    assert.equal((await h.req('POST', '/v1/install-reports', { token: theirKey, body: report })).status, 401, "another environment's token cannot post this report");
    const imp = await cli(['--server', server, '--token', tokens.ours, 'bundle', 'import-report', join(dir, 'r2.json')]);
    assert.equal(imp.code, 0, imp.out);
    assert.match(imp.out, /^imported/);
    assert.match((await cli(['--server', server, '--token', tokens.ours, 'bundle', 'import-report', join(dir, 'r2.json')])).out, /already imported/);

    const reports = (await h.req('GET', `/v1/tenants/${slug}/install-reports`, { token: tokens.ours })).body.items;
    assert.deepEqual(reports.map((x: { version: string; via: string }) => `${x.version}/${x.via}`), ['1.1.0/import', '1.0.0/online']);
    assert.equal((await h.req('GET', `/v1/tenants/${slug}/install-reports`, { token: tokens.theirs })).status, 404);
    assert.deepEqual((await h.req('GET', `/v1/tenants/${other}/install-reports`, { token: tokens.theirs })).body.items, []);
    train = (await h.req('GET', '/v1/self-managed/environments')).body.items;
    const ours = train.find((e: { tenant: string }) => e.tenant === slug);
    assert.deepEqual({ available: ours.available, installed: ours.installed.version, upToDate: ours.upToDate }, { available: '1.1.0', installed: '1.1.0', upToDate: true });
    assert.equal(train.find((e: { tenant: string }) => e.tenant === other).installed, null);
  });
});
