// Nothing is sent twice across a crash, with a real crash: an exporter process sends to AWS (real
// SDK, real HTTP handler) and Azure on a stand-in server on 127.0.0.1 that takes the records and
// holds its answer; the test SIGKILLs the process in between, so the call happened and its outcome
// was never recorded. A new process after the lease resends the identical request: AWS answers
// Success with the same MeteringRecordId, Azure 409 with the accepted event; each record is billed
// once and recorded once as sent. PostgreSQL (two processes share the store).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { harness, type Harness } from '../helpers/api-harness.ts';
import { FakeAwsMetering, FakeAzureMetering, serveFakes } from '../helpers/marketplace-fakes.ts';
import { H, TestClock, closeHours, createTenant, seedHours } from './metering-support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const H0 = Date.parse('2026-11-27T00:00:00Z');

describe('marketplace export across a SIGKILL between the call and its record (postgres)', () => {
  let h: Harness;
  const clock = new TestClock(H0 + 2 * H + 10 * 60_000);
  const aws = new FakeAwsMetering(clock.now);
  const azure = new FakeAzureMetering(clock.now);
  let holdOn: string | null = null;
  let received: () => void = () => undefined;
  let server: Awaited<ReturnType<typeof serveFakes>>;

  before(async () => {
    h = await harness('postgres');
    server = await serveFakes(aws, azure, async (path) => {
      if (holdOn === null || !path.startsWith(holdOn)) return;
      holdOn = null;
      received();
      await new Promise(() => undefined); // never answers: the client dies waiting
    });
    for (const t of ['a-aws', 'b-azure']) {
      await createTenant(h, t);
      await seedHours(h, t, H0, 2);
    }
    await closeHours(h, clock.now());
    const start = new Date(H0).toISOString();
    assert.equal((await h.req('PUT', '/v1/tenants/a-aws/marketplace', { body: { marketplace: 'aws', aws: { productCode: 'prod-1', customerAwsAccountId: '555555555555' }, dimensions: { 'cpu-core-hours': { name: 'cpu', scale: 1000 }, 'api-requests': { name: 'requests' } }, startHour: start } })).status, 200);
    assert.equal((await h.req('PUT', '/v1/tenants/b-azure/marketplace', { body: { marketplace: 'azure', azure: { resourceId: 'a1b2c3d4-0000-4000-8000-00000000abcd', planId: 'gold' }, dimensions: { 'api-requests': { name: 'requests' } }, startHour: new Date(H0 + H).toISOString() } })).status, 200);
  });
  after(async () => {
    await server?.close();
    await h?.close();
  });

  const child = (owner: string) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/integration/metering-export-child.ts'), h.handle.databaseUrl!, h.handle.dataDir, server.url, String(clock.ms), owner], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    const exit = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    return { p, exit, out: () => out };
  };
  const rows = async (tenant: string) => (await h.store.meteringExports.list({ tenant, limit: 100 })).items;

  async function killDuringCall(path: string): Promise<void> {
    const got = new Promise<void>((r) => { received = r; });
    holdOn = path;
    const c = child(`dies-${path}`);
    await got;
    c.p.kill('SIGKILL');
    assert.equal(await c.exit, null, 'killed by the signal');
  }

  test('AWS: the resent BatchMeterUsage is identical and each record is billed and recorded once', async () => {
    await killDuringCall('/');
    const leased = (await rows('a-aws')).filter((r) => r.state === 'sending');
    assert.equal(leased.length, 4, '2 hours x 2 dimensions taken by the killed process');
    assert.equal(aws.billed.size, 4, 'AWS took the call');
    clock.advance(2 * 60_000 + 1000);
    const c = child('survivor');
    assert.equal(await c.exit, 0);
    assert.equal(JSON.parse(c.out()).sent >= 4, true);
    assert.equal(aws.calls.length, 2);
    assert.deepEqual(aws.calls[1]!.body, aws.calls[0]!.body, 'the same records, quantities and timestamps');
    assert.equal(aws.billed.size, 4, 'billed once');
    const sent = (await rows('a-aws')).filter((r) => r.state === 'sent');
    assert.deepEqual(sent.map((r) => r.requestId).sort(), [...aws.billed.values()].map((v) => v.id).sort());
  });

  test('Azure: the resend meets 409 with the accepted event and is recorded once as sent', async () => {
    // b-azure's row was sent by the survivor above; a new hour gives the next one.
    await seedHours(h, 'b-azure', H0 + 2 * H, 1);
    clock.set(H0 + 3 * H + 10 * 60_000);
    await closeHours(h, clock.now());
    const before = azure.accepted.size;
    await killDuringCall('/azure/');
    assert.equal(azure.accepted.size, before + 1);
    clock.advance(2 * 60_000 + 1000);
    const c = child('survivor-2');
    assert.equal(await c.exit, 0);
    const last = azure.calls.slice(-2);
    assert.deepEqual(last[1]!.body, last[0]!.body);
    assert.equal(azure.accepted.size, before + 1, 'billed once');
    const row = (await rows('b-azure')).find((r) => r.hour === new Date(H0 + 2 * H).toISOString())!;
    assert.equal(row.state, 'sent');
    assert.match(row.reason ?? '', /409 Conflict: already accepted/);
    assert.equal((await rows('b-azure')).filter((r) => r.state === 'sent').length, 2);
  });
});
