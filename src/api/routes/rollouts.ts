// Fleet rollouts (admin only): create (plans the waves; Idempotency-Key makes a retry return the
// same rollout), list, get with per-wave progress, and pause/resume/abort. The controller in
// src/engine/rollouts executes them.
import { Type, type Static } from '@sinclair/typebox';
import type { RolloutService } from '../../engine/rollouts/index.ts';
import { principal } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { idempotencyKey, markReplayed, requestHash, sendPage } from '../http.ts';
import { DnsLabel, EnvType, IdempotencyHeaders, Labels, PageQuery, SemverString } from '../schemas.ts';
import { PageOf, RolloutSchema } from '../responses.ts';

const tags = ['rollouts'];
const closed = { additionalProperties: false };
const Id = Type.String({ minLength: 4, maxLength: 64, pattern: '^ro-[a-f0-9-]+$' });
const ID_RE = '^ro-[a-f0-9-]+$';

const MetricGate = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 4096, description: 'PromQL; $tenants and $environments expand to the wave\'s regex alternations' }),
  op: Type.Union([Type.Literal('<'), Type.Literal('<='), Type.Literal('>'), Type.Literal('>=')]),
  threshold: Type.Number(),
}, closed);

export const RolloutCreate = Type.Object({
  blueprint: DnsLabel,
  version: SemverString,
  selector: Type.Optional(Type.Object({
    labels: Type.Optional(Labels),
    envTypes: Type.Optional(Type.Array(EnvType, { maxItems: 3 })),
    clusters: Type.Optional(Type.Array(DnsLabel, { maxItems: 500 })),
    tenants: Type.Optional(Type.Array(DnsLabel, { maxItems: 5000 })),
  }, closed)),
  strategy: Type.Optional(Type.Object({
    canary: Type.Optional(Type.Object({
      count: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
      percent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    }, closed)),
    waves: Type.Optional(Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 100 }), { minItems: 1, maxItems: 20, description: 'ascending cumulative percentages of the non-canary environments' })),
    maxParallel: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    maxUnavailable: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    maxFailures: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    gates: Type.Optional(Type.Object({
      health: Type.Optional(Type.Boolean()),
      bakeSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 24 * 3600 })),
      metric: Type.Optional(MetricGate),
      slo: Type.Optional(Type.Object({
        severities: Type.Optional(Type.Array(Type.Union([Type.Literal('page'), Type.Literal('ticket')]), { minItems: 1, maxItems: 2, uniqueItems: true, description: 'alert conditions that fail the gate [page]' })),
      }, { ...closed, description: "every upgraded environment's own SLO burn rate, with its alerts' multi-window thresholds" })),
    }, closed)),
    respectMaintenanceWindows: Type.Optional(Type.Boolean()),
    onGateFailure: Type.Optional(Type.Union([Type.Literal('pause'), Type.Literal('rollback')], { description: 'pause (default), or roll back every environment this rollout changed and reject the release' })),
  }, closed)),
}, closed);

const routes: RouteModule = (app, { rollouts }) => {
  app.post('/v1/rollouts', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Start a fleet rollout of a blueprint release in waves', body: RolloutCreate, headers: IdempotencyHeaders, response: { 201: RolloutSchema } },
  }, async (req, reply) => {
    const body = req.body as Static<typeof RolloutCreate>;
    const { rollout, created } = await rollouts.create(body, { actor: principal(req).name, idempotencyKey: idempotencyKey(req), requestHash: requestHash(req) });
    reply.header('location', `/v1/rollouts/${rollout.id}`);
    markReplayed(reply, !created);
    return reply.status(201).send(rollout);
  });

  app.get('/v1/rollouts', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'List rollouts, newest first, with per-wave progress', querystring: PageQuery, response: { 200: PageOf(RolloutSchema, 'A page of rollouts, newest first') } },
  }, async (req, reply) => sendPage(req, reply, await rollouts.list({ limit: req.query.limit, cursor: req.query.cursor })));

  // `:id` stops at a colon: `/v1/rollouts/ro-1:pause` is only the action's path (GET there: 405).
  app.get('/v1/rollouts/:id(^[^:]+$)', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Get a rollout: state, reason, per-wave counts and gates, targets', params: Type.Object({ id: Id }), response: { 200: RolloutSchema } },
  }, async (req) => rollouts.get(req.params.id));

  const verbs = {
    pause: { summary: 'Pause a rollout (running upgrades finish, no new ones start); pausing a paused rollout is a no-op', run: (s: RolloutService, id: string, actor: string) => s.pause(id, actor) },
    resume: { summary: 'Resume a paused rollout (failures in the current wave are acknowledged); resuming a running rollout is a no-op', run: (s: RolloutService, id: string, actor: string) => s.resume(id, actor) },
    abort: { summary: 'Abort a rollout (pending targets and queued upgrades are cancelled); aborting an aborted rollout is a no-op', run: (s: RolloutService, id: string, actor: string) => s.abort(id, actor) },
  } as const;
  for (const [verb, v] of Object.entries(verbs)) {
    app.post(`/v1/rollouts/:id(${ID_RE.slice(1, -1)})::${verb}`, {
      config: { auth: 'admin' },
      schema: { tags, summary: v.summary, params: Type.Object({ id: Id }), response: { 200: RolloutSchema } },
    }, async (req) => v.run(rollouts, (req.params as { id: string }).id, principal(req).name));
  }
};

export default routes;
