import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composePatches, mergeValues } from './values.ts';

test('mergeValues merges objects deeply, replaces arrays and scalars, and a null deletes the key', () => {
  assert.deepEqual(mergeValues({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, e: 2 }), { a: { b: 1, c: [2] }, d: 1, e: 2 });
  assert.deepEqual(mergeValues({ logLevel: 'debug', maxUploadMb: 200 }, { maxUploadMb: null }), { logLevel: 'debug' });
  assert.deepEqual(mergeValues({ components: { web: { replicas: 2, imageTag: 'a' } } }, { components: { web: { imageTag: null } } }), { components: { web: { replicas: 2 } } });
  // No null of the patch survives, also inside a subtree the base did not have.
  assert.deepEqual(mergeValues({}, { features: { search: null, beta: true } }), { features: { beta: true } });
  assert.deepEqual(mergeValues({ a: 1 }, { a: { b: null } }), { a: {} });
});

test('mergeValues builds fresh objects: a validator filling defaults into the result cannot touch its inputs', () => {
  const base = { features: { a: true } };
  const patch = { limits: { x: 1 } };
  const out = mergeValues(base, patch);
  (out.features as Record<string, unknown>).b = false;
  (out.limits as Record<string, unknown>).y = 2;
  assert.deepEqual(base, { features: { a: true } });
  assert.deepEqual(patch, { limits: { x: 1 } });
});

test('two patches compose into one that still deletes', () => {
  const p = composePatches({ maxUploadMb: null, components: { web: { replicas: 3 } } }, { components: { web: { imageTag: 'b' } } });
  assert.deepEqual(p, { maxUploadMb: null, components: { web: { replicas: 3, imageTag: 'b' } } });
  assert.deepEqual(mergeValues({ maxUploadMb: 200, logLevel: 'info' }, p), { logLevel: 'info', components: { web: { replicas: 3, imageTag: 'b' } } });
});
