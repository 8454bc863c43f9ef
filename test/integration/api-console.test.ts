// The console's API on the real store (embedded PGlite and PostgreSQL): fleet counts computed in SQL,
// the attention list in words and paged, revisions and diffs, a rollout's matrix with why it halted,
// the change feed (follow=false replay, live SSE over a real socket, Last-Event-ID resume, tenant
// scope), and the static console routes that must not shadow the API's 404/405 answers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SqlStore } from '../../src/adapters/store/index.ts';
import type { Revision } from '../../src/domain/types.ts';
import { ApiClient } from '../../src/cli/client.ts';
import { watchRollout } from '../../src/cli/commands/rollouts.ts';
import { BACKENDS, harness, type Harness } from '../helpers/api-harness.ts';
import { readEvents } from '../helpers/sse.ts';

const spec = (version: string) => ({ metadata: { name: 'app', version } });
const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'acme-prod' }, data });

function revision(id: string, objects: Array<Record<string, unknown>>): Revision {
  return { id, tenant: 'acme', environment: 'prod', blueprint: 'app', version: '1.0.0', helmValues: [], objects: objects.map((o) => ({ object: o as never, hash: createHash('sha256').update(JSON.stringify(o)).digest('hex') })) };
}

for (const backend of BACKENDS) {
  describe(`console API on ${backend}`, () => {
    let h: Harness;
    let consoleDir: string;
    let served: string | null = null;
    const listening = async () => (served ??= await h.app.listen({ port: 0, host: '127.0.0.1' }));
    let rolloutId = '';
    const acme = 'fpt_tenant_acme_console_0123456789';

    before(async () => {
      consoleDir = await mkdtemp(join(tmpdir(), 'fp-console-'));
      await mkdir(join(consoleDir, 'assets'));
      await writeFile(join(consoleDir, 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
      await writeFile(join(consoleDir, 'assets', 'app-1234.js'), 'console.log(1)');
      await writeFile(join(consoleDir, 'secret.txt'), 'not an asset');
      h = await harness(backend, undefined, { consoleDir });
      for (const v of ['1.0.0', '1.1.0']) await h.store.blueprints.publish({ name: 'app', version: v, spec: spec(v), digest: createHash('sha256').update(v).digest('hex') });
      const envs: Array<[string, string, string, string]> = [
        ['acme', 'prod', 'Ready', 'c1'], ['acme', 'staging', 'Failed', 'c1'], ['beta', 'prod', 'Degraded', 'c2'], ['beta', 'dev', 'Ready', 'c2'], ['gamma', 'prod', 'Progressing', 'c1'],
      ];
      for (const slug of ['acme', 'beta', 'gamma']) await h.store.tenants.create({ slug, name: slug, tier: 'shared', channel: 'saas', labels: {} });
      for (const [tenant, name, health, cluster] of envs) {
        const drifted = tenant === 'acme' && name === 'prod';
        await h.store.environments.create({
          tenant, name, type: name === 'dev' ? 'dev' : name === 'staging' ? 'staging' : 'prod', blueprint: 'app', version: '1.0.0', values: {},
          placement: { cluster, namespace: `${tenant}-${name}` }, delivery: 'direct', selfHeal: false, health: health as never,
          conditions: [
            ...(health === 'Degraded' ? [{ type: 'Degraded', status: 'True' as const, reason: 'VerifyFailed', message: 'pod web-1: ImagePullBackOff (image app:bad not found)', lastTransitionTime: '2026-11-30T10:00:00.000Z' }] : []),
            ...(drifted ? [{ type: 'Drifted', status: 'True' as const, reason: 'DriftDetected', message: 'Deployment/web changed (spec.replicas)', lastTransitionTime: '2026-11-30T11:00:00.000Z' }] : []),
          ],
        });
      }
      // acme/staging's last operation failed at its verify step.
      const { operation } = await h.store.operations.create({ kind: 'upgrade', tenant: 'acme', environment: 'staging', params: {}, steps: ['render', 'deliver', 'verify'] });
      const steps = [{ name: 'render', state: 'succeeded', attempts: 1 }, { name: 'deliver', state: 'succeeded', attempts: 1 }, { name: 'verify', state: 'failed', attempts: 3, error: 'Deployment web: 0/2 pods ready (CrashLoopBackOff)' }];
      await (h.store as SqlStore).db.query(`UPDATE operations SET state = 'failed', steps = $2::jsonb, error = 'verify failed', finished_at = now() WHERE id = $1`, [operation.id, JSON.stringify(steps)]);
      await h.store.tokens.create({ name: 'acme-admin', tenant: 'acme', role: 'tenant-admin' }, acme);
    });
    after(async () => {
      await h?.close();
      await rm(consoleDir, { recursive: true, force: true });
    });

    test('summary: counts by health, drifted, release and cluster, for the fleet and for one tenant', async () => {
      const r = await h.req('GET', '/v1/fleet/summary');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.environments, 5);
      assert.equal(r.body.tenants, 3);
      assert.deepEqual(r.body.byHealth, { Ready: 2, Failed: 1, Degraded: 1, Progressing: 1 });
      assert.equal(r.body.drifted, 1);
      assert.deepEqual(r.body.byRelease.map((x: { blueprint: string; version: string; environments: number }) => [x.blueprint, x.version, x.environments]), [['app', '1.0.0', 5]]);
      assert.deepEqual(r.body.byCluster.map((x: { cluster: string; environments: number; drifted: number }) => [x.cluster, x.environments, x.drifted]), [['c1', 3, 1], ['c2', 2, 0]]);
      assert.equal(r.body.operations.failedLastDay, 1);
      const t = await h.req('GET', '/v1/fleet/summary', { token: acme });
      assert.deepEqual(t.body.scope, { kind: 'tenant', tenant: 'acme' });
      assert.equal(t.body.environments, 2);
      assert.deepEqual(t.body.byHealth, { Ready: 1, Failed: 1 });
      assert.equal(t.body.haltedRollouts, undefined);
      assert.ok(!JSON.stringify(t.body).includes('beta'));
    });

    test('attention: Failed, then Degraded, then Drifted, the reason in words, paged', async () => {
      const all = await h.req('GET', '/v1/fleet/attention');
      assert.deepEqual(all.body.items.map((a: { tenant: string; environment: string }) => `${a.tenant}/${a.environment}`), ['acme/staging', 'beta/prod', 'acme/prod']);
      const [failed, degraded, drifted] = all.body.items;
      assert.match(failed.reason, /upgrade failed at step "verify": Deployment web: 0\/2 pods ready \(CrashLoopBackOff\)/);
      assert.equal(failed.failedOperation.step, 'verify');
      assert.match(degraded.reason, /ImagePullBackOff/);
      assert.match(drifted.reason, /Deployment\/web changed \(spec\.replicas\)/);
      const p1 = await h.req('GET', '/v1/fleet/attention?limit=2');
      assert.equal(p1.body.items.length, 2);
      assert.ok(p1.body.next);
      assert.match(String(p1.headers.link), /rel="next"/);
      const p2 = await h.req('GET', `/v1/fleet/attention?limit=2&cursor=${p1.body.next}`);
      assert.deepEqual(p2.body.items.map((a: { environment: string }) => a.environment), ['prod']);
      assert.equal(p2.body.next, undefined);
      const t = await h.req('GET', '/v1/fleet/attention', { token: acme });
      assert.deepEqual(t.body.items.map((a: { tenant: string }) => a.tenant), ['acme', 'acme']);
      assert.equal((await h.req('GET', '/v1/fleet/attention?cursor=bogus')).status, 400);
    });

    test('clusters page: admin only, with capacity and environment counts', async () => {
      await h.req('POST', '/v1/clusters', { body: { name: 'c1', provider: 'local', region: 'r1', apiServer: 'https://127.0.0.1:1', kubernetesVersion: 'v1.32.6' } });
      await h.store.clusters.setCapacity('c1', { cpuMillis: 16000, memoryBytes: 64 * 2 ** 30, gpus: 2, nodes: 8, reservedCpuMillis: 4000, reservedMemoryBytes: 8 * 2 ** 30, observedAt: '2026-11-30T12:00:00.000Z' });
      const r = await h.req('GET', '/v1/fleet/clusters');
      assert.equal(r.status, 200);
      const c1 = r.body.items.find((c: { name: string }) => c.name === 'c1');
      assert.equal(c1.environments, 3);
      assert.equal(c1.capacity.reservedCpuMillis, 4000);
      assert.equal(c1.capacity.gpus, 2);
      assert.equal(c1.kubernetesVersion, 'v1.32.6');
      assert.equal(c1.reachable, null);
      assert.equal((await h.req('GET', '/v1/fleet/clusters', { token: acme })).status, 403);
    });

    test('revisions: list marks applied and last good; get redacts Secret values; diffs between two', async () => {
      const r1 = revision('rev-one', [cm('app', { a: '1' }), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'acme-prod' }, data: { password: 'aHVudGVyMg==' } }]);
      const r2 = revision('rev-two', [cm('app', { a: '2' }), cm('extra', { b: '1' })]);
      await h.store.revisions.save(r1);
      await h.store.revisions.save(r2);
      await h.store.environments.update('acme', 'prod', { appliedRevision: 'rev-two', desiredRevision: 'rev-two', lastGoodRevision: 'rev-one' });
      const list = await h.req('GET', '/v1/environments/acme/prod/revisions', { token: acme });
      assert.equal(list.status, 200);
      const marks = Object.fromEntries(list.body.items.map((x: { id: string; applied: boolean; lastGood: boolean }) => [x.id, [x.applied, x.lastGood]]));
      assert.deepEqual(marks, { 'rev-one': [false, true], 'rev-two': [true, false] });
      const one = await h.req('GET', '/v1/environments/acme/prod/revisions/rev-one', { token: acme });
      assert.equal(one.body.objects.find((o: { object: { kind: string } }) => o.object.kind === 'Secret').object.data.password, '<redacted>');
      assert.ok(!one.raw.toString().includes('aHVudGVyMg=='));
      const d = await h.req('GET', '/v1/environments/acme/prod/diff?from=rev-one&to=rev-two', { token: acme });
      assert.equal(d.status, 200, JSON.stringify(d.body));
      const kinds = Object.fromEntries(d.body.changes.map((c: { ref: { kind: string; name: string }; change: string }) => [`${c.ref.kind}/${c.ref.name}`, c.change]));
      assert.deepEqual(kinds, { 'ConfigMap/app': 'changed', 'Secret/s': 'removed', 'ConfigMap/extra': 'added' });
      const patch = d.body.changes.find((c: { ref: { name: string } }) => c.ref.name === 'app').patch as string;
      assert.match(patch, /^-\s+a: "1"$/m);
      assert.match(patch, /^\+\s+a: "2"$/m);
      assert.ok(!JSON.stringify(d.body).includes('aHVudGVyMg=='));
      assert.equal((await h.req('GET', '/v1/environments/acme/prod/diff?from=rev-one&to=nope', { token: acme })).status, 404);
      // Not placed on a registered cluster with credentials: a live diff says so instead of failing.
      assert.equal((await h.req('GET', '/v1/environments/acme/prod/diff?to=live', { token: acme })).status, 409);
    });

    test('rollout matrix: waves with counts, why halted (PromQL, value, threshold), tenants paged', async () => {
      const body = { blueprint: 'app', version: '1.1.0', selector: { envTypes: ['prod'] }, strategy: { canary: { count: 1 }, waves: [100], gates: { metric: { query: 'max(error_ratio{tenant=~"$tenants"})', op: '<', threshold: 0.05 } } } };
      const created = await h.req('POST', '/v1/rollouts', { body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id as string;
      rolloutId = id;
      const status = { waves: [{ gate: 'failed', gateReason: 'metric gate: 0.07 < 0.05 is false', metric: { value: 0.07, at: '2026-11-30T12:00:00.000Z' } }, { gate: 'pending' }] };
      await (h.store as SqlStore).db.query(`UPDATE rollouts SET state = 'paused', reason = 'metric gate failed', status = $2::jsonb WHERE id = $1`, [id, JSON.stringify(status)]);
      const m = await h.req('GET', `/v1/rollouts/${id}/matrix?limit=1`);
      assert.equal(m.status, 200, JSON.stringify(m.body));
      assert.deepEqual(m.body.waves.map((w: { name: string; total: number }) => [w.name, w.total]), [['canary', 1], ['wave-1', 2]]);
      assert.deepEqual(m.body.whyHalted.metric, { query: body.strategy.gates.metric.query, op: '<', threshold: 0.05, value: 0.07, at: '2026-11-30T12:00:00.000Z' });
      assert.match(m.body.whyHalted.summary, /read 0\.07, needs < 0\.05/);
      assert.equal(m.body.rows.length, 1);
      assert.equal(m.body.rows[0].firstWave, 0);
      const rest = await h.req('GET', `/v1/rollouts/${id}/matrix?limit=10&cursor=${m.body.next}`);
      assert.deepEqual(rest.body.rows.map((r: { tenant: string; firstWave: number }) => [r.tenant, r.firstWave]), [['beta', 1], ['gamma', 1]]);
      assert.equal(rest.body.next, undefined);
      const summary = await h.req('GET', '/v1/fleet/summary');
      assert.equal(summary.body.haltedRollouts[0].id, id);
      assert.equal(summary.body.haltedRollouts[0].whyHalted.metric.value, 0.07);
      assert.equal((await h.req('GET', `/v1/rollouts/${id}/matrix`, { token: acme })).status, 403);
      assert.equal((await h.req('GET', '/v1/rollouts/ro-00000000/matrix')).status, 404);
    });

    test('change feed: replay after an id, scoped to the tenant, and live over SSE with Last-Event-ID resume', async () => {
      const before = await h.req('GET', '/v1/events/stream?follow=false&lastEventId=0');
      const seen = readEvents(before.raw.toString());
      assert.ok(seen.some((e) => e.topic === 'environment' && e.data.tenant === 'beta'), 'admin sees the fleet');
      const last = seen[seen.length - 1]!.seq;
      const scoped = readEvents((await h.req('GET', '/v1/events/stream?follow=false&lastEventId=0', { token: acme })).raw.toString());
      assert.ok(scoped.length > 0);
      assert.ok(scoped.every((e) => e.tenant === 'acme'), 'a tenant sees its own events only');
      assert.ok(scoped.every((e) => e.topic !== 'rollout'));

      const url = await listening();
      const stream = await fetch(`${url}/v1/events/stream?topics=environment`, { headers: { authorization: `Bearer ${acme}`, 'last-event-id': String(last) } });
      assert.equal(stream.status, 200);
      assert.match(String(stream.headers.get('content-type')), /text\/event-stream/);
      await h.store.environments.update('beta', 'prod', { health: 'Ready' });
      await h.store.environments.update('acme', 'prod', { health: 'Degraded' });
      const got = await readUntil(stream, (es) => es.some((e) => e.data.environment === 'prod' && e.data.health === 'Degraded'));
      assert.ok(got.every((e) => e.tenant === 'acme' && e.topic === 'environment'), JSON.stringify(got));
      assert.ok(got.every((e) => e.seq > last));
      const resumeFrom = got[got.length - 1]!.seq;
      await h.store.environments.update('acme', 'prod', { health: 'Ready' });
      const resumed = await fetch(`${url}/v1/events/stream?topics=environment&follow=false`, { headers: { authorization: `Bearer ${acme}`, 'last-event-id': String(resumeFrom) } });
      const after = readEvents(await resumed.text());
      assert.deepEqual(after.map((e) => e.data.health), ['Ready']);
      assert.equal((await fetch(`${url}/v1/events/stream?topics=bogus`, { headers: { authorization: `Bearer ${acme}` } })).status, 400);
      assert.equal((await fetch(`${url}/v1/events/stream`)).status, 401);
    });

    test("the CLI's rollout watch wakes on the stream, not on its poll interval", async () => {
      const url = await listening();
      const client = new ApiClient({ server: url, token: h.adminToken });
      await (h.store as SqlStore).db.query(`UPDATE rollouts SET state = 'running' WHERE id = $1`, [rolloutId]);
      const lines: string[] = [];
      const t0 = Date.now();
      // An hour between polls: only a streamed change can end this watch within the test's timeout.
      const watching = watchRollout(client, rolloutId, { timeoutMs: 3_600_000, intervalMs: 3_600_000, onLine: (l) => lines.push(l) });
      await waitForLine(lines);
      await (h.store as SqlStore).db.query(`UPDATE rollouts SET state = 'paused', reason = 'paused by the test' WHERE id = $1`, [rolloutId]);
      const r = await watching;
      assert.equal(r.state, 'paused');
      assert.ok(Date.now() - t0 < 600_000);
      assert.ok(lines.length >= 2, lines.join('\n'));
    });

    test('console routes serve the app and its assets without shadowing the API', async () => {
      for (const path of ['/', '/tenants/acme/prod', '/rollouts/ro-1']) {
        const r = await h.req('GET', path, { token: null });
        assert.equal(r.status, 200, path);
        assert.match(String(r.headers['content-type']), /text\/html/);
        assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
      }
      const js = await h.req('GET', '/assets/app-1234.js', { token: null });
      assert.equal(js.status, 200);
      assert.match(String(js.headers['cache-control']), /immutable/);
      for (const path of ['/assets/..%2fsecret.txt', '/assets/%2e%2e%2fsecret.txt', '/assets/nope.js']) {
        const r = await h.req('GET', path, { token: null });
        assert.ok(r.status === 404 || r.status === 403, `${path}: ${r.status}`);
        assert.ok(!r.raw.toString().includes('not an asset'), path);
      }
      const api404 = await h.req('GET', '/v1/nothing-here');
      assert.equal(api404.status, 404);
      assert.match(String(api404.headers['content-type']), /problem\+json/);
      assert.equal((await h.req('GET', '/v1/tokens/abc')).status, 405);
      assert.equal((await h.req('GET', '/healthz', { token: null })).body.status, 'ok');
    });
  });
}

async function waitForLine(lines: string[]): Promise<void> {
  for (let i = 0; i < 600 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(lines.length > 0, 'the watch printed its first line');
}

async function readUntil(res: Response, done: (es: ReturnType<typeof readEvents>) => boolean) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const deadline = AbortSignal.timeout(30_000);
  try {
    while (!deadline.aborted) {
      const { value, done: end } = await reader.read();
      if (end) break;
      text += value;
      const es = readEvents(text);
      if (done(es)) return es;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  assert.fail(`stream ended or timed out without the expected event: ${text.slice(0, 1000)}`);
}
