// An environment's revisions for the console's tenant page, tenant-scoped like the environment:
//   GET …/revisions              the stored revisions, newest first, marked applied / desired / last good
//   GET …/revisions/{id}         one revision's rendered objects (Secret values redacted) and Helm values
//   GET …/diff?from=&to=         what changes between two revisions, or (to=live) between a revision and
//                                the cluster (drift), as unified diffs of canonical YAML
// Rolling back to one of them is the existing POST /v1/tenants/{t}/environments/{e}:rollback {revision}.
import { Type } from '@sinclair/typebox';
import { mapLimit, type ClusterConnections } from '../../adapters/kube/index.ts';
import { coerceError } from '../../domain/errors.ts';
import type { Store } from '../../domain/ports/store.ts';
import type { Environment, KubeObject, Revision } from '../../domain/types.ts';
import { assertCanSee, notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { ProblemError } from '../problem.ts';
import { EnvParams } from '../schemas.ts';
import { diffLive, diffRevisions, keyOf, redact } from '../services/revision-diff.ts';
import { DiffSchema, RevisionListSchema, RevisionSchema } from '../responses.ts';

const tags = ['environments'];
const RevisionId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,79}$' });
const LIVE_TIMEOUT_MS = 10_000;

async function visibleEnvironment(store: Store, tenant: string, name: string): Promise<Environment> {
  const t = await store.tenants.get(tenant);
  const env = t && !t.deletedAt ? await store.environments.get(tenant, name) : null;
  if (!env) throw notFound(`environment "${tenant}/${name}"`);
  return env;
}

async function revision(store: Store, env: Environment, id: string): Promise<Revision> {
  const rev = await store.revisions.get(env.tenant, env.name, id);
  if (!rev) throw notFound(`revision "${id}" of environment "${env.tenant}/${env.name}"`);
  return rev;
}

/** The revision's objects as they are in the cluster now (null: not there). */
async function liveObjects(connections: ClusterConnections, env: Environment, objects: KubeObject[]): Promise<Map<string, KubeObject | null>> {
  const cluster = env.placement.cluster;
  const conn = cluster ? await connections.get(cluster).catch(() => null) : null;
  if (!conn) throw new ProblemError('conflict', 409, `environment "${env.tenant}/${env.name}" is not placed on a reachable cluster yet`);
  const kube = conn.kube;
  const deadline = AbortSignal.timeout(LIVE_TIMEOUT_MS);
  try {
    const got = await mapLimit(objects, 8, async (o) => {
      deadline.throwIfAborted();
      return kube.get({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) });
    });
    const failed = got.find((g) => !g.ok);
    if (failed && !failed.ok) throw failed.error;
    return new Map(objects.map((o, i) => {
      const g = got[i];
      return [keyOf(o), g && g.ok ? g.value : null];
    }));
  } catch (err) {
    // Tenants get the fact, not the network details of shared infrastructure.
    throw new ProblemError('not-ready', 503, `cluster of "${env.tenant}/${env.name}" did not answer: ${coerceError(err).message.split('\n')[0]!.slice(0, 120)}`);
  }
}

const routes: RouteModule = (app, { store, connections }) => {
  app.get('/v1/environments/:tenant/:env/revisions', {
    schema: { tags, summary: "An environment's stored revisions, newest first, marked applied / desired / last good", params: EnvParams, response: { 200: RevisionListSchema } },
  }, async (req) => {
    const { tenant, env: name } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${name}"`);
    const env = await visibleEnvironment(store, tenant, name);
    const list = await store.revisions.list(tenant, name);
    const items = [...list].sort((a, b) => String(b.createdAt ?? '').localeCompare(String(a.createdAt ?? ''))).map((r) => ({
      id: r.id, version: r.version, createdAt: r.createdAt ?? null,
      applied: r.id === env.appliedRevision, desired: r.id === env.desiredRevision, lastGood: r.id === env.lastGoodRevision,
    }));
    return { items };
  });

  app.get('/v1/environments/:tenant/:env/revisions/:id', {
    schema: { tags, summary: "One revision's rendered objects (Secret values redacted) and Helm values", params: Type.Object({ tenant: EnvParams.properties.tenant, env: EnvParams.properties.env, id: RevisionId }), response: { 200: RevisionSchema } },
  }, async (req) => {
    const { tenant, env: name, id } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${name}"`);
    const env = await visibleEnvironment(store, tenant, name);
    const rev = await revision(store, env, id);
    return {
      id: rev.id, blueprint: rev.blueprint, version: rev.version, createdAt: rev.createdAt ?? null,
      objects: rev.objects.map((o) => ({ hash: o.hash, object: redact(o.object) })), helmValues: rev.helmValues,
    };
  });

  app.get('/v1/environments/:tenant/:env/diff', {
    schema: {
      tags, params: EnvParams, response: { 200: DiffSchema },
      summary: 'Unified diff between two revisions (from, to), or between a revision and the live cluster (to=live; drift)',
      querystring: Type.Object({
        from: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,79}$', description: 'default: the applied revision' })),
        to: Type.String({ pattern: '^([a-z0-9][a-z0-9-]{0,79})$', description: 'a revision id, or "live"' }),
      }, { additionalProperties: false }),
    },
  }, async (req) => {
    const { tenant, env: name } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${name}"`);
    const env = await visibleEnvironment(store, tenant, name);
    const fromId = req.query.from ?? env.appliedRevision;
    if (!fromId) throw new ProblemError('invalid-input', 400, 'the environment has no applied revision yet; name one with from=', [{ field: 'query:/from', message: 'required: no applied revision' }]);
    const from = await revision(store, env, fromId);
    const fromObjects = { id: from.id, objects: from.objects.map((o) => o.object) };
    const diff = req.query.to === 'live'
      ? diffLive(fromObjects, await liveObjects(connections, env, fromObjects.objects))
      : diffRevisions(fromObjects, await revision(store, env, req.query.to).then((r) => ({ id: r.id, objects: r.objects.map((o) => o.object) })));
    const lastDrift = req.query.to === 'live' ? await store.fleet.driftReport(env.tenant, env.name) : undefined;
    return { ...diff, ...(lastDrift !== undefined ? { lastDriftCheck: lastDrift } : {}) };
  });
};

export default routes;
