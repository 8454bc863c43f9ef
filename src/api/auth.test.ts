import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, newTokenSecret, principalOf, tokenRefusal } from './auth.ts';

test('bearer tokens are read from the Authorization header only in the Bearer scheme', () => {
  assert.equal(bearerToken('Bearer abc.def'), 'abc.def');
  assert.equal(bearerToken('bearer   abc '), 'abc');
  assert.equal(bearerToken('Basic dXNlcjpwdw=='), null);
  assert.equal(bearerToken('Bearer'), null);
  assert.equal(bearerToken('Bearer a b'), null);
  assert.equal(bearerToken(undefined), null);
});

test('token records map to principals; a tenant role without a tenant is refused, not widened to admin', () => {
  const base = { id: 't1', name: 'n', createdAt: '', expiresAt: null, rotatedAt: null };
  assert.deepEqual(principalOf({ ...base, role: 'admin', tenant: null }), { kind: 'admin', tokenId: 't1', name: 'n' });
  assert.deepEqual(principalOf({ ...base, role: 'tenant-viewer', tenant: 'acme' }), { kind: 'tenant', tokenId: 't1', name: 'n', tenant: 'acme', role: 'tenant-viewer' });
  assert.equal(principalOf({ ...base, role: 'tenant-admin', tenant: null }), null);
});

test('token secrets are long, url-safe and unique', () => {
  const a = newTokenSecret();
  assert.match(a, /^fp_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, newTokenSecret());
});

test('tokenRefusal: an expired token, or a rotated-away secret past its grace, is refused with "expired"; the moment itself counts as past', () => {
  const token = { id: 't1', name: 'n', createdAt: '', role: 'admin' as const, tenant: null, expiresAt: '2026-12-01T01:00:00.000Z', rotatedAt: null };
  const at = (iso: string) => new Date(iso);
  assert.equal(tokenRefusal({ token, previousValidUntil: null }, at('2026-12-01T00:59:59.999Z')), null);
  assert.match(tokenRefusal({ token, previousValidUntil: null }, at('2026-12-01T01:00:00.000Z')) ?? '', /^token expired at 2026-12-01T01:00:00.000Z$/);
  assert.equal(tokenRefusal({ token: { ...token, expiresAt: null }, previousValidUntil: null }, at('2099-01-01T00:00:00Z')), null);
  const old = { token: { ...token, expiresAt: null }, previousValidUntil: '2026-12-01T00:05:00.000Z' };
  assert.equal(tokenRefusal(old, at('2026-12-01T00:04:59Z')), null);
  assert.match(tokenRefusal(old, at('2026-12-01T00:05:00Z')) ?? '', /expired: this secret was rotated/);
});
