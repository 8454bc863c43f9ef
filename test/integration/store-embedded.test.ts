// The store suite on the embedded backend (PGlite in a fresh temp data dir).
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { freshEmbedded } from '../helpers/db.ts';
import { storeSuite } from './store.suite.ts';

storeSuite('embedded', freshEmbedded, (ctx) => {
  test('embedded: the database lives in <dataDir>/pg', async () => {
    const { store, handle } = ctx();
    assert.equal(store.kind, 'embedded');
    assert.ok((await stat(join(handle.dataDir, 'pg', 'PG_VERSION'))).isFile());
  });
});
