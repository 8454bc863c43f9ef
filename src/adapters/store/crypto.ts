// Secrets at rest (cluster credentials): AES-256-GCM with a random 96-bit IV per value and the row's
// identity as additional authenticated data, so a ciphertext copied onto another row fails to open.
// Key: FLEETPLANE_SECRET_KEY (32 bytes, hex or base64) or <dataDir>/secret.key, made once with mode
// 0600. See docs/adr/0202-secrets-at-rest.md.
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, hkdfSync, randomBytes, sign } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../domain/errors.ts';
import type { Signer } from '../../domain/ports/signer.ts';

export interface SecretBox {
  /** Short fingerprint of the key (not secret), stored with each value to explain key mismatches. */
  readonly keyId: string;
  seal(plaintext: string, aad: string): string;
  open(sealed: string, aad: string): string;
}

// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Ed25519 signatures by a key derived from the store's secret key (HKDF, one key per purpose): a
 * signer whose key is derived from the secret key with HKDF-SHA256 and the purpose as context:
 * every server sharing FLEETPLANE_SECRET_KEY signs with the same key, nothing new is stored, and the
 * encryption key itself never signs anything. Rotating the secret key rotates the signing key.
 */
export function signer(key: Buffer, purpose: string): Signer {
  const seed = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `fleetplane:${purpose}:ed25519`, 32));
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKeyPem = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
  return {
    keyId: createHash('sha256').update(publicKeyPem).digest('hex').slice(0, 12),
    publicKeyPem,
    sign: (data) => sign(null, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, privateKey),
  };
}

export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new InputError('FLEETPLANE_SECRET_KEY must be 32 bytes, written as 64 hex characters or base64');
  return key;
}

/** The configured key, else the data dir's key file (created on first use; racing creators agree). */
export async function loadSecretKey(dataDir: string, secretKey?: string): Promise<Buffer> {
  if (secretKey) return parseSecretKey(secretKey);
  const file = join(dataDir, 'secret.key');
  const existing = await readFile(file, 'utf8').catch(() => null);
  if (existing !== null) return parseSecretKey(existing);
  await mkdir(dataDir, { recursive: true });
  // Write aside, then link(): the key file appears complete or not at all, and of two racing
  // processes exactly one link wins; the other reads the winner's key.
  const tmp = `${file}.${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, randomBytes(32).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
  await chmod(file, 0o600);
  return parseSecretKey(await readFile(file, 'utf8'));
}

export function secretBox(key: Buffer): SecretBox {
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return {
    keyId,
    seal(plaintext, aad) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(aad));
      const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      return ['v1', keyId, iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
    },
    open(sealed, aad) {
      const [v, kid, iv, tag, ct] = sealed.split('.');
      if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unreadable encrypted value');
      if (kid !== keyId) throw new Error(`value was encrypted with key ${kid}, but the current key is ${keyId}: set the same FLEETPLANE_SECRET_KEY on every server`);
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
    },
  };
}
