// Blueprint releases: publish (admin; immutable: same name+version with another document is 409),
// list and get (any token: releases are the product's, not a tenant's).
import { Type } from '@sinclair/typebox';
import { notFound, principal } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { BlueprintPublish, DnsLabel, PageQuery, SemverString } from '../schemas.ts';
import { publishRelease } from '../services/releases.ts';
import { audit } from '../audit.ts';
import { PageOf, ReleaseSchema, ReleaseSummarySchema } from '../responses.ts';

const tags = ['blueprints'];

const routes: RouteModule = (app, { store, now }) => {
  app.post('/v1/blueprints', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Publish a blueprint release (JSON or YAML body: {name, version, spec})', body: BlueprintPublish,
      response: { 200: { ...ReleaseSchema, description: 'Already published with this document' }, 201: { ...ReleaseSchema, description: 'Published' } } },
  }, async (req, reply) => {
    const { release, created } = await publishRelease(store, req.body.name, req.body.version, req.body.spec);
    if (created) await audit(store, req, { action: 'blueprint.publish', target: `blueprint/${release.name}@${release.version}`, detail: { digest: release.digest } });
    return reply.status(created ? 201 : 200).header('location', `/v1/blueprints/${release.name}/${release.version}`).send(release);
  });

  app.get('/v1/blueprints', {
    schema: { tags, summary: 'List releases (without their documents)', querystring: Type.Composite([PageQuery, Type.Object({ name: Type.Optional(DnsLabel) })], { additionalProperties: false }), response: { 200: PageOf(ReleaseSummarySchema, 'A page of releases') } },
  }, async (req, reply) => {
    const page = await store.blueprints.list({ limit: req.query.limit, cursor: req.query.cursor, name: req.query.name });
    const items = page.items.map(({ spec: _spec, ...summary }) => summary);
    return sendPage(req, reply, { ...page, items });
  });

  app.get('/v1/blueprints/:name/:version', {
    schema: { tags, summary: 'Get one release with its document', params: Type.Object({ name: DnsLabel, version: SemverString }), response: { 200: ReleaseSchema } },
  }, async (req) => {
    const r = await store.blueprints.get(req.params.name, req.params.version);
    if (!r) throw notFound(`blueprint release ${req.params.name}@${req.params.version}`);
    return r;
  });

  // A rejected release (a rollout's failed gate rolled the fleet back from it, or an admin said so)
  // is refused by rollouts, onboarding and upgrades until an admin clears the rejection.
  const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });
  app.post('/v1/blueprints/:name/:version([0-9A-Za-z.+-]+)::reject', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Reject a release by hand: no rollout, onboarding or upgrade picks it until the rejection is cleared', params: Type.Object({ name: DnsLabel, version: SemverString }), body: RejectBody, response: { 200: ReleaseSchema } },
  }, async (req) => {
    const { name, version } = req.params;
    const by = principal(req).name;
    if (!(await store.blueprints.reject(name, version, { reason: req.body.reason, rollout: null, by, at: now().toISOString() }))) throw notFound(`blueprint release ${name}@${version}`);
    await audit(store, req, { action: 'blueprint.reject', target: `blueprint/${name}@${version}`, detail: { reason: req.body.reason } });
    return (await store.blueprints.get(name, version))!;
  });
  app.post('/v1/blueprints/:name/:version([0-9A-Za-z.+-]+)::clear-rejection', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Clear a release rejection so rollouts and onboarding may pick the release again', params: Type.Object({ name: DnsLabel, version: SemverString }), response: { 200: ReleaseSchema } },
  }, async (req) => {
    const { name, version } = req.params;
    const before = await store.blueprints.get(name, version);
    if (!before || !(await store.blueprints.clearRejection(name, version))) throw notFound(`blueprint release ${name}@${version}`);
    if (before.rejected) await audit(store, req, { action: 'blueprint.clear-rejection', target: `blueprint/${name}@${version}`, detail: { was: before.rejected } });
    return (await store.blueprints.get(name, version))!;
  });
};

export default routes;
