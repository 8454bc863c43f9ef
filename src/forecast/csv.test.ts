import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InputError } from '../domain/errors.ts';
import { parseTraceCsv } from './csv.ts';

it('parses ts,value with a header and blank lines', () => {
  assert.deepEqual(parseTraceCsv('ts,value\n\n100,1.5\r\n160, 2\n\n', 'a.csv'), [{ ts: 100, value: 1.5 }, { ts: 160, value: 2 }]);
  assert.deepEqual(parseTraceCsv('100,1\n160,2', 'noheader.csv'), [{ ts: 100, value: 1 }, { ts: 160, value: 2 }]);
});

const bad: Array<[string, string, RegExp]> = [
  ['non-numeric value', 'ts,value\n100,1\n160,abc\n', /^t\.csv:3: expected "ts,value"/],
  ['too many columns', '100,1,2\n', /^t\.csv:1: /],
  ['missing value', 'ts,value\n100,\n', /^t\.csv:2: /],
  ['header after data', '100,1\nts,value\n', /^t\.csv:2: /],
  ['decreasing timestamps', '100,1\n90,2\n', /^t\.csv:2: timestamps must increase/],
  ['no rows', 'ts,value\n\n', /^t\.csv: no data rows/],
];
for (const [name, text, re] of bad) {
  it(`rejects ${name} naming file:line`, () => {
    assert.throws(() => parseTraceCsv(text, 't.csv'), (e: unknown) => e instanceof InputError && re.test(e.message));
  });
}

it('NaN values are kept as gaps and counted; lines are remembered for later errors', async () => {
  const { parseTrace } = await import('./csv.ts');
  const t = parseTrace('ts,value\n100,1\n160,NaN\n220,3\n', 'g.csv');
  assert.equal(t.missing, 1);
  assert.deepEqual(t.lines, [2, 3, 4]);
  assert.ok(Number.isNaN(t.samples[1]!.value));
});

const refused: Array<[string, string, RegExp]> = [
  ['negative values', 'ts,value\n100,1\n160,-2\n', /^t\.csv:3: negative value -2/],
  ['infinite values', 'ts,value\n100,Infinity\n', /^t\.csv:2: value Infinity is not finite/],
  ['millisecond timestamps', '1700000000000,1\n', /^t\.csv:1: timestamp 1700000000000 looks like milliseconds/],
  ['duplicate timestamps', '100,1\n100,2\n', /^t\.csv:2: timestamps must increase/],
];
for (const [name, text, re] of refused) {
  it(`rejects ${name} naming file:line`, () => {
    assert.throws(() => parseTraceCsv(text, 't.csv'), (e: unknown) => e instanceof InputError && re.test(e.message));
  });
}
