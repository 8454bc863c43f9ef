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
