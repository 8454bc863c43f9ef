// Licenses of self-managed customers (like a KOTS license): who may install, what they are entitled
// to, until when. license.json is canonical JSON; license.sig is the raw Ed25519 signature of those
// exact bytes by the bundle signer, so a customer checks it offline with the published public key.
import { createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from '../domain/canonical.ts';
import type { Signer } from '../domain/ports/signer.ts';

export interface Entitlements {
  /** Environments this tenant may run at once on its own clusters. */
  maxEnvironments: number;
  /** GPUs one environment may reserve (its quota's requests.nvidia.com/gpu); 0: none. */
  maxGpus: number;
}

export interface License {
  apiVersion: 'fleetplane.io/v1alpha1';
  kind: 'License';
  id: string;
  tenant: string;
  issuedAt: string;
  expiresAt: string;
  entitlements: Entitlements;
}

export class LicenseError extends Error {}

export function signLicense(signer: Signer, license: License): { json: string; sig: Buffer } {
  const json = `${canonicalJson(license)}\n`;
  return { json, sig: signer.sign(json) };
}

/** Checks signature, tenant and expiry at `now`, offline; throws LicenseError saying what is wrong. */
export function verifyLicense(json: Buffer | undefined, sig: Buffer | undefined, publicKeyPem: string, o: { tenant: string; now: Date }): License {
  if (!json) throw new LicenseError('license.json is missing: ask your vendor for a license');
  if (!sig) throw new LicenseError('license.sig is missing: the license is not signed');
  if (!verify(null, json, createPublicKey(publicKeyPem), sig)) throw new LicenseError('license.sig is not a signature of license.json by the bundle signing key');
  let license: License;
  try {
    license = JSON.parse(json.toString('utf8')) as License;
  } catch {
    throw new LicenseError('license.json is not JSON');
  }
  if (license.kind !== 'License') throw new LicenseError('license.json is not a License');
  if (license.tenant !== o.tenant) throw new LicenseError(`the license is for tenant ${license.tenant}, this bundle for ${o.tenant}`);
  if (!(Date.parse(license.expiresAt) > o.now.getTime())) throw new LicenseError(`the license expired at ${license.expiresAt}`);
  return license;
}
