// A restart of the server keeps all data, on the embedded engine and on PostgreSQL: build the app
// on a store, write through the API, close everything, reopen the same data dir / database.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, counts, harness, publishSample, storeHandle, tenantBody } from '../helpers/api-harness.ts';

for (const backend of BACKENDS) {
  describe(`restart keeps data (${backend})`, () => {
    test('tenants, environments, operations, releases, clusters and tokens survive', async () => {
      const handle = await storeHandle(backend);
      try {
        const first = await harness(backend, handle);
        await publishSample(first);
        await first.req('POST', '/v1/clusters', { body: { name: 'c1', provider: 'local', region: 'r', apiServer: 'https://127.0.0.1:1' } });
        const onboard = await first.req('POST', '/v1/tenants', { body: tenantBody('keep'), headers: { 'idempotency-key': 'restart-1' } });
        assert.equal(onboard.status, 202);
        const token = (await first.req('POST', '/v1/tokens', { body: { name: 'keep', role: 'tenant-viewer', tenant: 'keep' } })).body.secret as string;
        const patched = await first.req('PATCH', '/v1/tenants/keep', { body: { name: 'Kept' } });
        const before = await counts(first.store);
        await first.close();

        const second = await harness(backend, handle);
        try {
          assert.deepEqual(await counts(second.store), before);
          const t = await second.req('GET', '/v1/tenants/keep');
          assert.equal(t.body.name, 'Kept');
          assert.equal(t.headers.etag, patched.headers.etag);
          assert.equal((await second.req('GET', '/v1/environments/keep/prod', { token })).status, 200, 'tokens survive');
          const retry = await second.req('POST', '/v1/tenants', { body: tenantBody('keep'), headers: { 'idempotency-key': 'restart-1' } });
          assert.equal(retry.status, 202);
          assert.deepEqual(retry.body.operations.map((o: { id: string }) => o.id), onboard.body.operations.map((o: { id: string }) => o.id));
          assert.equal((await second.req('GET', '/v1/blueprints/demo-app/1.0.0')).status, 200);
        } finally {
          await second.close();
        }
      } finally {
        await handle.destroy();
      }
    });
  });
}
