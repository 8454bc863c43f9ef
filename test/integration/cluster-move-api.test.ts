// Move and evacuate routes (docs/clusters.md "Move and evacuate") on the real API and both stores,
// without an engine: bad input is 400 naming the field, a target that is cordoned, unavailable or
// outside the tenant's residency is 409, and a refused request writes nothing; a move without `to`
// is placed with the source excluded and explained; an evacuation is planned whole (each choice
// counted in the next), cordons its cluster and refuses a second one of the same cluster (also when
// several are sent at once: the store holds each cluster of a running evacuation); a tenant
// admin moves its own environments only. The engine side is cluster-evacuate-testbed.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { failoverPass } from '../../src/engine/failover.ts';
import { reclaimPass } from '../../src/engine/reclaim.ts';
import { BACKENDS, counts, harness, publishSample, tenantBody, type Harness } from '../helpers/api-harness.ts';

const cluster = (name: string, extra: Record<string, unknown> = {}) => ({ name, provider: 'aws', region: 'eu-west-1', apiServer: 'https://127.0.0.1:1', ...extra });

for (const backend of BACKENDS) {
  describe(`move and evacuate API (${backend})`, () => {
    let h: Harness;
    let betaToken: string;

    before(async () => {
      h = await harness(backend);
      await publishSample(h);
      for (const c of [cluster('src'), cluster('eu-a'), cluster('eu-b'), cluster('us', { region: 'us-east-1' }), cluster('eu-cordoned'), cluster('eu-down')]) {
        assert.equal((await h.req('POST', '/v1/clusters', { body: c })).status, 201);
      }
      await h.req('POST', '/v1/clusters/eu-cordoned:cordon', { body: { reason: 'maintenance' } });
      await h.store.clusters.setHealth('eu-down', {
        state: 'Unavailable', reason: 'Unreachable', message: 'unreachable', since: '2026-12-02T10:00:00.000Z', failingSince: '2026-12-02T09:58:00.000Z', consecutiveFailures: 5, lastProbeAt: '2026-12-02T10:00:00.000Z',
      });
      for (const t of ['alpha', 'beta']) {
        assert.equal((await h.req('POST', '/v1/tenants', { body: { ...tenantBody(t, ['prod', 'dev']), labels: { 'fleetplane.io/residency': 'eu' } } })).status, 202);
        // As if delivered: on "src" with an applied revision (no engine runs here).
        for (const name of ['prod', 'dev']) {
          const env = (await h.store.environments.get(t, name))!;
          await h.store.environments.update(t, name, { placement: { cluster: 'src', namespace: `${t}-${name}` }, appliedRevision: 'r1', health: 'Ready' }, env.resourceVersion);
        }
      }
      betaToken = (await h.req('POST', '/v1/tokens', { body: { name: 'beta', role: 'tenant-admin', tenant: 'beta' } })).body.secret;
    });
    after(async () => h?.close());

    test('bad input names the field; a target that breaks a hard constraint is 409; nothing is written', async () => {
      const before = await counts(h.store);
      const move = (body: unknown, token?: string) => h.req('POST', '/v1/tenants/alpha/environments/prod:move', { body, ...(token ? { token } : {}) });
      const unknown = await move({ to: 'nowhere' });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.errors[0].field, '/to');
      const same = await move({ to: 'src' });
      assert.equal(same.status, 400);
      assert.equal(same.body.errors[0].field, '/to');
      const extra = await move({ to: 'eu-a', cluster: 'x' });
      assert.equal(extra.status, 400);
      assert.match(JSON.stringify(extra.body), /cluster/);
      assert.equal((await move({ to: 'Not_A_Name' })).body.errors?.[0]?.field, '/to');
      for (const [to, why] of [['eu-cordoned', /cordoned: maintenance/], ['eu-down', /Unavailable/], ['us', /data residency: tenant requires eu/]] as const) {
        const r = await move({ to });
        assert.equal(r.status, 409, `${to}: ${JSON.stringify(r.body)}`);
        assert.equal(r.headers['content-type']?.toString().startsWith('application/problem+json'), true);
        assert.match(r.body.detail, why);
      }
      assert.equal((await h.req('POST', '/v1/tenants/alpha/environments/nope:move', { body: {} })).status, 404);
      assert.deepEqual(await counts(h.store), before, 'nothing written by a refused move');
    });

    test('a move without a target is placed with the source excluded and explained; a tenant admin moves its own only', async () => {
      const r = await h.req('POST', '/v1/tenants/alpha/environments/dev:move', { body: { reason: 'rebalance' } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'move');
      assert.equal(r.body.params.from, 'src');
      assert.ok(['eu-a', 'eu-b'].includes(r.body.params.to), r.body.params.to);
      assert.match(r.body.params.explanation, /fewest environments/);
      assert.deepEqual(r.body.steps.map((s: { name: string }) => s.name), ['move-prepare', 'move-deliver', 'move-verify', 'move-stop-source', 'move-start-target', 'move-switch', 'move-remove', 'move-record']);
      const before = await counts(h.store);
      assert.equal((await h.req('POST', '/v1/tenants/alpha/environments/prod:move', { token: betaToken, body: { to: 'eu-a' } })).status, 404, "another tenant's environment is missing to beta");
      assert.deepEqual(await counts(h.store), before);
      const own = await h.req('POST', '/v1/tenants/beta/environments/dev:move', { token: betaToken, body: { to: 'eu-b' } });
      assert.equal(own.status, 202, JSON.stringify(own.body));
      assert.equal(own.body.params.to, 'eu-b');
    });

    test('evacuate: dry run writes nothing; the evacuation places every environment (each counted), cordons the cluster, refuses a second; admin only', async () => {
      const before = await counts(h.store);
      assert.equal((await h.req('POST', '/v1/clusters/src:evacuate', { body: { concurrency: 0 } })).body.errors?.[0]?.field, '/concurrency');
      assert.equal((await h.req('POST', '/v1/clusters/ghost:evacuate', { body: {} })).status, 404);
      assert.equal((await h.req('POST', '/v1/regions/mars-1:evacuate', { body: {} })).status, 404);
      assert.equal((await h.req('POST', '/v1/clusters/src:evacuate', { token: betaToken, body: {} })).status, 403);
      const dry = await h.req('POST', '/v1/clusters/src:evacuate', { body: { dryRun: true } });
      assert.equal(dry.status, 200);
      assert.equal(dry.body.dryRun, true);
      assert.equal(dry.body.moves.length, 4);
      assert.deepEqual(await counts(h.store), before, 'nothing written by refusals and the dry run');

      const r = await h.req('POST', '/v1/clusters/src:evacuate', { body: { concurrency: 2, reason: 'drain for maintenance' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const e = r.body;
      assert.match(e.id, /^ev-[a-f0-9]{8}$/);
      assert.equal(e.state, 'running');
      assert.equal(e.concurrency, 2);
      assert.equal(e.moves.length, 4);
      const to = e.moves.map((m: { to: string }) => m.to);
      assert.ok(to.every((c: string) => c === 'eu-a' || c === 'eu-b'), `only eligible eu clusters: ${to}`);
      assert.ok(to.includes('eu-a') && to.includes('eu-b'), `spread, each move counted in the next: ${to}`);
      for (const m of e.moves) assert.equal(m.state, 'pending');
      assert.match((await h.store.clusters.get('src'))!.cordon!.reason, /evacuating \(ev-/);
      const again = await h.req('POST', '/v1/clusters/src:evacuate', { body: {} });
      assert.equal(again.status, 409);
      assert.match(again.body.detail, new RegExp(e.id));
      const got = await h.req('GET', `/v1/evacuations/${e.id}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.moves.length, 4);
      assert.equal((await h.req('GET', '/v1/evacuations')).body.items.length, 1);
      assert.equal((await h.req('GET', '/v1/evacuations/ev-00000000')).status, 404);
      assert.equal((await h.req('GET', `/v1/evacuations/${e.id}`, { token: betaToken })).status, 403);
    });

    test('two evacuations of one cluster at once: exactly one passes, the others are 409 problem+json naming it; the store holds the cluster until it finishes', async () => {
      assert.equal((await h.req('POST', '/v1/clusters', { body: cluster('race') })).status, 201);
      assert.equal((await h.req('POST', '/v1/tenants', { body: { ...tenantBody('gamma', ['prod', 'dev']), labels: { 'fleetplane.io/residency': 'eu' } } })).status, 202);
      for (const name of ['prod', 'dev']) {
        const env = (await h.store.environments.get('gamma', name))!;
        await h.store.environments.update('gamma', name, { placement: { cluster: 'race', namespace: `gamma-${name}` }, appliedRevision: 'r1', health: 'Ready' }, env.resourceVersion);
      }
      const before = (await h.store.evacuations.list({ limit: 100 })).items.length;
      const all = await Promise.all(Array.from({ length: 4 }, () => h.req('POST', '/v1/clusters/race:evacuate', { body: { reason: 'race' } })));
      assert.deepEqual(all.map((r) => r.status).sort(), [201, 409, 409, 409], JSON.stringify(all.map((r) => r.body)));
      const won = all.find((r) => r.status === 201)!.body;
      for (const r of all.filter((x) => x.status === 409)) {
        assert.match(String(r.headers['content-type']), /application\/problem\+json/);
        assert.match(r.body.detail, new RegExp(won.id));
        assert.equal(r.body.errors?.[0]?.field, 'clusters');
      }
      assert.equal((await h.store.evacuations.list({ limit: 100 })).items.length, before + 1, 'one evacuation written');
      // The store itself refuses a second running evacuation of the cluster (what decides a race
      // the API's read of the running evacuations cannot see), and holds it until the first ends.
      const planned = { clusters: ['race'], region: null, trigger: 'manual' as const, reason: 'direct', concurrency: 1, lostAt: null, moves: won.moves };
      await assert.rejects(h.store.evacuations.create(planned), (err: Error) => err.name === 'EvacuationBusyError' && err.message.includes(won.id));
      // A region evacuation that includes the held cluster is refused too.
      await assert.rejects(h.store.evacuations.create({ ...planned, clusters: ['eu-a', 'race'] }), /still running/);
      assert.equal((await h.store.evacuations.list({ limit: 100 })).items.length, before + 1, 'nothing written by the refused ones');
      // A failover of the cluster while the operator's evacuation runs finds that one instead of failing.
      const lost = '2026-12-03T06:00:00.000Z';
      await h.store.clusters.setHealth('race', { state: 'Unavailable', reason: 'Unreachable', message: 'unreachable', since: lost, failingSince: lost, consecutiveFailures: 3, lastProbeAt: lost });
      const pass = await failoverPass({ store: h.store, now: () => new Date('2026-12-03T06:10:00.000Z'), logger: pino({ level: 'silent' }) },
        { policy: { shared: { mode: 'on', afterMs: 0 } }, settings: { policy: 'spread', cpuOvercommit: 1, memoryOvercommit: 1 }, concurrency: 1 }, true);
      assert.deepEqual(pass.evacuations.filter((e) => e.cluster === 'race'), [{ cluster: 'race', id: won.id, created: false }]);
      await h.store.clusters.setHealth('race', { state: 'Available', reason: 'Recovered', message: 'ok', since: lost, failingSince: null, consecutiveFailures: 0, lastProbeAt: lost });
      assert.equal((await h.store.evacuations.list({ limit: 100 })).items.filter((e) => e.clusters.includes('race')).length, 1, 'the failover wrote no second evacuation of it');
      const running = (await h.store.evacuations.get(won.id))!;
      assert.ok(await h.store.evacuations.update(won.id, running.version, { state: 'succeeded', finishedAt: new Date().toISOString() }));
      const next = await h.store.evacuations.create(planned);
      assert.equal(next.created, true, 'a finished evacuation no longer holds the cluster');
      const n = (await h.store.evacuations.get(next.evacuation.id))!;
      await h.store.evacuations.update(n.id, n.version, { state: 'failed', finishedAt: new Date().toISOString() });
    });

    test('a failover with nothing of its tiers to move cordons nothing; an operator emptying an empty cluster still cordons it', async () => {
      for (const name of ['lonely', 'lonely-op']) assert.equal((await h.req('POST', '/v1/clusters', { body: cluster(name) })).status, 201);
      const lost = '2026-12-03T07:00:00.000Z';
      await h.store.clusters.setHealth('lonely', { state: 'Unavailable', reason: 'Unreachable', message: 'unreachable', since: lost, failingSince: lost, consecutiveFailures: 3, lastProbeAt: lost });
      const pass = await failoverPass({ store: h.store, now: () => new Date('2026-12-03T07:10:00.000Z'), logger: pino({ level: 'silent' }) },
        { policy: { shared: { mode: 'on', afterMs: 0 } }, settings: { policy: 'spread', cpuOvercommit: 1, memoryOvercommit: 1 }, concurrency: 1 }, true);
      const mine = pass.evacuations.find((e) => e.cluster === 'lonely');
      assert.ok(mine, JSON.stringify(pass.evacuations));
      assert.equal((await h.store.evacuations.get(mine.id))?.moves.length, 0);
      assert.equal((await h.store.clusters.get('lonely'))?.cordon, undefined, 'nothing moved: not cordoned');
      const manual = await h.req('POST', '/v1/clusters/lonely-op:evacuate', { body: { reason: 'decommission' } });
      assert.equal(manual.status, 201, JSON.stringify(manual.body));
      assert.match((await h.store.clusters.get('lonely-op'))?.cordon?.reason ?? '', /evacuating/);
    });

    test('after a failover, a lost cluster that answers again gets one reclaim operation per environment it still holds, nothing for another tenant', async () => {
      assert.equal((await h.req('POST', '/v1/clusters', { body: cluster('lost') })).status, 201);
      const lost = '2026-12-03T08:00:00.000Z';
      const down = { state: 'Unavailable' as const, reason: 'Unreachable', message: 'unreachable', since: lost, failingSince: lost, consecutiveFailures: 3, lastProbeAt: lost };
      await h.store.clusters.setHealth('lost', down);
      const move = (tenant: string, extra: Record<string, unknown>) => ({ tenant, environment: 'dev', from: 'lost', to: 'eu-a', explanation: 'x', state: 'succeeded' as const, operation: `op-${tenant}`, ...extra });
      const { evacuation } = await h.store.evacuations.create({
        clusters: ['lost'], region: null, trigger: 'failover', reason: 'failover: lost', concurrency: 1, lostAt: lost,
        moves: [move('alpha', { leftOn: 'lost' }), move('beta', {})],
      }, 'test-reclaim');
      assert.ok(await h.store.evacuations.update(evacuation.id, evacuation.version, { state: 'succeeded', finishedAt: lost }));
      const deps = { store: h.store, now: () => new Date('2026-12-03T08:30:00.000Z') };
      assert.deepEqual(await reclaimPass(deps), [], 'nothing while the cluster is still away');
      await h.store.clusters.setHealth('lost', { ...down, state: 'Available', reason: 'Recovered', message: 'GET /readyz ok' });
      const created = await reclaimPass(deps);
      assert.equal(created.length, 1, 'alpha holds objects there; beta\'s move removed its own');
      const op = (await h.store.operations.get(created[0]!))!;
      assert.deepEqual([op.kind, op.tenant, op.environment, op.params.cluster, op.params.move], ['reclaim', 'alpha', 'dev', 'lost', 'op-alpha']);
      assert.deepEqual(op.steps.map((x) => x.name), ['reclaim-remove', 'reclaim-record']);
      assert.deepEqual(await reclaimPass(deps), [], 'a second pass creates nothing');
      const after = (await h.store.evacuations.get(evacuation.id))!;
      assert.equal(after.moves.find((m) => m.tenant === 'alpha')?.reclaimOperation, op.id);
      assert.equal(after.moves.find((m) => m.tenant === 'beta')?.reclaimOperation, undefined);
      // Shown to the tenant whose operation it is, not to another tenant.
      assert.equal((await h.req('GET', `/v1/operations/${op.id}`)).status, 200);
      assert.equal((await h.req('GET', `/v1/operations/${op.id}`, { token: betaToken })).status, 404);
    });

    test('failover: off by default; its dry run answers what it would do', async () => {
      const r = await h.req('GET', '/v1/failover');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.policy, {});
      assert.deepEqual(r.body.decisions, []);
    });
  });
}
