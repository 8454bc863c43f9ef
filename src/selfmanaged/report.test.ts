import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { Signer } from '../domain/ports/signer.ts';
import { parseReportToken, reportSignatureHolds, reportToken, signReport, tokenHolds, type InstallReportBody } from './report.ts';
import { signLicense, verifyLicense, type License } from './license.ts';

function signerOf(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { keyId: 'k', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), sign: (d) => sign(null, Buffer.from(d), privateKey) };
}

const body: InstallReportBody = {
  apiVersion: 'fleetplane.io/v1alpha1', kind: 'InstallReport', id: 'r-1', tenant: 'acme', environment: 'prod', revision: 'rev1', blueprint: 'demo', version: '1.0.0',
  result: 'installed', message: 'ok', preflight: [{ name: 'permissions', ok: true, message: 'ok' }], kubernetesVersion: 'v1.37.2', pruned: 0, reportedAt: '2026-12-02T00:00:00.000Z',
};

test('report tokens are scoped to one tenant and environment and derived again from the signer', () => {
  const s = signerOf();
  const token = reportToken(s, 'acme', 'prod');
  assert.deepEqual({ ...parseReportToken(token), key: 'x' }, { tenant: 'acme', environment: 'prod', key: 'x' });
  assert.equal(token, reportToken(s, 'acme', 'prod'), 'deterministic');
  assert.ok(tokenHolds(s, token, 'acme', 'prod'));
  assert.ok(!tokenHolds(s, token, 'acme', 'dev'));
  assert.ok(!tokenHolds(s, token.replace('acme', 'other'), 'other', 'prod'), 'renaming the scope breaks the key');
  assert.ok(!tokenHolds(signerOf(), token, 'acme', 'prod'), 'another vendor derives another key');
  const report = signReport(token, body);
  assert.ok(reportSignatureHolds(s, report));
  assert.ok(!reportSignatureHolds(s, { ...report, version: '2.0.0' }), 'a changed field breaks the signature');
  assert.ok(!reportSignatureHolds(s, signReport(reportToken(s, 'acme', 'dev'), body)), "another environment's key does not sign this one");
});

test('a license verifies offline only when signed by the key, for the tenant, before expiry', () => {
  const s = signerOf();
  const license: License = { apiVersion: 'fleetplane.io/v1alpha1', kind: 'License', id: 'l', tenant: 'acme', issuedAt: '2026-12-01T00:00:00Z', expiresAt: '2027-01-01T00:00:00Z', entitlements: { maxEnvironments: 1, maxGpus: 0 } };
  const { json, sig } = signLicense(s, license);
  const now = new Date('2026-12-02T00:00:00Z');
  assert.deepEqual(verifyLicense(Buffer.from(json), sig, s.publicKeyPem, { tenant: 'acme', now }), license);
  assert.throws(() => verifyLicense(Buffer.from(json), sig, s.publicKeyPem, { tenant: 'acme', now: new Date('2027-01-01T00:00:00Z') }), /expired at 2027-01-01/);
  assert.throws(() => verifyLicense(Buffer.from(json), sig, s.publicKeyPem, { tenant: 'other', now }), /for tenant acme/);
  assert.throws(() => verifyLicense(Buffer.from(json), sig, signerOf().publicKeyPem, { tenant: 'acme', now }), /not a signature/);
  assert.throws(() => verifyLicense(Buffer.from(json), undefined, s.publicKeyPem, { tenant: 'acme', now }), /license\.sig is missing/);
  assert.throws(() => verifyLicense(undefined, sig, s.publicKeyPem, { tenant: 'acme', now }), /license\.json is missing/);
});
