import { test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { formatCell, parseFormat, render, table, age } from './output.ts';
import { ApiError, CliError } from './client.ts';

test('table aligns columns and shows "-" for empty cells', () => {
  const out = table([{ a: 'x', b: null }, { a: 'longer', b: 2 }], [['A', (r) => r.a], ['B', (r) => r.b]]);
  assert.equal(out, 'A        B\nx        -\nlonger   2');
});

test('cells: arrays and objects flatten readably', () => {
  assert.equal(formatCell(['a', 'b']), 'a,b');
  assert.equal(formatCell({ plan: 'gold', env: 'prod' }), 'plan=gold,env=prod');
  assert.equal(formatCell({}), '-');
});

test('json and yaml print the data itself; an empty table says so', () => {
  const data = { items: [{ slug: 'a' }] };
  assert.deepEqual(JSON.parse(render(data, 'json', [], [])), data);
  assert.deepEqual(YAML.parse(render(data, 'yaml', [], [])), data);
  assert.equal(render(data, 'table', [], []), 'No resources found.');
});

test('an unknown format is a usage error (exit 2)', () => {
  assert.equal(parseFormat('YAML'), 'yaml');
  assert.throws(() => parseFormat('xml'), (e: unknown) => e instanceof CliError && e.exitCode === 2);
});

test('problem+json becomes one line naming the field', () => {
  const e = new ApiError(400, { title: 'Invalid input', detail: 'invalid input: 2 problems', errors: [{ field: '/slug', message: 'bad' }, { field: '/tier', message: 'bad' }] });
  assert.equal(e.message, 'Invalid input (HTTP 400): invalid input: 2 problems (/slug: bad) [+1 more]');
  assert.ok(!e.message.includes('\n'));
});

test('age is compact', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  assert.equal(age('2026-01-01T23:59:30Z', now), '30s');
  assert.equal(age('2026-01-01T23:00:00Z', now), '60m');
  assert.equal(age('2025-12-20T00:00:00Z', now), '13d');
  assert.equal(age(undefined, now), '-');
});
