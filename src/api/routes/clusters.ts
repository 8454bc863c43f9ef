// Clusters: admin only (a tenant token gets 403: the list would reveal other tenants' dedicated clusters).
import { Type } from '@sinclair/typebox';
import { ConflictError } from '../../domain/errors.ts';
import type { Provider } from '../../domain/types.ts';
import { slugIssue, IssueList } from '../../domain/validation.ts';
import { notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { ClusterCreate, DnsLabel, NoContent, PageQuery } from '../schemas.ts';
import { audit } from '../audit.ts';
import { kubeconfigIssues } from '../../adapters/kube/credential-policy.ts';
import { ClusterSchema, PageOf } from '../responses.ts';

const tags = ['clusters'];

const routes: RouteModule = (app, { store, connections }) => {
  app.post('/v1/clusters', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Register (or update) a cluster; credentials are stored encrypted and never returned', body: ClusterCreate,
      response: { 200: { ...ClusterSchema, description: 'Updated' }, 201: { ...ClusterSchema, description: 'Registered' } } },
  }, async (req, reply) => {
    const issues = new IssueList().check('/name', slugIssue(req.body.name));
    if (req.body.credentials !== undefined) issues.add(...kubeconfigIssues(req.body.credentials).map((i) => ({ field: `/credentials${i.field}`, message: i.message })));
    issues.throwIfAny('cluster refused');
    const existed = await store.clusters.get(req.body.name);
    const { credentials, ...rest } = req.body;
    const cluster = await store.clusters.upsert({ labels: {}, role: 'shared', ...rest, provider: rest.provider as Provider, ...(credentials ? { credentials } : {}) });
    // New credentials take effect at once in this process (other processes: within the cache's TTL).
    connections?.forget(cluster.name);
    await audit(store, req, { action: existed ? 'cluster.update' : 'cluster.create', target: `cluster/${cluster.name}` });
    return reply.status(existed ? 200 : 201).header('location', `/v1/clusters/${cluster.name}`).send(cluster);
  });

  app.get('/v1/clusters', { config: { auth: 'admin' }, schema: { tags, summary: 'List clusters', querystring: PageQuery, response: { 200: PageOf(ClusterSchema, 'A page of clusters') } } }, async (req, reply) => {
    return sendPage(req, reply, await store.clusters.list({ limit: req.query.limit, cursor: req.query.cursor }));
  });

  // `:name` stops at a colon, so `/v1/clusters/c1:cordon` is only the cordon route's path: GET or
  // DELETE there is a 405 (Allow: POST), not a cluster name refused by its pattern.
  app.get('/v1/clusters/:name(^[^:]+$)', { config: { auth: 'admin' }, schema: { tags, summary: 'Get a cluster', params: Type.Object({ name: DnsLabel }), response: { 200: ClusterSchema } } }, async (req) => {
    const c = await store.clusters.get(req.params.name);
    if (!c) throw notFound(`cluster "${req.params.name}"`);
    return c;
  });

  app.delete('/v1/clusters/:name(^[^:]+$)', { config: { auth: 'admin' }, schema: { tags, summary: 'Deregister a cluster (409 while environments are placed on it)', params: Type.Object({ name: DnsLabel }), response: { 204: NoContent } } }, async (req, reply) => {
    const { name } = req.params;
    if (!(await store.clusters.get(name))) throw notFound(`cluster "${name}"`);
    const placed = await store.environments.list({ cluster: name, limit: 1 });
    if (placed.items.length > 0) throw new ConflictError(`cluster "${name}" still runs environments (e.g. ${placed.items[0]!.tenant}/${placed.items[0]!.name})`);
    await store.clusters.delete(name);
    connections?.forget(name);
    await audit(store, req, { action: 'cluster.delete', target: `cluster/${name}` });
    return reply.status(204).send(null);
  });
};

export default routes;
