// Marketplace export to Azure (REST: every body validated against the published usage event schema)
// and Google Cloud Service Control (the googleapis client serialises services.report; only its gaxios
// adapter is replaced), on both store backends: one event per resource x dimension x hour, batches of
// at most 25, 24 h lateness, a 503 retried, a crash between the call and recording it made harmless
// by Azure's 409 / Duplicate and by Google's operationId, refused operations reported.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auth as googleAuth } from '@googleapis/servicecontrol';
import { BACKENDS, harness, type Harness } from '../helpers/api-harness.ts';
import { FakeAzureMetering, FakeServiceControl } from '../helpers/marketplace-fakes.ts';
import { azureMeteringTransport } from '../../src/adapters/marketplace/azure.ts';
import { gcpServiceControlTransport } from '../../src/adapters/marketplace/gcp.ts';
import { ALL_DIMENSIONS_MAPPED, Crash, H, TestClock, closeHours, createTenant, exporter, seedHours } from './metering-support.ts';

const H0 = Date.parse('2026-11-28T00:00:00Z');
const SUB = 'a1b2c3d4-0000-4000-8000-00000000abcd';

for (const backend of BACKENDS) {
  describe(`marketplace export: Azure usage events and Google services.report (${backend})`, () => {
    let h: Harness;
    const clock = new TestClock(H0 + 30 * H + 10 * 60_000);
    const azureFake = new FakeAzureMetering(clock.now);
    const azure = azureMeteringTransport({ token: async () => 'test-token', fetch: azureFake.fetch() });
    const gcpFake = new FakeServiceControl();
    const oauth = new googleAuth.OAuth2();
    oauth.setCredentials({ access_token: 'ya29.test', expiry_date: Date.now() + 3_600_000 });
    const gcp = gcpServiceControlTransport({ auth: oauth, request: { adapter: gcpFake.adapter() as never } });
    const rows = async (tenant: string) => (await h.store.meteringExports.list({ tenant, limit: 500 })).items;

    before(async () => {
      h = await harness(backend);
      for (const t of ['az-co', 'az-one', 'gcp-co', 'gcp-bad']) {
        await createTenant(h, t);
        await seedHours(h, t, H0, 30);
      }
      await closeHours(h, clock.now());
    });
    after(async () => h?.close());

    test('Azure: documented event shape, <= 25 a batch, events older than 24 h refused unsent, a 503 retried', async () => {
      const bad = await h.req('PUT', '/v1/tenants/az-co/marketplace', { body: { marketplace: 'azure', azure: { resourceId: SUB, resourceUri: '/subscriptions/x', planId: 'gold' }, dimensions: ALL_DIMENSIONS_MAPPED, startHour: new Date(H0).toISOString() } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].field, '/azure');
      const put = await h.req('PUT', '/v1/tenants/az-co/marketplace', { body: { marketplace: 'azure', azure: { resourceId: SUB, planId: 'gold' }, dimensions: ALL_DIMENSIONS_MAPPED, startHour: new Date(H0).toISOString() } });
      assert.equal(put.status, 200);
      azureFake.failNext = 1;
      const first = await exporter(h, clock, { azure }).runOnce();
      // Hours 0-6 began more than 24 h before 30:10; 23 hours x 4 billable dimensions remain.
      // Claims take the oldest rows: 25 expired, then 3 expired + 22 sent in the call that met the 503, then 70 more.
      assert.deepEqual([first.refused, first.retrying, first.sent], [7 * 4, 22, 70], 'the first call met a 503, the others went');
      assert.equal((await rows('az-co')).filter((r) => r.state === 'refused' && /^expired: more than 24 h/.test(r.reason ?? '')).length, 28);
      clock.advance(31_000);
      const second = await exporter(h, clock, { azure }).runOnce();
      assert.equal(second.sent, 22);
      const batches = azureFake.calls.filter((c) => c.path === '/api/batchUsageEvent');
      assert.deepEqual(batches.map((c) => (c.body as { request: unknown[] }).request.length), [22, 25, 25, 20, 22], 'the 503 batch is tried again later');
      assert.deepEqual(batches[4]!.body, batches[0]!.body, 'with the same events');
      const oldest = Math.min(...batches.flatMap((c) => (c.body as { request: Array<{ effectiveStartTime: string }> }).request.map((e) => Date.parse(e.effectiveStartTime))));
      assert.ok(oldest >= clock.ms - 31_000 - 24 * H, 'nothing older than 24 h was sent');
      const ev = (batches[1]!.body as { request: Array<Record<string, unknown>> }).request.find((e) => e.dimension === 'cpu')!;
      assert.deepEqual(Object.keys(ev).sort(), ['dimension', 'effectiveStartTime', 'planId', 'quantity', 'resourceId']);
      assert.equal(ev.quantity, 1.5 * 1000);
      assert.equal(ev.resourceId, SUB);
      assert.equal(ev.effectiveStartTime, new Date(Date.parse(String(ev.effectiveStartTime))).toISOString());
      assert.equal(batches[0]!.headers.authorization, 'Bearer test-token');
      assert.match(batches[0]!.headers['x-ms-requestid'] ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(azureFake.accepted.size, 92, 'one event per resource x dimension x hour');
      const sent = (await rows('az-co')).filter((r) => r.state === 'sent');
      assert.ok(sent.every((r) => /^00000000-0000-4000-8000-/.test(r.requestId ?? '')), 'usageEventId recorded');
    });

    test('Azure: a crash after the call; the resend meets 409 / Duplicate and is recorded once as sent', async () => {
      await h.req('PUT', '/v1/tenants/az-one/marketplace', { body: { marketplace: 'azure', azure: { resourceUri: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Solutions/applications/app1', planId: 'gold' }, dimensions: { 'api-requests': { name: 'requests' } }, startHour: new Date(H0 + 29 * H).toISOString() } });
      const before = azureFake.accepted.size;
      azureFake.calls.length = 0;
      await assert.rejects(exporter(h, clock, { azure }, { owner: 'dies', afterSend: () => { throw new Crash('after the call'); } }).runOnce(), Crash);
      assert.equal(azureFake.accepted.size, before + 1, 'Azure accepted the single event');
      assert.equal(azureFake.calls[0]!.path, '/api/usageEvent', 'one event: the single usage event API');
      clock.advance(2 * 60_000 + 1000);
      const pass = await exporter(h, clock, { azure }, { owner: 'survivor' }).runOnce();
      assert.equal(pass.sent, 1);
      const retry = azureFake.calls[1]!;
      assert.deepEqual(retry.body, azureFake.calls[0]!.body, 'the identical event');
      const [row] = (await rows('az-one')).filter((r) => r.dimension === 'api-requests');
      assert.equal(row!.state, 'sent');
      assert.match(row!.reason ?? '', /409 Conflict: already accepted/);
      assert.equal(row!.requestId, [...azureFake.accepted.values()].at(-1)!.usageEventId, 'the accepted event id from the 409 answer');
      assert.equal(azureFake.accepted.size, before + 1, 'billed once');
    });

    test('Google: services.report body from the googleapis client, operationId stable across a crash, refused operations reported', async () => {
      const put = await h.req('PUT', '/v1/tenants/gcp-co/marketplace', { body: { marketplace: 'gcp', gcp: { serviceName: 'fleetplane.gcpmarketplace.example.com', consumerId: 'project:acme-prod' }, dimensions: { 'cpu-core-hours': { name: 'cpu_milli_core_hours', scale: 1000 }, 'api-requests': { name: 'requests' } }, startHour: new Date(H0 + 28 * H).toISOString() } });
      assert.equal(put.status, 200);
      await h.req('PUT', '/v1/tenants/gcp-bad/marketplace', { body: { marketplace: 'gcp', gcp: { serviceName: 'fleetplane.gcpmarketplace.example.com', consumerId: 'project:revoked' }, dimensions: { 'api-requests': { name: 'requests' } }, startHour: new Date(H0 + 29 * H).toISOString() } });
      gcpFake.invalidConsumers.add('project:revoked');
      const crashOnAcme = (_m: unknown, batch: Array<{ tenant: string }>) => { if (batch[0]?.tenant === 'gcp-co') throw new Crash('after the call'); };
      await assert.rejects(exporter(h, clock, { gcp }, { owner: 'dies', afterSend: crashOnAcme }).runOnce(), Crash);
      const first = gcpFake.calls.find((c) => c.body.operations.some((o) => o.consumerId === 'project:acme-prod'))!;
      assert.equal(first.method, 'POST');
      assert.equal(first.url, 'https://servicecontrol.googleapis.com/v1/services/fleetplane.gcpmarketplace.example.com:report');
      assert.equal(first.headers.authorization, 'Bearer ya29.test');
      const op = first.body.operations.find((o) => (o.metricValueSets as Array<{ metricName: string }>)[0]!.metricName.endsWith('/cpu_milli_core_hours'))!;
      assert.deepEqual(Object.keys(op).sort(), ['consumerId', 'endTime', 'metricValueSets', 'operationId', 'operationName', 'startTime']);
      assert.equal(op.consumerId, 'project:acme-prod');
      assert.equal(Date.parse(String(op.endTime)) - Date.parse(String(op.startTime)), H);
      assert.deepEqual(op.metricValueSets, [{ metricName: 'fleetplane.gcpmarketplace.example.com/cpu_milli_core_hours', metricValues: [{ int64Value: '1500' }] }]);
      assert.match(String(op.operationId), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUID v5');
      const reported = gcpFake.reported.size;
      clock.advance(2 * 60_000 + 1000);
      const pass = await exporter(h, clock, { gcp }, { owner: 'survivor' }).runOnce();
      assert.equal(pass.sent, 4, 'gcp-co: 2 hours x 2 metrics');
      const ids = (c: { body: { operations: Array<Record<string, unknown>> } }) => c.body.operations.map((o) => o.operationId).sort();
      const resent = gcpFake.calls.filter((c) => c.body.operations.some((o) => o.consumerId === 'project:acme-prod'));
      assert.deepEqual(ids(resent[1]!), ids(resent[0]!), 'the same operationIds: Service Control deduplicates them');
      assert.equal(gcpFake.reported.size, reported, 'nothing reported twice');
      const refused = (await h.req('GET', '/v1/tenants/gcp-bad/marketplace/exports?state=refused')).body.items;
      assert.equal(refused.length, 1);
      assert.match(refused[0].reason, /^Service Control 7: Permission denied/);
      const sent = (await rows('gcp-co')).filter((r) => r.state === 'sent');
      assert.ok(sent.every((r) => r.requestId === (r.payload as { operationId: string }).operationId));
    });
  });
}
