// Which store errors mean "try again later" (503) rather than "this request is wrong".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreUnavailableError } from '../../domain/errors.ts';
import { asStoreUnavailable } from './db.ts';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('down, restarting, cut off, full: unavailable; anything else is left alone', () => {
  for (const err of [pgError('57P01', 'terminating connection due to administrator command'), pgError('57P03', 'the database system is starting up'),
    pgError('53100', 'could not extend file "base/5/1": No space left on device'), pgError('53300', 'too many connections'), pgError('08006'),
    pgError('ECONNREFUSED'), new Error('Connection terminated unexpectedly')]) {
    const u = asStoreUnavailable(err);
    assert.ok(u instanceof StoreUnavailableError, String(err));
    assert.equal(u.status, 503);
    assert.equal(u.cause, err);
  }
  for (const err of [pgError('23505', 'duplicate key'), pgError('22P02', 'invalid input syntax'), pgError('40001'), new Error('boom')]) {
    assert.equal(asStoreUnavailable(err), null, String(err));
  }
});
