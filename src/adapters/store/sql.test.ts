import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../domain/errors.ts';
import { decodeCursor, encodeCursor, pageLimit, setClauses, toPage } from './sql.ts';

test('cursors round-trip and reject anything not made by encodeCursor', () => {
  const c = encodeCursor(['acme', 'prod']);
  assert.deepEqual(decodeCursor(c, 2), ['acme', 'prod']);
  assert.equal(decodeCursor(undefined, 1), null);
  for (const bad of ['%%%', encodeCursor(['only-one']), Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[{}]').toString('base64url')]) {
    assert.throws(() => decodeCursor(bad, 2), InputError, bad);
  }
});

test('limits: default 50, capped at 500, nonsense rejected', () => {
  const cases: Array<[number | undefined, number | 'error']> = [[undefined, 50], [1, 1], [500, 500], [501, 500], [0, 'error'], [-3, 'error'], [2.5, 'error'], [Number.NaN, 'error']];
  for (const [input, want] of cases) {
    if (want === 'error') assert.throws(() => pageLimit(input), InputError, String(input));
    else assert.equal(pageLimit(input), want);
  }
});

test('toPage: the extra row only signals a next page', () => {
  const rows = [{ k: 'a' }, { k: 'b' }, { k: 'c' }];
  const p = toPage(rows, 2, (r) => r.k, (r) => [r.k]);
  assert.deepEqual(p.items, ['a', 'b']);
  assert.deepEqual(decodeCursor(p.next, 1), ['b']);
  assert.deepEqual(toPage(rows, 3, (r) => r.k, (r) => [r.k]), { items: ['a', 'b', 'c'] });
});

test('setClauses: undefined leaves a column alone, null clears it, json goes in as text', () => {
  const params: unknown[] = ['key'];
  const sets = setClauses({ name: 'n', region: null, labels: { a: 'b' }, other: 1 }, { name: ['name', 'text'], region: ['region', 'text'], labels: ['labels', 'json'], tier: ['tier', 'text'] }, params);
  assert.deepEqual(sets, ['name = $2', 'region = $3', 'labels = $4::jsonb']);
  assert.deepEqual(params, ['key', 'n', null, '{"a":"b"}']);
});
