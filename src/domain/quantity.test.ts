import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuMillis, parseQuantity } from './quantity.ts';

test('parseQuantity handles binary, decimal and exponent forms', () => {
  const cases: Array<[string, number]> = [
    ['16', 16],
    ['7820m', 7.82],
    ['31Gi', 31 * 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['500M', 5e8],
    ['1e3', 1000],
    ['2k', 2000],
    ['0', 0],
  ];
  for (const [q, want] of cases) assert.equal(parseQuantity(q), want, q);
});

test('cpuMillis rounds up to whole millicores', () => {
  assert.equal(cpuMillis('7820m'), 7820);
  assert.equal(cpuMillis('2'), 2000);
  assert.equal(cpuMillis('0.0005'), 1);
});

test('parseQuantity rejects garbage', () => {
  for (const q of ['', 'abc', '12Qi', '1..2']) assert.throws(() => parseQuantity(q), /invalid quantity/, q);
});
