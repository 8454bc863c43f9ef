// Self-managed bundles over the API on both stores: a tenant's own admin downloads an environment as
// a reproducible tar.gz whose SHA256SUMS hold; an unknown revision is a 404 problem. On a real testbed
// cluster of its own (fresh: created for this test), the bundle's own install.sh (with the testbed's kubectl) installs it until every rollout is
// Ready, without Fleetplane and without helm: the vendored cache chart comes pre-rendered (its archive
// beside it, covered by SHA256SUMS: a tampered archive stops install.sh before anything is applied).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { untarGz } from '../../src/adapters/archive/targz.ts';
import { binaryPath, ensureTestbed, testbedDown } from '../../testbed/index.ts';
import { KubeClient } from '../../src/adapters/kube/client.ts';
import { BACKENDS, blueprintVersion, harness, publishSample, type Harness } from '../helpers/api-harness.ts';
import { buildAll } from '../../testbed/index.ts';
import { VENDORED_CHARTS_DIR } from '../../src/api/routes/bundles.ts';

for (const backend of BACKENDS) {
  describe(`self-managed bundles (${backend})`, () => {
    let h: Harness;
    const slug = `sm-${randomBytes(3).toString('hex')}`;
    const tenantToken = `fpt_tenant_${slug}_${randomBytes(8).toString('hex')}`;

    before(async () => {
      h = await harness(backend);
      await publishSample(h);
      const r = await h.req('POST', '/v1/tenants', {
        body: { slug, name: 'Self-managed Co', tier: 'shared', channel: 'self-managed', environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0' }] },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      await h.store.tokens.create({ name: `${slug}-admin`, tenant: slug, role: 'tenant-admin' }, tenantToken);
    });
    after(async () => h?.close());

    test("the tenant's own admin downloads a reproducible tar.gz whose checksums hold", async () => {
      const r = await h.req('GET', `/v1/tenants/${slug}/bundles/prod`, { token: tenantToken });
      assert.equal(r.status, 200, r.raw.toString('utf8').slice(0, 300));
      assert.equal(r.headers['content-type'], 'application/gzip');
      const revision = String(r.headers['x-fleetplane-revision']);
      assert.match(String(r.headers['content-disposition']), new RegExp(`filename="${slug}-prod-${revision}\\.tar\\.gz"`));
      const entries = (await untarGz(r.raw)).filter((e) => e.type === 'file');
      const prefix = `${slug}-prod-${revision}/`;
      assert.ok(entries.every((e) => e.name.startsWith(prefix)), 'one root directory');
      const byPath = new Map(entries.map((e) => [e.name.slice(prefix.length), e]));
      for (const line of byPath.get('SHA256SUMS')!.data.toString('utf8').trim().split('\n')) {
        const [sum, path] = line.split('  ') as [string, string];
        assert.equal(createHash('sha256').update(byPath.get(path)!.data).digest('hex'), sum, path);
      }
      assert.equal(byPath.get('install.sh')!.mode, 0o755);
      // SHA256SUMS is signed by the key the public route publishes.
      const key = await h.req('GET', '/v1/bundles/signing-key', { token: null });
      assert.equal(key.status, 200);
      assert.equal(key.headers['x-fleetplane-signing-key'], r.headers['x-fleetplane-signing-key']);
      const pub = createPublicKey(key.raw.toString('utf8'));
      assert.ok(verify(null, byPath.get('SHA256SUMS')!.data, pub, byPath.get('SHA256SUMS.sig')!.data), 'the signature holds');
      assert.ok(!verify(null, Buffer.concat([byPath.get('SHA256SUMS')!.data, Buffer.from('x')]), pub, byPath.get('SHA256SUMS.sig')!.data), 'and covers SHA256SUMS exactly');
      assert.ok([...byPath.keys()].some((p) => p.startsWith('manifests/')));
      const again = await h.req('GET', `/v1/tenants/${slug}/bundles/prod`);
      assert.ok(again.raw.equals(r.raw), 'the same revision packs to the same bytes');
    });

    test('an unknown revision or environment is a 404 problem', async () => {
      for (const url of [`/v1/tenants/${slug}/bundles/prod?revision=nope`, `/v1/tenants/${slug}/bundles/qa`]) {
        const r = await h.req('GET', url);
        assert.equal(r.status, 404, url);
        assert.match(String(r.headers['content-type']), /application\/problem\+json/);
      }
      assert.equal((await h.req('GET', `/v1/tenants/${slug}/bundles/prod?revision=Bad_Id`)).status, 400);
    });
  });
}

/** The sample blueprint plus the vendored cache chart, and a self-managed tenant on it. */
async function withCacheChart(h: Harness, slug: string): Promise<void> {
  const doc = blueprintVersion('1.0.0') as { spec: { components: unknown[] } };
  const cache = { name: 'cache', kind: 'helm-chart', ports: [{ name: 'redis', port: 6379 }], chart: { repo: 'oci://ghcr.io/fleetplane/charts', name: 'fleetplane-redis', version: '1.0.0', values: { auth: { enabled: false } } } };
  const pub = await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version: '1.0.0', spec: { ...doc, spec: { ...doc.spec, components: [...doc.spec.components, cache] } } } });
  assert.equal(pub.status, 201, JSON.stringify(pub.body));
  const r = await h.req('POST', '/v1/tenants', {
    body: { slug, name: 'Self-managed Co', tier: 'shared', channel: 'self-managed', environments: [{ name: 'dev', type: 'dev', blueprint: 'demo-app', version: '1.0.0' }] },
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
}

test('without helm on the server a bundle with a vendored chart is refused (503), not shipped without its chart', async () => {
  const h = await harness('embedded', undefined, { charts: { dir: VENDORED_CHARTS_DIR, helm: join(tmpdir(), `no-such-helm-${randomBytes(4).toString('hex')}`) } });
  try {
    const slug = `smh-${randomBytes(3).toString('hex')}`;
    await withCacheChart(h, slug);
    const r = await h.req('GET', `/v1/tenants/${slug}/bundles/dev`);
    assert.equal(r.status, 503, r.raw.toString('utf8').slice(0, 300));
    assert.match(String(r.headers['content-type']), /application\/problem\+json/);
    assert.match(r.body.detail, /cannot pre-render chart fleetplane-redis 1\.0\.0 of component cache: helm not found at ".*no-such-helm-[0-9a-f]+" \(FLEETPLANE_HELM\)/);
  } finally {
    await h.close();
  }
});

// The customer's cluster is a fresh testbed cluster of its own (created here, removed after):
// nothing Fleetplane delivered, only the bundle, kubectl and a shell.
const FRESH = process.env.FLEETPLANE_TEST_BUNDLE_CLUSTER ?? 'fp-9';

describe('a bundle installs on a fresh cluster with its own install.sh', () => {
  let h: Harness;
  let dir = '';
  let cluster: { kubeconfig: string; client(): KubeClient };
  const slug = `smi-${randomBytes(3).toString('hex')}`;
  before(async () => {
    await buildAll({ only: ['helm'], log: () => undefined }); // the server pre-renders the chart with it
    const [st] = await ensureTestbed({ names: [FRESH], buildRest: false, log: () => undefined });
    const client = KubeClient.fromKubeconfig({ path: st!.kubeconfig });
    cluster = { kubeconfig: st!.kubeconfig, client: () => client };
    h = await harness('embedded');
    await withCacheChart(h, slug);
    dir = await mkdtemp(join(tmpdir(), 'fp-bundle-'));
  }, { timeout: 30 * 60_000 });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await h?.close();
    await testbedDown([FRESH]).catch(() => undefined);
  });

  test('install.sh verifies, applies and waits until every rollout is Ready', async () => {
    assert.equal((await cluster.client().list('v1', 'Namespace')).some((n) => n.metadata.name.startsWith('fp-') || n.metadata.name.startsWith('smi-')), false, 'a fresh cluster: no tenant namespace yet');
    const r = await h.req('GET', `/v1/tenants/${slug}/bundles/dev`);
    assert.equal(r.status, 200);
    let root = '';
    for (const e of await untarGz(r.raw)) {
      if (e.type !== 'file') continue;
      const path = join(dir, e.name);
      root = e.name.split('/')[0]!;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, e.data, { mode: e.mode });
    }
    const run = (env: Record<string, string>) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('sh', [join(dir, root, 'install.sh')], { env: { ...process.env, KUBECTL: binaryPath('kubectl'), KUBECONFIG: cluster.kubeconfig, TIMEOUT: '120s', ...env } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });

    const other = await harness('embedded');
    const keys = join(dir, 'keys');
    await mkdir(keys);
    await writeFile(join(keys, 'other.pem'), (await other.req('GET', '/v1/bundles/signing-key', { token: null })).raw);
    await writeFile(join(keys, 'ours.pem'), (await h.req('GET', '/v1/bundles/signing-key', { token: null })).raw);
    await other.close();
    const ours = { FLEETPLANE_BUNDLE_KEY: join(keys, 'ours.pem') };

    // Fails closed: without the vendor's key install.sh does not even look further.
    const keyless = await run({});
    assert.notEqual(keyless.code, 0);
    assert.match(keyless.out, /set FLEETPLANE_BUNDLE_KEY/);

    // A tampered bundle is refused before anything is applied.
    const readmePath = join(dir, root, 'README.md');
    const readme = await readFile(readmePath, 'utf8');
    await writeFile(readmePath, `${readme}tampered\n`);
    const tampered = await run(ours);
    assert.notEqual(tampered.code, 0);
    assert.match(tampered.out, /does not match SHA256SUMS/);
    assert.equal(await cluster.client().get({ apiVersion: 'v1', kind: 'Namespace', name: `${slug}-dev` }), null, 'nothing applied');
    await writeFile(readmePath, readme);

    // So is a changed chart archive: the objects install.sh would apply came from it.
    const archivePath = join(dir, root, 'charts', 'fleetplane-redis-1.0.0.tgz');
    const archive = await readFile(archivePath);
    await writeFile(archivePath, Buffer.concat([archive, Buffer.from('x')]));
    const tamperedChart = await run(ours);
    assert.notEqual(tamperedChart.code, 0);
    assert.match(tamperedChart.out, /fleetplane-redis-1\.0\.0\.tgz: FAILED/);
    assert.equal(await cluster.client().get({ apiVersion: 'v1', kind: 'Namespace', name: `${slug}-dev` }), null, 'nothing applied');
    await writeFile(archivePath, archive);

    // A signature checked against another Fleetplane's key is refused, before anything is applied.
    const forged = await run({ FLEETPLANE_BUNDLE_KEY: join(keys, 'other.pem') });
    assert.notEqual(forged.code, 0);
    assert.match(forged.out, /not a signature by FLEETPLANE_BUNDLE_KEY/);
    assert.equal(await cluster.client().get({ apiVersion: 'v1', kind: 'Namespace', name: `${slug}-dev` }), null, 'nothing applied');

    assert.doesNotMatch(await readFile(join(dir, root, 'install.sh'), 'utf8'), /"\$HELM"/, 'no helm: the chart is pre-rendered');
    // Only kubectl and a shell: PATH holds no helm.
    const ok = await run({ ...ours, PATH: '/usr/bin:/bin' });
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /successfully rolled out/);
    assert.match(ok.out, /statefulset rolling update complete|partitioned roll out complete|roll out complete/i, 'the cache StatefulSet rolled out');
    const sts = await cluster.client().get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: `${slug}-dev`, name: 'cache-redis-master' });
    assert.equal((sts?.status as { readyReplicas?: number } | undefined)?.readyReplicas, 1, 'the chart\'s StatefulSet Ready, installed with kubectl alone');
    const deployments = await cluster.client().list('apps/v1', 'Deployment', { namespace: `${slug}-dev` });
    assert.ok(deployments.length >= 2, 'web and worker');
    for (const d of deployments) {
      const st = d.status as { readyReplicas?: number } | undefined;
      assert.ok((st?.readyReplicas ?? 0) >= 1, `${d.metadata.name} Ready`);
    }
  });
});
