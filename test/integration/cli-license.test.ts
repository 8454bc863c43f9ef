// `fleetplane license issue | inspect | verify`: the vendor signs a license offline with the same key
// its server signs bundles with (the server's data directory here), and the customer's check holds
// against the public key the server publishes (GET /v1/bundles/signing-key); a license from another
// key, for another tenant, past its expiry, changed after signing or without its signature is refused
// in one line with exit 1; bad flags and files are one line with exit 2, and nothing is written.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundleSigner } from '../../src/adapters/store/index.ts';
import { main } from '../../src/cli/main.ts';
import { signLicense, type License } from '../../src/selfmanaged/license.ts';

interface Run { code: number; stdout: string; stderr: string }

async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const saved = { ...process.env };
  let stdout = '';
  let stderr = '';
  Object.assign(process.env, { FLEETPLANE_SECRET_KEY: '', FLEETPLANE_DATA_DIR: '', ...env });
  for (const [k, v] of Object.entries(process.env)) if (v === '') delete process.env[k];
  try {
    const code = await main(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTTY: false });
    return { code, stdout, stderr };
  } finally {
    process.env = saved;
  }
}

const oneLine = (r: Run) => assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);

describe('fleetplane license', () => {
  let dir = '';
  let vendor = '';
  let stranger = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fp-license-'));
    // The vendor's server data directory (its secret.key) and another Fleetplane's.
    for (const d of ['vendor-data', 'stranger-data']) await mkdir(join(dir, d));
    vendor = join(dir, 'vendor.pem');
    stranger = join(dir, 'stranger.pem');
    await writeFile(vendor, (await bundleSigner({ dataDir: join(dir, 'vendor-data') })).publicKeyPem);
    await writeFile(stranger, (await bundleSigner({ dataDir: join(dir, 'stranger-data') })).publicKeyPem);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('issue signs with the server key; inspect shows it; verify holds against the published key', async () => {
    const out = join(dir, 'acme');
    const issued = await cli(['license', 'issue', '--tenant', 'acme', '--expires', '365d', '--max-environments', '3', '--max-gpus', '2', '--data-dir', join(dir, 'vendor-data'), '--out', out]);
    assert.equal(issued.code, 0, issued.stderr);
    assert.match(issued.stdout, /issued license [0-9a-f-]{36} for acme until \d{4}-.*max 3 environments, 2 GPUs/);
    const doc = JSON.parse(await readFile(join(out, 'license.json'), 'utf8')) as License;
    assert.deepEqual([doc.tenant, doc.entitlements], ['acme', { maxEnvironments: 3, maxGpus: 2 }]);
    assert.ok(Date.parse(doc.expiresAt) - Date.parse(doc.issuedAt) === 365 * 86_400_000);

    const shown = await cli(['-o', 'json', 'license', 'inspect', join(out, 'license.json')]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout), { ...doc, expired: false });
    const table = await cli(['license', 'inspect', join(out, 'license.json')]);
    assert.match(table.stdout, /^TENANT\s+ID\s+ISSUED\s+EXPIRES\s+EXPIRED\s+MAX-ENVS\s+MAX-GPUS\nacme\s/);

    const ok = await cli(['license', 'verify', join(out, 'license.json'), '--key', vendor]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`^ok: license ${doc.id} for acme until ${doc.expiresAt}`));
    // FLEETPLANE_SECRET_KEY signs the same as the data directory it came from.
    const key = (await readFile(join(dir, 'vendor-data', 'secret.key'), 'utf8')).trim();
    const byEnv = await cli(['license', 'issue', '--tenant', 'acme', '--expires', '2099-01-01T00:00:00Z', '--max-environments', '1', '--out', join(dir, 'env')], { FLEETPLANE_SECRET_KEY: key });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.equal((await cli(['license', 'verify', join(dir, 'env', 'license.json'), '--key', vendor, '--tenant', 'acme'])).code, 0);
  });

  test('verify refuses another key, another tenant, an expired, changed or unsigned license: one line, exit 1', async () => {
    const out = join(dir, 'refusals');
    assert.equal((await cli(['license', 'issue', '--tenant', 'acme', '--expires', '30d', '--max-environments', '1', '--data-dir', join(dir, 'vendor-data'), '--out', out])).code, 0);
    const file = join(out, 'license.json');
    const refused = async (args: string[], why: RegExp) => {
      const r = await cli(['license', 'verify', ...args]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      oneLine(r);
      assert.match(r.stderr, why);
      assert.equal(r.stdout, '');
    };
    await refused([file, '--key', stranger], /^fleetplane: license refused: license\.sig is not a signature of license\.json by the bundle signing key/);
    await refused([file, '--key', vendor, '--tenant', 'globex'], /the license is for tenant acme, this bundle for globex/);
    const changed = join(dir, 'changed');
    await mkdir(changed);
    await writeFile(join(changed, 'license.json'), (await readFile(file, 'utf8')).replace('"maxEnvironments":1', '"maxEnvironments":50'));
    await writeFile(join(changed, 'license.sig'), await readFile(join(out, 'license.sig')));
    await refused([join(changed, 'license.json'), '--key', vendor], /not a signature of license\.json/);
    const unsigned = join(dir, 'unsigned');
    await mkdir(unsigned);
    await writeFile(join(unsigned, 'license.json'), await readFile(file));
    await refused([join(unsigned, 'license.json'), '--key', vendor], /license\.sig is missing/);
    // An expired license, signed by the vendor's key (issue refuses a past expiry, so it is made here).
    const expired = join(dir, 'expired');
    await mkdir(expired);
    const signer = await bundleSigner({ dataDir: join(dir, 'vendor-data') });
    const { json, sig } = signLicense(signer, { apiVersion: 'fleetplane.io/v1alpha1', kind: 'License', id: 'old', tenant: 'acme', issuedAt: '2025-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:00:00.000Z', entitlements: { maxEnvironments: 1, maxGpus: 0 } });
    await writeFile(join(expired, 'license.json'), json);
    await writeFile(join(expired, 'license.sig'), sig);
    await refused([join(expired, 'license.json'), '--key', vendor], /the license expired at 2026-01-01T00:00:00\.000Z/);
    const shown = await cli(['-o', 'json', 'license', 'inspect', join(expired, 'license.json')]);
    assert.equal(JSON.parse(shown.stdout).expired, true, 'inspect says so without failing');
  });

  test('bad input is one line and exit 2, and issue writes nothing', async () => {
    const out = join(dir, 'bad');
    const data = ['--data-dir', join(dir, 'vendor-data'), '--out', out];
    const cases: Array<[string[], RegExp]> = [
      [['license', 'issue', '--tenant', 'Acme!', '--expires', '30d', '--max-environments', '1', ...data], /--tenant "Acme!" is not a tenant slug/],
      [['license', 'issue', '--tenant', 'acme', '--expires', 'soon', '--max-environments', '1', ...data], /--expires "soon" is neither a date/],
      [['license', 'issue', '--tenant', 'acme', '--expires', '2020-01-01T00:00:00Z', '--max-environments', '1', ...data], /--expires 2020-01-01T00:00:00\.000Z is not in the future/],
      [['license', 'issue', '--tenant', 'acme', '--expires', '30d', '--max-environments', '0', ...data], /--max-environments must be a whole number >= 1, not "0"/],
      [['license', 'issue', '--tenant', 'acme', '--expires', '30d', '--max-environments', '1', '--max-gpus', '-1', ...data], /--max-gpus must be a whole number >= 0/],
      [['license', 'issue', '--tenant', 'acme', '--expires', '30d', '--max-environments', '1', '--data-dir', join(dir, 'no-such-dir'), '--out', out], /no signing key: set FLEETPLANE_SECRET_KEY or --data-dir/],
      [['license', 'verify', join(dir, 'nope.json'), '--key', vendor], /nope\.json: cannot read the license file/],
      [['license', 'verify', vendor, '--key', vendor], /vendor\.pem: not JSON/],
      [['license', 'inspect', join(dir, 'vendor-data', 'secret.key')], /not JSON/],
    ];
    for (const [args, why] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      oneLine(r);
      assert.match(r.stderr, why);
    }
    await writeFile(join(dir, 'not-license.json'), '{"kind":"Bundle"}');
    const r = await cli(['license', 'inspect', join(dir, 'not-license.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a Fleetplane License/);
    const missing = await cli(['license', 'issue', '--tenant', 'acme', '--expires', '30d', ...data]);
    assert.equal(missing.code, 2, 'a required flag is a usage error');
    assert.ok(!existsSync(out), 'nothing written');
    assert.ok(!existsSync(join(dir, 'no-such-dir')), 'no key made up');
  });
});
