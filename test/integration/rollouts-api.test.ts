// The rollouts HTTP API on the real store (embedded and PostgreSQL): admin only, problem+json for bad
// input, Idempotency-Key replays, per-wave progress in GET, pause/resume/abort with 409 on illegal moves.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { harness, type Harness } from '../helpers/api-harness.ts';

const spec = (version: string) => ({ metadata: { name: 'app', version } });

for (const backend of ['embedded', 'postgres'] as const) {
  describe(`rollouts API on ${backend}`, () => {
    let h: Harness;
    const tenantToken = 'fpt_tenant_acme_0123456789abcdef';

    before(async () => {
      h = await harness(backend);
      for (const v of ['1.0.0', '1.1.0']) await h.store.blueprints.publish({ name: 'app', version: v, spec: spec(v), digest: createHash('sha256').update(v).digest('hex') });
      for (const slug of ['acme', 'beta', 'gamma']) {
        await h.store.tenants.create({ slug, name: slug, tier: 'shared', channel: 'saas', labels: slug === 'acme' ? { internal: 'true' } : {} });
        await h.store.environments.create({
          tenant: slug, name: 'prod', type: 'prod', blueprint: 'app', version: '1.0.0', values: {}, placement: { cluster: 'c1', namespace: `${slug}-prod` },
          delivery: 'direct', selfHeal: false, health: 'Ready', conditions: [],
        });
      }
      await h.store.tokens.create({ name: 'acme-admin', tenant: 'acme', role: 'tenant-admin' }, tenantToken);
    });
    after(async () => { await h?.close(); });

    const body = { blueprint: 'app', version: '1.1.0', strategy: { canary: { count: 1 }, waves: [100] } };
    let id = '';

    test('POST creates a planned rollout (201, Location); the same Idempotency-Key replays it (201, Idempotent-Replayed)', async () => {
      const r = await h.req('POST', '/v1/rollouts', { body, headers: { 'idempotency-key': 'r-1' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      id = r.body.id;
      assert.equal(r.headers.location, `/v1/rollouts/${id}`);
      assert.equal(r.body.state, 'pending');
      assert.deepEqual(r.body.waves.map((w: { name: string; targets: Array<{ tenant: string }> }) => [w.name, w.targets.map((t) => t.tenant)]), [['canary', ['acme']], ['wave-1', ['beta', 'gamma']]]);
      assert.deepEqual(r.body.waves[1].counts, { pending: 2, running: 0, succeeded: 0, failed: 0, cancelled: 0, skipped: 0 });
      const again = await h.req('POST', '/v1/rollouts', { body, headers: { 'idempotency-key': 'r-1' } });
      assert.deepEqual([again.status, again.body.id, again.headers['idempotent-replayed'], again.headers.location], [201, id, 'true', `/v1/rollouts/${id}`]);
      assert.equal(r.headers['idempotent-replayed'], undefined, 'the first answer is not a replay');
      const other = await h.req('POST', '/v1/rollouts', { body: { ...body, version: '1.0.0' }, headers: { 'idempotency-key': 'r-1' } });
      assert.equal(other.status, 422);
      assert.match(other.body.type, /idempotency-key-reused$/);
    });

    test('bad input is a problem+json naming the field', async () => {
      const cases: Array<[unknown, number, string]> = [
        [{ ...body, version: '9.9.9' }, 400, '/version'],
        [{ ...body, strategy: { waves: [50, 20] } }, 400, '/strategy/waves'],
        [{ ...body, strategy: { canary: { count: 1, percent: 5 } } }, 400, '/strategy/canary'],
        [{ ...body, strategy: { bogus: 1 } }, 400, '/strategy'],
        [{ blueprint: 'app' }, 400, ''],
      ];
      for (const [b, status, field] of cases) {
        const r = await h.req('POST', '/v1/rollouts', { body: b });
        assert.equal(r.status, status, JSON.stringify(r.body));
        assert.match(String(r.headers['content-type']), /application\/problem\+json/);
        if (field) assert.ok(r.body.errors.some((e: { field: string }) => e.field.startsWith(field)), `${field} in ${JSON.stringify(r.body.errors)}`);
      }
    });

    test('admin only: tenant tokens get 403, no token 401', async () => {
      for (const [method, url] of [['GET', '/v1/rollouts'], ['GET', `/v1/rollouts/${id}`], ['POST', `/v1/rollouts/${id}:pause`]] as const) {
        assert.equal((await h.req(method, url, { token: tenantToken })).status, 403);
        assert.equal((await h.req(method, url, { token: null })).status, 401);
      }
      assert.equal((await h.req('POST', '/v1/rollouts', { body, token: tenantToken })).status, 403);
    });

    test('GET one and the list; unknown ids are 404', async () => {
      const one = await h.req('GET', `/v1/rollouts/${id}`);
      assert.deepEqual([one.status, one.body.id, one.body.totals.total], [200, id, 3]);
      const list = await h.req('GET', '/v1/rollouts?limit=10');
      assert.equal(list.status, 200);
      assert.ok(list.body.items.some((r: { id: string }) => r.id === id));
      assert.equal((await h.req('GET', '/v1/rollouts/ro-0000')).status, 404);
      assert.equal((await h.req('POST', '/v1/rollouts/ro-0000:pause')).status, 404);
      assert.equal((await h.req('GET', '/v1/rollouts/not-an-id')).status, 400);
    });

    test('the list pages newest first with the opaque cursor; a forged cursor is a 400 naming it', async () => {
      const second = await h.req('POST', '/v1/rollouts', { body });
      assert.equal(second.status, 201, JSON.stringify(second.body));
      const page1 = await h.req('GET', '/v1/rollouts?limit=1');
      assert.deepEqual([page1.status, page1.body.items.map((r: { id: string }) => r.id)], [200, [second.body.id]]);
      assert.ok(page1.body.next && !/^\d+$/.test(page1.body.next), `an opaque cursor, not a raw seq: ${page1.body.next}`);
      assert.match(String(page1.headers.link), /rel="next"/);
      const page2 = await h.req('GET', `/v1/rollouts?limit=1&cursor=${page1.body.next}`);
      assert.deepEqual(page2.body.items.map((r: { id: string }) => r.id), [id]);
      for (const forged of ['1', 'garbage', Buffer.from('[1,2]').toString('base64url')]) {
        const r = await h.req('GET', `/v1/rollouts?cursor=${forged}`);
        assert.equal(r.status, 400, `${forged}: ${JSON.stringify(r.body)}`);
        assert.match(String(r.headers['content-type']), /application\/problem\+json/);
        assert.equal(r.body.type, 'https://fleetplane.io/problems/invalid-input');
        assert.ok(r.body.errors?.some((e: { field: string }) => e.field === '/cursor'), JSON.stringify(r.body));
      }
      assert.equal((await h.req('POST', `/v1/rollouts/${second.body.id}:abort`)).status, 200);
    });

    test('pause, resume, abort; retries are no-ops; illegal moves are 409', async () => {
      const paused = await h.req('POST', `/v1/rollouts/${id}:pause`);
      assert.deepEqual([paused.status, paused.body.state], [200, 'paused']);
      assert.match(paused.body.reason, /paused by test-admin/);
      const resumed = await h.req('POST', `/v1/rollouts/${id}:resume`);
      assert.deepEqual([resumed.status, resumed.body.state, resumed.body.reason], [200, 'running', null]);
      const resumedAgain = await h.req('POST', `/v1/rollouts/${id}:resume`);
      assert.deepEqual([resumedAgain.status, resumedAgain.body.state], [200, 'running'], 'a retried resume is a no-op');
      const aborted = await h.req('POST', `/v1/rollouts/${id}:abort`);
      assert.deepEqual([aborted.status, aborted.body.state, aborted.body.totals.cancelled], [200, 'aborted', 3]);
      const again = await h.req('POST', `/v1/rollouts/${id}:abort`);
      assert.deepEqual([again.status, again.body.state, again.body.totals.cancelled], [200, 'aborted', 3], 'a retried abort is a no-op');
      const pause = await h.req('POST', `/v1/rollouts/${id}:pause`);
      assert.equal(pause.status, 409);
      assert.match(pause.body.type, /conflict$/);
      assert.equal((await h.req('POST', `/v1/rollouts/${id}:resume`)).status, 409);
    });

    test('every rollouts route is in /openapi.json', async () => {
      const doc = (await h.req('GET', '/openapi.json', { token: null })).body as { paths: Record<string, Record<string, unknown>> };
      const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/v1/rollouts'));
      assert.ok(paths.length >= 5, JSON.stringify(paths));
    });
  });
}
