// Metering through the API and the CLI on both store backends: API requests are counted for the
// tenant whose token made them (never another tenant, never admin requests), usage is visible to the
// tenant itself only, marketplace billing is admin-only even on the tenant's own tenant, bad input is
// a 400 naming the field, and `fleetplane metering …` prints records, mappings and export reports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS, harness, type Harness } from '../helpers/api-harness.ts';
import { main } from '../../src/cli/main.ts';
import { hourOf } from '../../src/metering/dimensions.ts';
import { createTenant } from './metering-support.ts';

interface Run { code: number; stdout: string; stderr: string }
let queue: Promise<unknown> = Promise.resolve();
/** The CLI in this process with captured output; serialized because calls share process.env. */
function run(args: string[], env: Record<string, string>): Promise<Run> {
  const job = queue.then(async () => {
    const saved = { ...process.env };
    let stdout = '';
    let stderr = '';
    Object.assign(process.env, env);
    try {
      const code = await main(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTTY: false });
      return { code, stdout, stderr };
    } finally {
      process.env = saved;
    }
  });
  queue = job.catch(() => undefined);
  return job;
}

for (const backend of BACKENDS) {
  describe(`metering API and CLI (${backend})`, () => {
    let h: Harness;
    let beta: string;
    let betaViewer: string;
    let url: string;
    let dir: string;

    before(async () => {
      h = await harness(backend);
      await createTenant(h, 'alpha');
      await createTenant(h, 'beta');
      beta = (await h.req('POST', '/v1/tokens', { body: { name: 'b', role: 'tenant-admin', tenant: 'beta' } })).body.secret;
      betaViewer = (await h.req('POST', '/v1/tokens', { body: { name: 'bv', role: 'tenant-viewer', tenant: 'beta' } })).body.secret;
      url = await h.app.listen({ port: 0, host: '127.0.0.1' });
      dir = await mkdtemp(join(tmpdir(), 'fp-metering-cli-'));
    });
    after(async () => {
      await h?.close();
      await rm(dir, { recursive: true, force: true });
    });

    test("API requests count for the calling tenant only; admin requests and other tenants' 404s do not leak", async () => {
      for (let i = 0; i < 3; i++) assert.equal((await h.req('GET', '/v1/tenants/beta', { token: beta })).status, 200);
      assert.equal((await h.req('GET', '/v1/tenants/alpha', { token: beta })).status, 404, 'counted for beta, the caller');
      assert.equal((await h.req('GET', '/v1/tenants/alpha')).status, 200, 'admin: not counted');
      assert.equal((await h.req('GET', '/v1/tenants/beta', { token: 'fp_not-a-token' })).status, 401, 'no principal: not counted');
      await h.app.apiRequestMeter!.flush();
      await h.store.metering.refresh(new Date(), 5 * 60_000);
      const mine = await h.req('GET', '/v1/tenants/beta/usage?dimension=api-requests', { token: betaViewer });
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.items.map((r: { environment: string | null; quantity: number; hour: string }) => [r.environment, r.quantity, r.hour]), [[null, 4, hourOf(new Date()).toISOString()]]);
      const alpha = await h.req('GET', '/v1/tenants/alpha/usage');
      assert.deepEqual(alpha.body.items, [], 'alpha made no request itself');
      assert.equal((await h.req('GET', '/v1/tenants/alpha/usage', { token: betaViewer })).status, 404);
    });

    test('marketplace billing is admin-only, also on the tenant\'s own tenant; bad input names the field', async () => {
      const mapping = { marketplace: 'aws', aws: { productCode: 'p', customerAwsAccountId: '123456789012' }, dimensions: { 'api-requests': { name: 'requests' } }, startHour: '2026-12-01T00:00:00Z' };
      assert.equal((await h.req('PUT', '/v1/tenants/beta/marketplace', { token: beta, body: mapping })).status, 403);
      assert.equal((await h.req('GET', '/v1/tenants/beta/marketplace/exports', { token: beta })).status, 403);
      const badFrom = await h.req('GET', '/v1/tenants/beta/usage?from=yesterday');
      assert.equal(badFrom.status, 400);
      assert.match(JSON.stringify(badFrom.body.errors), /query:\/from|from/);
      const reversed = await h.req('GET', '/v1/tenants/beta/usage/export?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z');
      assert.equal(reversed.status, 400);
      assert.equal(reversed.body.errors[0].field, 'query:/from');
      const hour = await h.req('PUT', '/v1/tenants/beta/marketplace', { body: { ...mapping, startHour: '2026-12-01T00:30:00Z' } });
      assert.equal(hour.status, 400);
      assert.equal(hour.body.errors[0].field, '/startHour');
      assert.equal((await h.req('GET', '/v1/tenants/beta/marketplace')).status, 404, 'nothing stored');
    });

    test('fleetplane metering: usage, export, mapping set/get, exports; one-line errors', async () => {
      const admin = { FLEETPLANE_SERVER: url, FLEETPLANE_TOKEN: h.adminToken };
      const usage = await run(['metering', 'usage', 'beta', '-o', 'json'], admin);
      assert.equal(usage.code, 0, usage.stderr);
      assert.equal(JSON.parse(usage.stdout).items[0].quantity, 4);
      const table = await run(['metering', 'usage', 'beta'], admin);
      assert.match(table.stdout, /^HOUR\s+ENVIRONMENT\s+DIMENSION\s+QUANTITY/m);
      assert.match(table.stdout, /api-requests\s+4\s+request\s+open/);
      const csv = await run(['metering', 'export', 'beta', '--format', 'csv'], admin);
      assert.equal(csv.code, 0, csv.stderr);
      assert.match(csv.stdout, /^tenant,environment,dimension,unit,hour_start/);
      assert.match(csv.stdout, /beta,,api-requests,request,/);
      const file = join(dir, 'mapping.yaml');
      await writeFile(file, 'marketplace: azure\nazure:\n  resourceId: a1b2c3d4-0000-4000-8000-00000000abcd\n  planId: gold\ndimensions:\n  api-requests: { name: requests }\nstartHour: "2026-12-01T00:00:00Z"\n');
      const set = await run(['metering', 'mapping', 'set', 'beta', '-f', file], admin);
      assert.equal(set.code, 0, set.stderr);
      const got = await run(['metering', 'mapping', 'get', 'beta', '-o', 'json'], admin);
      assert.equal(JSON.parse(got.stdout).azure.planId, 'gold');
      const exportsReport = await run(['metering', 'exports', 'beta'], admin);
      assert.equal(exportsReport.code, 0, exportsReport.stderr);
      assert.match(exportsReport.stdout, /nothing exported yet|No resources found/);
      const badFormat = await run(['metering', 'export', 'beta', '--format', 'xml'], admin);
      assert.equal(badFormat.code, 2);
      assert.equal(badFormat.stderr.trim().split('\n').length, 1);
      const asTenant = await run(['metering', 'exports', 'beta'], { FLEETPLANE_SERVER: url, FLEETPLANE_TOKEN: beta });
      assert.equal(asTenant.code, 1);
      assert.match(asTenant.stderr, /admin/);
      const ghost = await run(['metering', 'usage', 'ghost'], admin);
      assert.equal(ghost.code, 1);
      assert.match(ghost.stderr, /tenant "ghost" not found/);
    });
  });
}
