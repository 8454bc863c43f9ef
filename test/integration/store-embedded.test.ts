// The store suite on the embedded backend (PGlite in a fresh temp data dir).
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/adapters/store/index.ts';
import { InputError } from '../../src/domain/errors.ts';
import { freshEmbedded } from '../helpers/db.ts';
import { storeSuite } from './store.suite.ts';

storeSuite('embedded', freshEmbedded, (ctx) => {
  test('embedded: the database lives in <dataDir>/pg', async () => {
    const { store, handle } = ctx();
    assert.equal(store.kind, 'embedded');
    assert.ok((await stat(join(handle.dataDir, 'pg', 'PG_VERSION'))).isFile());
  });

  test('embedded: a data dir in use cannot be opened twice (PGlite would corrupt it)', async () => {
    await assert.rejects(openStore({ dataDir: ctx().handle.dataDir }), /in use by process/);
    assert.ok(await ctx().store.tenants.get('acme'), 'the first store still works');
  });

  test('embedded: a lock left by a dead process is taken over', async () => {
    const other = await freshEmbedded();
    try {
      await writeFile(join(other.dataDir, 'pg.lock'), '2147483646\n');
      const s = await openStore({ dataDir: other.dataDir });
      await s.close();
    } finally {
      await other.cleanup();
    }
  });

  test('embedded: a non-postgres database URL is an InputError', async () => {
    await assert.rejects(openStore({ dataDir: ctx().handle.dataDir, databaseUrl: 'mysql://x' }), InputError);
  });
});
