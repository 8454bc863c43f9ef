import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../domain/errors.ts';
import { loadSecretKey, parseSecretKey, secretBox, signer } from './crypto.ts';

test('seal/open round-trips; ciphertexts differ per call and hide the plaintext', () => {
  const box = secretBox(randomBytes(32));
  const a = box.seal('kubeconfig-secret', 'cluster:eu');
  const b = box.seal('kubeconfig-secret', 'cluster:eu');
  assert.notEqual(a, b);
  assert.equal(a.includes('kubeconfig'), false);
  assert.equal(box.open(a, 'cluster:eu'), 'kubeconfig-secret');
});

test('tampering, another row (AAD) or another key all fail to open', () => {
  const box = secretBox(randomBytes(32));
  const sealed = box.seal('s3cret', 'cluster:a');
  assert.throws(() => box.open(sealed, 'cluster:b'));
  const parts = sealed.split('.');
  parts[4] = Buffer.from('x' + Buffer.from(parts[4]!, 'base64url').toString('latin1')).toString('base64url');
  assert.throws(() => box.open(parts.join('.'), 'cluster:a'));
  assert.throws(() => secretBox(randomBytes(32)).open(sealed, 'cluster:a'), /FLEETPLANE_SECRET_KEY/);
  assert.throws(() => box.open('garbage', 'cluster:a'), /unreadable/);
});

test('parseSecretKey accepts 32 bytes as hex or base64 only', () => {
  assert.equal(parseSecretKey('ab'.repeat(32)).length, 32);
  assert.equal(parseSecretKey(randomBytes(32).toString('base64')).length, 32);
  for (const bad of ['short', 'ab'.repeat(31), randomBytes(16).toString('base64')]) assert.throws(() => parseSecretKey(bad), InputError);
});

test('loadSecretKey creates <dataDir>/secret.key once with mode 0600 and reuses it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fp-key-'));
  try {
    const [k1, k2] = await Promise.all([loadSecretKey(dir), loadSecretKey(dir)]);
    assert.deepEqual(k1, k2);
    assert.deepEqual(await loadSecretKey(dir), k1);
    assert.equal((await stat(join(dir, 'secret.key'))).mode & 0o777, 0o600);
    assert.equal((await readFile(join(dir, 'secret.key'), 'utf8')).trim(), k1.toString('base64'));
    assert.deepEqual(await loadSecretKey(dir, 'cd'.repeat(32)), Buffer.from('cd'.repeat(32), 'hex'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bundle signer: Ed25519 from the secret key, the same on every server, one key per purpose', () => {
  const key = Buffer.alloc(32, 7);
  const a = signer(key, 'bundles');
  const b = signer(Buffer.from(key), 'bundles');
  assert.equal(a.publicKeyPem, b.publicKeyPem, 'derived, not random: servers sharing the key agree');
  assert.notEqual(signer(key, 'other').publicKeyPem, a.publicKeyPem);
  assert.notEqual(signer(Buffer.alloc(32, 8), 'bundles').publicKeyPem, a.publicKeyPem);
  const sig = a.sign('abc');
  assert.equal(sig.length, 64);
  const pub = createPublicKey(a.publicKeyPem);
  assert.ok(verify(null, Buffer.from('abc'), pub, sig));
  assert.ok(!verify(null, Buffer.from('abd'), pub, sig));
  assert.match(a.keyId, /^[0-9a-f]{12}$/);
});
