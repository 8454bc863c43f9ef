// The scaling routes on the real store (migration 100 applied by store.migrate()): policy opt-in with
// defaults and validation, decisions newest first with pagination, tenant scoping.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, harness, publishSample, tenantBody, type Harness } from '../helpers/api-harness.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forecastCommand } from '../../src/cli/commands/forecast.ts';
import type { ScalingDecision } from '../../src/domain/scaling.ts';

const POLICY = {
  mode: 'dry-run', hpa: { cluster: 'c1', namespace: 'acme-prod', name: 'web' }, query: 'sum(rate(http_requests_total{job="web"}[2m]))',
  floor: 2, ceiling: 12, capacityPerPod: 40,
};

function decision(i: number): ScalingDecision {
  return {
    tenant: 'acme', environment: 'prod', hpa: POLICY.hpa, at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), action: i % 2 ? 'raise' : 'hold', mode: 'dry-run',
    minReplicas: 2 + i, previousMinReplicas: 2, wanted: 2 + i, applied: false, reason: `decision ${i}`,
    forecast: { windowPoint: 100 + i, upper: 120 + i, margin: 20, quantile: 0.9, leadTimeMinutes: 5, horizons: [{ minutes: 5, value: 100, model: 'ridge' }], season: 1440, historyPoints: 20160, lastValue: 90 },
    state: { current: 2 + i, lastNeededAt: 1000 + i },
  };
}

for (const backend of BACKENDS) {
  describe(`scaling routes (${backend})`, () => {
    let h: Harness;
    let viewer: string;
    let other: string;
    before(async () => {
      h = await harness(backend);
      await publishSample(h);
      await h.req('POST', '/v1/clusters', { body: { name: 'c1', provider: 'local', region: 'r', apiServer: 'https://127.0.0.1:1' } });
      assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody('acme', ['prod']) })).status, 202);
      assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody('other', ['prod']) })).status, 202);
      // What the engine's placement does on onboarding (no engine runs in this harness).
      for (const t of ['acme', 'other']) await h.store.environments.update(t, 'prod', { placement: { cluster: 'c1', namespace: `${t}-prod` } });
      viewer = (await h.req('POST', '/v1/tokens', { body: { name: 'v', role: 'tenant-viewer', tenant: 'acme' } })).body.secret;
      other = (await h.req('POST', '/v1/tokens', { body: { name: 'o', role: 'tenant-admin', tenant: 'other' } })).body.secret;
    });
    after(async () => h?.close());

    it('opts an environment in with defaults filled, and reads it back', async () => {
      const put = await h.req('PUT', '/v1/environments/acme/prod/scaling/policy', { body: POLICY });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.leadTimeSeconds, 300);
      assert.equal(put.body.cooldownMinutes, 15);
      assert.equal(put.body.tenant, 'acme');
      const got = await h.req('GET', '/v1/environments/acme/prod/scaling/policy', { token: viewer });
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, put.body);
      assert.deepEqual((await h.store.scaling.enabledPolicies()).map((p) => p.environment), ['prod']);
    });

    it('rejects bad policies as problem+json naming the field', async () => {
      const r1 = await h.req('PUT', '/v1/environments/acme/prod/scaling/policy', { body: { ...POLICY, ceiling: 1 } });
      assert.equal(r1.status, 400);
      assert.match(String(r1.headers['content-type']), /application\/problem\+json/);
      assert.ok(JSON.stringify(r1.body).includes('/ceiling'), JSON.stringify(r1.body));
      const r2 = await h.req('PUT', '/v1/environments/acme/prod/scaling/policy', { body: { ...POLICY, capacityPerPod: 0 } });
      assert.equal(r2.status, 400);
      assert.ok(JSON.stringify(r2.body).includes('capacityPerPod'), JSON.stringify(r2.body));
      const r3 = await h.req('PUT', '/v1/environments/acme/nope/scaling/policy', { body: POLICY });
      assert.equal(r3.status, 404);
    });

    it('cross-tenant: a policy aimed at another tenant\'s namespace, another cluster or a namespace query is a 400 naming the field, nothing stored', async () => {
      const otherToken = (await h.req('POST', '/v1/tokens', { body: { name: 'acme-admin', role: 'tenant-admin', tenant: 'acme' } })).body.secret;
      const before = await h.req('GET', '/v1/environments/acme/prod/scaling/policy', { token: otherToken });
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...POLICY, hpa: { ...POLICY.hpa, namespace: 'other-prod' } }, '/hpa/namespace'],
        [{ ...POLICY, hpa: { ...POLICY.hpa, namespace: 'kube-system' } }, '/hpa/namespace'],
        [{ ...POLICY, hpa: { ...POLICY.hpa, cluster: 'c2' } }, '/hpa/cluster'],
        [{ ...POLICY, query: 'sum(rate(http_requests_total{namespace="other-prod"}[2m]))' }, '/query'],
        [{ ...POLICY, query: 'sum(rate(' }, '/query'],
      ];
      for (const [body, field] of cases) {
        const r = await h.req('PUT', '/v1/environments/acme/prod/scaling/policy', { body, token: otherToken });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.match(String(r.headers['content-type']), /application\/problem\+json/);
        assert.ok(r.body.errors?.some((e: { field: string }) => e.field === field), `${field}: ${JSON.stringify(r.body)}`);
      }
      assert.deepEqual((await h.req('GET', '/v1/environments/acme/prod/scaling/policy', { token: otherToken })).body, before.body);
      // Left out, the target is the environment's own cluster and namespace.
      const derived = await h.req('PUT', '/v1/environments/acme/prod/scaling/policy', { body: { ...POLICY, hpa: { name: 'web' } }, token: otherToken });
      assert.equal(derived.status, 200, JSON.stringify(derived.body));
      assert.deepEqual(derived.body.hpa, POLICY.hpa);
    });

    it('lists decisions newest first with a cursor, scoped to the tenant', async () => {
      for (let i = 0; i < 3; i++) await h.store.scaling.record(decision(i));
      const first = await h.req('GET', '/v1/environments/acme/prod/scaling/decisions?limit=2', { token: viewer });
      assert.equal(first.status, 200);
      assert.deepEqual(first.body.items.map((d: ScalingDecision) => d.reason), ['decision 2', 'decision 1']);
      assert.equal(first.body.items[0].forecast.upper, 122);
      assert.ok(first.body.next);
      const second = await h.req('GET', `/v1/environments/acme/prod/scaling/decisions?limit=2&cursor=${first.body.next}`, { token: viewer });
      assert.deepEqual(second.body.items.map((d: ScalingDecision) => d.reason), ['decision 0']);
      assert.equal(second.body.next, undefined);
      const foreign = await h.req('GET', '/v1/environments/acme/prod/scaling/decisions', { token: other });
      assert.equal(foreign.status, 404);
    });

    it('a cursor this API did not hand out is a 400 naming the cursor, on the decisions list', async () => {
      for (const forged of ['42', 'not-a-cursor', Buffer.from('["1","2"]').toString('base64url')]) {
        const r = await h.req('GET', `/v1/environments/acme/prod/scaling/decisions?cursor=${forged}`, { token: viewer });
        assert.equal(r.status, 400, `${forged}: ${JSON.stringify(r.body)}`);
        assert.match(String(r.headers['content-type']), /application\/problem\+json/);
        assert.equal(r.body.type, 'https://fleetplane.io/problems/invalid-input');
        assert.ok(r.body.errors?.some((e: { field: string }) => e.field === '/cursor'), JSON.stringify(r.body));
      }
    });

    it('the CLI shows and sets the policy and lists decisions through the API', async () => {
      const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
      const dir = await mkdtemp(join(tmpdir(), 'fp-cli-'));
      const file = join(dir, 'policy.yaml');
      await writeFile(file, `mode: active\nhpa: {cluster: c1, namespace: acme-prod, name: web}\nquery: sum(x)\nfloor: 3\nceiling: 9\ncapacityPerPod: 25\n`);
      const env = { FLEETPLANE_SERVER: address, FLEETPLANE_TOKEN: h.adminToken };
      const run = async (...args: string[]): Promise<string> => {
        const chunks: string[] = [];
        const write = process.stdout.write.bind(process.stdout);
        Object.assign(process.env, env);
        process.stdout.write = ((c: string) => { chunks.push(String(c)); return true; }) as typeof process.stdout.write;
        try {
          await forecastCommand().parseAsync(args, { from: 'user' });
        } finally {
          process.stdout.write = write;
        }
        return chunks.join('');
      };
      const set = JSON.parse(await run('policy', 'acme/prod', '-f', file, '-o', 'json'));
      assert.equal(set.mode, 'active');
      assert.equal(set.floor, 3);
      assert.match(await run('policy', 'acme/prod'), /capacityPerPod\s+25/);
      const decisions = JSON.parse(await run('decisions', 'acme/prod', '--limit', '1', '-o', 'json'));
      assert.equal(decisions.items.length, 1);
      assert.equal(decisions.items[0].reason, 'decision 2');
      await assert.rejects(run('decisions', 'acme'), /TENANT\/ENV/);
      await rm(dir, { recursive: true, force: true });
    });

    it('a viewer reads but cannot change the policy', async () => {
      const r = await h.req('PUT', '/v1/environments/acme/prod/scaling/policy', { body: POLICY, token: viewer });
      assert.equal(r.status, 403);
    });
  });
}
