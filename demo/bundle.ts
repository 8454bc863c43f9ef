// Step: the self-managed channel. Download one environment as a signed bundle, check the signature
// against the published key and every file against SHA256SUMS, and show what a customer receives.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { untarGz } from '../src/adapters/archive/targz.ts';
import type { ApiClient } from '../src/cli/client.ts';
import { note } from './ui.ts';

async function files(gz: Buffer): Promise<Map<string, Buffer>> {
  const entries = (await untarGz(gz)).filter((e) => e.type === 'file');
  return new Map(entries.map((e) => [e.name.split('/').slice(1).join('/'), e.data]));
}

export async function bundle(client: ApiClient, tenant: string, env: string): Promise<void> {
  const { bytes, headers } = await client.download(`/v1/tenants/${tenant}/bundles/${env}`);
  const got = await files(bytes);
  const key = (await client.download('/v1/bundles/signing-key')).bytes.toString('utf8');
  const sums = got.get('SHA256SUMS');
  const sig = got.get('SHA256SUMS.sig');
  if (!sums || !sig || !verify(null, sums, createPublicKey(key), sig)) throw new Error('the bundle signature does not verify');
  for (const line of sums.toString('utf8').trim().split('\n')) {
    const [sum, path] = line.split('  ') as [string, string];
    if (createHash('sha256').update(got.get(path) ?? '').digest('hex') !== sum) throw new Error(`${path} does not match SHA256SUMS`);
  }
  const manifests = [...got.keys()].filter((p) => p.startsWith('manifests/'));
  const secrets = manifests.filter((p) => /^kind: Secret$/m.test(got.get(p)!.toString('utf8')));
  if (secrets.length > 0) throw new Error(`the bundle carries Secret objects: ${secrets.join(', ')}`);
  const images = (got.get('images.txt')?.toString('utf8') ?? '').trim().split('\n').filter(Boolean);
  note(`GET /v1/tenants/${tenant}/bundles/${env}: ${headers.get('content-disposition')?.replace(/^attachment; filename=/, '')}, ${bytes.length} bytes, revision ${headers.get('x-fleetplane-revision')}`);
  note(`${manifests.length} manifests in apply order (${manifests[0]} … ${manifests.at(-1)}), ${images.length} images in images.txt, install.sh, README.md`);
  note(`SHA256SUMS.sig verifies against GET /v1/bundles/signing-key (key ${headers.get('x-fleetplane-signing-key')}); every file matches SHA256SUMS; no Secret object among the manifests`);
  note('a self-managed customer runs: FLEETPLANE_BUNDLE_KEY=fleetplane-bundles.pem ./install.sh');
}
