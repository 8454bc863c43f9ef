// Marketplace export to AWS through the real AWS SDK v3 client (its serialiser and SigV4 signer
// produce the bytes; only its requestHandler is replaced by a stand-in for the service), on both
// store backends: batches of at most 25 in time order, records later than the allowed delay refused
// and never sent, a throttled call retried with stored backoff, a refused record reported (API), a
// crash between the call and recording it resends the identical call and records it once, late data
// carried into the next hour's record. Also the mapping's validation and the neutral exports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudEvent } from 'cloudevents';
import { BACKENDS, harness, type Harness } from '../helpers/api-harness.ts';
import { FakeAwsMetering } from '../helpers/marketplace-fakes.ts';
import { awsMeteringTransport } from '../../src/adapters/marketplace/aws.ts';
import { ALL_DIMENSIONS_MAPPED, Crash, GRACE, H, TestClock, closeHours, createTenant, exporter, seedHours } from './metering-support.ts';

const H0 = Date.parse('2026-11-29T00:00:00Z');
const awsMapping = (account: string) => ({ marketplace: 'aws', aws: { productCode: 'prod-abc123', customerAwsAccountId: account }, dimensions: ALL_DIMENSIONS_MAPPED, startHour: new Date(H0).toISOString() });

for (const backend of BACKENDS) {
  describe(`marketplace export: AWS BatchMeterUsage (${backend})`, () => {
    let h: Harness;
    const clock = new TestClock(H0 + 12 * H + 10 * 60_000);
    const fake = new FakeAwsMetering(clock.now);
    const transport = awsMeteringTransport({ client: { credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' }, requestHandler: fake.requestHandler() } });
    const rows = async (tenant: string) => (await h.store.meteringExports.list({ tenant, limit: 500 })).items;

    before(async () => {
      h = await harness(backend);
      for (const t of ['aws-late', 'aws-big', 'aws-retry', 'aws-poor', 'aws-crash']) {
        await createTenant(h, t);
        await seedHours(h, t, H0, 12);
      }
      await closeHours(h, clock.now());
    });
    after(async () => h?.close());

    test('a mapping is validated: one customer identifier, productCode rules, known dimensions; admin only', async () => {
      const two = await h.req('PUT', '/v1/tenants/aws-late/marketplace', { body: { ...awsMapping('123456789012'), aws: { productCode: 'p', customerAwsAccountId: '123456789012', customerIdentifier: 'cust' } } });
      assert.equal(two.status, 400);
      assert.deepEqual(two.body.errors.map((e: { field: string }) => e.field), ['/aws']);
      const both = await h.req('PUT', '/v1/tenants/aws-late/marketplace', { body: { ...awsMapping('123456789012'), aws: { productCode: 'p', customerAwsAccountId: '123456789012', licenseArn: 'arn:aws:license-manager::1:license:l-1' } } });
      assert.equal(both.status, 400);
      assert.equal(both.body.errors[0].field, '/aws/productCode');
      const dim = await h.req('PUT', '/v1/tenants/aws-late/marketplace', { body: { ...awsMapping('123456789012'), dimensions: { 'disk-hours': { name: 'disk' } } } });
      assert.equal(dim.status, 400);
      assert.match(JSON.stringify(dim.body.errors), /disk-hours/);
      assert.equal((await h.req('GET', '/v1/tenants/aws-late/marketplace')).status, 404, 'nothing was stored by a refused PUT');
      assert.equal((await h.req('PUT', '/v1/tenants/nobody/marketplace', { body: awsMapping('123456789012') })).status, 404);
    });

    test('records later than 6 h are refused as expired and never sent; the rest go in one call', async () => {
      assert.equal((await h.req('PUT', '/v1/tenants/aws-late/marketplace', { body: awsMapping('111111111111') })).status, 200);
      const pass = await exporter(h, clock, { aws: transport }).runOnce();
      assert.equal(pass.planned.usage, 60, '12 hours x 5 dimensions');
      const mine = await rows('aws-late');
      const by = (s: string) => mine.filter((r) => r.state === s);
      // gpu-hours is 0: nothing to bill. Hours 0-6 began more than 6 h before 12:10.
      assert.equal(by('skipped').length, 12);
      assert.equal(by('refused').length, 28);
      assert.ok(by('refused').every((r) => /^expired: more than 6 h/.test(r.reason ?? '') && r.requestId === null));
      assert.equal(by('sent').length, 20);
      assert.equal(fake.calls.length, 1);
      const sentTimes = fake.calls[0]!.body.UsageRecords.map((r) => Number(r.Timestamp) * 1000);
      assert.ok(sentTimes.every((t) => t >= clock.ms - 6 * H), 'no record older than the allowed delay reached AWS');
    });

    test('the SDK serialises BatchMeterUsage: signed awsJson1_1, ProductCode, records in time order, <= 25 a call', async (t) => {
      assert.equal((await h.req('PUT', '/v1/tenants/aws-big/marketplace', { body: awsMapping('222222222222') })).status, 200);
      fake.calls.length = 0;
      // BatchMeterUsage's current model allows 24 h: with that limit on both sides every hour goes.
      fake.maxDelayMs = 24 * H;
      t.after(() => { fake.maxDelayMs = 6 * H; });
      const wide = { aws: { batch: 25, maxDelayMs: 24 * H } };
      const pass = await exporter(h, clock, { aws: transport }, { config: { limits: { ...(await import('../../src/metering/export/config.ts')).DEFAULT_EXPORT_CONFIG.limits, ...wide } } }).runOnce();
      assert.equal(pass.sent, 48);
      assert.deepEqual(fake.calls.map((c) => c.body.UsageRecords.length), [25, 23]);
      const c0 = fake.calls[0]!;
      assert.equal(c0.headers['x-amz-target'], 'AWSMPMeteringService.BatchMeterUsage');
      assert.equal(c0.headers['content-type'], 'application/x-amz-json-1.1');
      assert.match(c0.headers.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/aws-marketplace\/aws4_request/);
      assert.equal(c0.body.ProductCode, 'prod-abc123');
      assert.deepEqual(c0.body.UsageRecords.find((r) => r.Dimension === 'environments'), { Timestamp: H0 / 1000, Dimension: 'environments', Quantity: 1, CustomerAWSAccountId: '222222222222' });
      const cpu = c0.body.UsageRecords.find((r) => r.Dimension === 'cpu');
      assert.deepEqual(cpu, { Timestamp: H0 / 1000, Dimension: 'cpu', Quantity: 1500, CustomerAWSAccountId: '222222222222' }, '1.5 core-hours x scale 1000');
      const times = fake.calls.flatMap((c) => c.body.UsageRecords.map((r) => Number(r.Timestamp)));
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'ordered by time within and across calls');
      const sent = (await rows('aws-big')).filter((r) => r.state === 'sent');
      assert.equal(new Set(sent.map((r) => r.requestId)).size, 48, 'each record has its MeteringRecordId');
    });

    test('a throttled call is retried with stored backoff; a refused record is reported', async () => {
      await h.req('PUT', '/v1/tenants/aws-retry/marketplace', { body: { ...awsMapping('333333333333'), dimensions: { 'api-requests': { name: 'requests' } } } });
      await h.req('PUT', '/v1/tenants/aws-poor/marketplace', { body: { ...awsMapping('000000000000'), dimensions: { 'api-requests': { name: 'requests' } } } });
      fake.notSubscribed.add('000000000000');
      fake.calls.length = 0;
      fake.throttle.set('333333333333', 1);
      const first = await exporter(h, clock, { aws: transport }).runOnce();
      const retry = (await rows('aws-retry')).filter((r) => r.state === 'pending');
      const poor = (await rows('aws-poor')).filter((r) => r.state === 'refused' && /CustomerNotSubscribed/.test(r.reason ?? ''));
      assert.deepEqual([first.retrying, first.refused, first.sent], [5, 7 + 5 + 7, 0], 'a throttled call (5 rows); 5 unsubscribed; 7 expired rows each');
      assert.equal(retry.length, 5);
      assert.ok(retry.every((r) => /ThrottlingException/.test(r.reason ?? '') && r.attempts === 1 && Date.parse(r.nextAttemptAt) === clock.ms + 30_000));
      assert.equal(poor.length, 5);
      assert.equal((await exporter(h, clock, { aws: transport }).runOnce()).sent, 0, 'not due yet');
      clock.advance(31_000);
      assert.equal((await exporter(h, clock, { aws: transport }).runOnce()).sent, 5);
      const report = await h.req('GET', '/v1/tenants/aws-poor/marketplace/exports?state=refused');
      assert.equal(report.status, 200);
      assert.equal(report.body.items.filter((r: { reason: string }) => /CustomerNotSubscribed/.test(r.reason)).length, 5);
      assert.equal(report.body.summary.refused, 12, '5 unsubscribed + 7 expired');
      const ok = await h.req('GET', '/v1/tenants/aws-retry/marketplace/exports?state=sent');
      assert.equal(ok.body.items.length, 5);
      assert.ok(ok.body.items.every((r: { requestId: string; attempts: number }) => r.requestId.startsWith('mrid-') && r.attempts === 2));
    });

    test('a crash between the call and recording it: the identical call is resent, billed once and recorded once', async () => {
      await h.req('PUT', '/v1/tenants/aws-crash/marketplace', { body: { ...awsMapping('444444444444'), dimensions: { 'cpu-core-hours': { name: 'cpu', scale: 1000 } } } });
      fake.calls.length = 0;
      const billedBefore = fake.billed.size;
      const crashing = exporter(h, clock, { aws: transport }, { owner: 'dies', afterSend: () => { throw new Crash('killed after the call'); } });
      await assert.rejects(crashing.runOnce(), Crash);
      const inFlight = await rows('aws-crash');
      // 5 sent, 7 decided expired: none of it recorded, all left leased; the 5 sent carry their payload, written ahead.
      assert.equal(inFlight.filter((r) => r.state === 'sending').length, 12);
      assert.equal(inFlight.filter((r) => r.state === 'sending' && r.payload !== null).length, 5);
      assert.equal(fake.billed.size, billedBefore + 5);
      const other = exporter(h, clock, { aws: transport }, { owner: 'survivor' });
      assert.equal((await other.runOnce()).calls, 0, 'the lease still holds');
      clock.advance(2 * 60_000 + 1000);
      const pass = await other.runOnce();
      assert.equal(pass.sent, 5);
      assert.equal(fake.calls.length, 2);
      assert.deepEqual(fake.calls[1]!.body, fake.calls[0]!.body, 'the retry is byte-for-byte the same request body');
      assert.equal(fake.billed.size, billedBefore + 5, 'AWS billed each record once');
      const done = (await rows('aws-crash')).filter((r) => r.dimension === 'cpu-core-hours' && r.state === 'sent');
      assert.equal(done.length, 5);
      const ids = [...fake.billed.entries()].filter(([k]) => k.startsWith('444444444444|cpu|')).map(([, v]) => v.id).sort();
      assert.deepEqual(done.map((r) => r.requestId).sort(), ids);
    });

    test('late data on a reported hour is carried into the next hour\'s record (AWS has one record per hour)', async () => {
      const { metering } = h.store;
      // A staging environment whose 10:00 samples arrive only now: +0.6 core-hours on a closed, reported hour.
      await metering.recordSamples(Array.from({ length: 6 }, (_, k) => ({
        tenant: 'aws-crash', environment: 'staging', at: new Date(H0 + 10 * H + k * 600_000), seconds: 600, cluster: 'c1', namespace: 'aws-crash-staging', pods: 1, cpuMillis: 600, memoryBytes: 2 ** 30, gpus: 0,
      })), 'late', clock.now());
      const r = await metering.refresh(clock.now(), GRACE);
      assert.deepEqual(r.corrections.filter((c) => c.dimension === 'cpu-core-hours').map((c) => [c.environment, c.delta, c.version]), [['staging', 0.6, 1]]);
      await exporter(h, clock, { aws: transport }).runOnce();
      const carried = (await rows('aws-crash')).filter((x) => x.source === 'correction');
      assert.deepEqual(carried.map((x) => [x.state, x.quantity]), [['carried', 600]]);
      await seedHours(h, 'aws-crash', H0 + 12 * H, 1);
      clock.set(H0 + 13 * H + 10 * 60_000);
      await closeHours(h, clock.now());
      fake.calls.length = 0;
      await exporter(h, clock, { aws: transport }).runOnce();
      const next = (await rows('aws-crash')).find((x) => x.source === 'usage' && x.hour === new Date(H0 + 12 * H).toISOString() && x.dimension === 'cpu-core-hours')!;
      assert.deepEqual([next.state, next.quantity], ['sent', 2100], '1500 for the hour + 600 carried');
      assert.equal((await rows('aws-crash')).find((x) => x.source === 'correction')!.mergedInto, next.id);
      assert.equal(fake.billed.get(`444444444444|cpu|${(H0 + 12 * H) / H}`)?.quantity, 2100);
    });

    test('neutral exports: CSV and JSON rows, OpenMeter CloudEvents whose quantities sum to the records', async () => {
      const range = `from=${new Date(H0).toISOString()}&to=${new Date(H0 + 13 * H).toISOString()}`;
      const json = await h.req('GET', `/v1/tenants/aws-crash/usage/export?format=json&${range}`);
      assert.equal(json.status, 200);
      const records = json.body.records as Array<{ environment: string | null; dimension: string; hour: string; quantity: number; version: number }>;
      assert.equal(records.length, 13 * 5 + 4, 'prod 4 dims + api per hour, staging 4 dims at 10:00');
      const csv = await h.req('GET', `/v1/tenants/aws-crash/usage/export?format=csv&${range}`);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      const lines = csv.raw.toString('utf8').trim().split('\r\n');
      assert.equal(lines[0], 'tenant,environment,dimension,unit,hour_start,hour_end,quantity,state,version,samples,finalized_at');
      assert.equal(lines.length, records.length + 1);
      const ce = await h.req('GET', `/v1/tenants/aws-crash/usage/export?format=cloudevents&${range}`);
      assert.match(String(ce.headers['content-type']), /^application\/cloudevents-batch\+json/);
      const events = ce.body as Array<Record<string, unknown> & { data: { environment: string | null; dimension: string; hourStart: string; quantity: number; kind: string } }>;
      for (const e of events) {
        assert.ok(new CloudEvent(e as never, true).validate(), 'a valid CloudEvent per the CNCF SDK');
        assert.equal(e.specversion, '1.0');
        assert.equal(e.subject, 'aws-crash', 'OpenMeter subject = the customer');
        assert.equal(e.time, e.data.hourStart);
      }
      assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'ids are unique (OpenMeter dedupes by source + id)');
      const sums = new Map<string, number>();
      for (const e of events) {
        const k = `${e.data.environment}|${e.data.dimension}|${e.data.hourStart}`;
        sums.set(k, Number(((sums.get(k) ?? 0) + e.data.quantity).toFixed(6)));
      }
      for (const r of records) assert.equal(sums.get(`${r.environment}|${r.dimension}|${r.hour}`) ?? 0, r.quantity, `${r.environment}/${r.dimension}@${r.hour}`);
      assert.ok(events.some((e) => e.data.kind === 'correction' && e.data.environment === 'staging'));
      const bad = await h.req('GET', `/v1/tenants/aws-crash/usage/export?format=xml`);
      assert.equal(bad.status, 400);
    });
  });
}
