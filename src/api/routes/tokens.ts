// API tokens (admin only). The secret is returned once, on creation; the store keeps only a hash.
import { Type } from '@sinclair/typebox';
import { IssueList } from '../../domain/validation.ts';
import { newTokenSecret, notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { TokenCreate } from '../schemas.ts';
import { audit } from '../audit.ts';

const tags = ['tokens'];

const routes: RouteModule = (app, { store }) => {
  app.post('/v1/tokens', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Create a token; the response carries the secret once', body: TokenCreate },
  }, async (req, reply) => {
    const { name, role, tenant } = req.body;
    const issues = new IssueList();
    if (role === 'admin' && tenant) issues.check('/tenant', 'an admin token has no tenant');
    if (role !== 'admin' && !tenant) issues.check('/tenant', `is required for a ${role} token`);
    issues.throwIfAny();
    if (tenant) {
      const t = await store.tenants.get(tenant);
      if (!t || t.deletedAt) new IssueList().check('/tenant', `tenant "${tenant}" does not exist`).throwIfAny();
    }
    const secret = newTokenSecret();
    const token = await store.tokens.create({ name, role, tenant: tenant ?? null }, secret);
    await audit(store, req, { action: 'token.create', tenant: tenant ?? null, target: `token/${token.id}`, detail: { role } });
    return reply.status(201).header('location', `/v1/tokens/${token.id}`).header('cache-control', 'no-store').send({ token, secret });
  });

  app.get('/v1/tokens', { config: { auth: 'admin' }, schema: { tags, summary: 'List tokens (never their secrets)' } }, async () => ({ items: await store.tokens.list() }));

  app.delete('/v1/tokens/:id', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Revoke a token', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }) },
  }, async (req, reply) => {
    const known = (await store.tokens.list()).some((t) => t.id === req.params.id);
    if (!known) throw notFound(`token "${req.params.id}"`);
    await store.tokens.revoke(req.params.id);
    await audit(store, req, { action: 'token.revoke', target: `token/${req.params.id}` });
    return reply.status(204).send();
  });
};

export default routes;
