// Blueprint releases: publish (admin; immutable: same name+version with another document is 409),
// list and get (any token: releases are the product's, not a tenant's).
import { Type } from '@sinclair/typebox';
import { notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { BlueprintPublish, DnsLabel, PageQuery, SemverString } from '../schemas.ts';
import { publishRelease } from '../services/releases.ts';
import { audit } from '../audit.ts';

const tags = ['blueprints'];

const routes: RouteModule = (app, { store }) => {
  app.post('/v1/blueprints', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Publish a blueprint release (JSON or YAML body: {name, version, spec})', body: BlueprintPublish },
  }, async (req, reply) => {
    const { release, created } = await publishRelease(store, req.body.name, req.body.version, req.body.spec);
    if (created) await audit(store, req, { action: 'blueprint.publish', target: `blueprint/${release.name}@${release.version}`, detail: { digest: release.digest } });
    return reply.status(created ? 201 : 200).header('location', `/v1/blueprints/${release.name}/${release.version}`).send(release);
  });

  app.get('/v1/blueprints', {
    schema: { tags, summary: 'List releases (without their documents)', querystring: Type.Composite([PageQuery, Type.Object({ name: Type.Optional(DnsLabel) })], { additionalProperties: false }) },
  }, async (req, reply) => {
    const page = await store.blueprints.list({ limit: req.query.limit, cursor: req.query.cursor, name: req.query.name });
    const items = page.items.map(({ spec: _spec, ...summary }) => summary);
    return sendPage(req, reply, { ...page, items });
  });

  app.get('/v1/blueprints/:name/:version', {
    schema: { tags, summary: 'Get one release with its document', params: Type.Object({ name: DnsLabel, version: SemverString }) },
  }, async (req) => {
    const r = await store.blueprints.get(req.params.name, req.params.version);
    if (!r) throw notFound(`blueprint release ${req.params.name}@${req.params.version}`);
    return r;
  });
};

export default routes;
