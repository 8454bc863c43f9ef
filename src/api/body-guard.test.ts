// The pre-parse body checks against JSON.parse itself, over generated documents (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { flowDepth, scanJson, scanValue } from './body-guard.ts';

const hasNul = (v: unknown): boolean => typeof v === 'string' ? v.includes('\u0000')
  : v !== null && typeof v === 'object' ? Object.entries(v).some(([k, x]) => k.includes('\u0000') || hasNul(x)) : false;
const depth = (v: unknown): number => v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0;

test('any JSON document: refused exactly when it holds a NUL or nests deeper than the limit, and scanValue agrees', () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 8 }), (v, max) => {
    const text = JSON.stringify(v);
    const issue = scanJson(text, max);
    const expected = hasNul(v) || depth(v) > max;
    assert.equal(issue !== null, expected, `${text.slice(0, 200)} max ${max}: ${JSON.stringify(issue)}`);
    assert.equal(scanValue(JSON.parse(text), max) !== null, expected);
  }), { numRuns: 2000 });
});

test('a repeated key is found wherever it is, and named by its pointer', () => {
  fc.assert(fc.property(fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 4 }), fc.string({ minLength: 1, maxLength: 6 }), (path, key) => {
    const inner = `{${JSON.stringify(key)}:1,"x~":2,${JSON.stringify(key)}:3}`;
    const unique = [...new Set(path)];
    const text = unique.reduceRight((acc, k) => `{${JSON.stringify(k)}:${acc}}`, inner);
    const issue = scanJson(text, 64);
    const ptr = [...unique, key].map((k) => `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
    assert.deepEqual(issue, { field: ptr, message: 'key given twice' });
  }), { numRuns: 500 });
});

test('arrays index the pointer; very deep input is refused without recursion', () => {
  assert.deepEqual(scanJson('{"a":[1,{"b":"x\\u0000"}]}', 64), { field: '/a/1/b', message: 'contains a NUL character (\\u0000), which cannot be stored' });
  assert.equal(scanJson('['.repeat(1_000_000), 64)?.message, 'nested deeper than 64 levels');
  assert.equal(flowDepth(`a: ${'['.repeat(100)}`, 64), 65);
  assert.equal(flowDepth('a: "[[[[[" # [[[[\nb: [1, [2]]', 64), 2);
});
