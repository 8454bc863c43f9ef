// Offline verification of a self-managed bundle (customer side; no network): SHA256SUMS must carry
// the vendor's Ed25519 signature, every file must match it, no file may be added, and the license
// must be signed, for this tenant and unexpired. Fails closed: anything missing is a refusal.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { untarGz } from '../adapters/archive/targz.ts';
import type { RevisionIndex } from '../render/gitops/layout.ts';
import type { BundleRequirements } from '../render/bundle-requirements.ts';
import { verifyLicense, LicenseError, type License } from './license.ts';

/** Files next to SHA256SUMS that it cannot cover (signatures, the license, the report key). */
const UNSUMMED = new Set(['SHA256SUMS', 'SHA256SUMS.sig', 'license.json', 'license.sig', 'report.key']);

export class BundleRefused extends Error {}

export interface VerifiedBundle {
  files: Map<string, Buffer>;
  index: RevisionIndex;
  requirements: BundleRequirements;
  license: License;
  images: Array<{ image: string; digest: string | null }>;
  reportToken: string | null;
}

/** A bundle as path -> bytes, from its directory or its .tar.gz (paths below the root directory). */
export async function readBundle(path: string): Promise<Map<string, Buffer>> {
  if ((await stat(path)).isDirectory()) {
    const out = new Map<string, Buffer>();
    for (const e of await readdir(path, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const full = join(e.parentPath, e.name);
      out.set(relative(path, full).split('\\').join('/'), await readFile(full));
    }
    return out;
  }
  const entries = (await untarGz(await readFile(path))).filter((e) => e.type === 'file');
  return new Map(entries.map((e) => [e.name.split('/').slice(1).join('/'), e.data]));
}

function checkSums(files: Map<string, Buffer>, publicKeyPem: string): void {
  const sums = files.get('SHA256SUMS');
  const sig = files.get('SHA256SUMS.sig');
  if (!sums) throw new BundleRefused('SHA256SUMS is missing: this is not a complete bundle');
  if (!sig) throw new BundleRefused('SHA256SUMS.sig is missing: the bundle is not signed');
  if (!verify(null, sums, createPublicKey(publicKeyPem), sig)) throw new BundleRefused('SHA256SUMS.sig is not a signature by the bundle signing key');
  const listed = new Set<string>();
  for (const line of sums.toString('utf8').split('\n').filter(Boolean)) {
    const [sum, path] = line.split('  ') as [string, string | undefined];
    if (!path) throw new BundleRefused(`SHA256SUMS has an unreadable line: ${line}`);
    listed.add(path);
    const data = files.get(path);
    if (!data) throw new BundleRefused(`${path} is listed in SHA256SUMS but missing`);
    if (createHash('sha256').update(data).digest('hex') !== sum) throw new BundleRefused(`${path} does not match SHA256SUMS: the bundle was changed`);
  }
  const extra = [...files.keys()].filter((p) => !listed.has(p) && !UNSUMMED.has(p));
  if (extra.length > 0) throw new BundleRefused(`files not in SHA256SUMS: ${extra.join(', ')}`);
}

export function verifyBundle(files: Map<string, Buffer>, publicKeyPem: string, now: Date): VerifiedBundle {
  checkSums(files, publicKeyPem);
  const parse = <T>(p: string): T => JSON.parse(files.get(p)?.toString('utf8') ?? 'null') as T;
  const index = parse<RevisionIndex>('revision.json');
  const requirements = parse<BundleRequirements>('preflight.json');
  if (!index || !requirements) throw new BundleRefused('revision.json or preflight.json is missing');
  let license: License;
  try {
    license = verifyLicense(files.get('license.json'), files.get('license.sig'), publicKeyPem, { tenant: index.tenant, now });
  } catch (err) {
    if (err instanceof LicenseError) throw new BundleRefused(err.message);
    throw err;
  }
  return {
    files, index, requirements, license, images: parse<VerifiedBundle['images']>('images.json') ?? [],
    reportToken: files.get('report.key')?.toString('utf8').trim() ?? null,
  };
}
