// GET /v1/rollouts/{id}/matrix (admin, like every rollout route): the console's tenant x wave view of
// one rollout. The head (state, waves with counts and gates, "why halted" with the gate's PromQL,
// value and threshold) comes from the rollout row and a GROUP BY; the rows (tenants, grouped by the
// first wave they are in, each with its environments' target states) are paged by tenant. Live
// changes arrive on GET /v1/events/stream?rollout=<id> (topics rollout, rollout-target).
import { Type } from '@sinclair/typebox';
import { TARGET_STATES } from '../../domain/rollouts.ts';
import { notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { PageQuery } from '../schemas.ts';
import { whyHalted } from '../services/attention.ts';
import { WhyHaltedSchema } from './console-schemas.ts';

const ID = '^ro-[a-f0-9-]+$';
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Cell = Type.Object({
  environment: Type.String(), wave: Type.Integer(), state: Type.String(), reason: Nullable(Type.String()),
  operationId: Nullable(Type.String()), fromVersion: Nullable(Type.String()),
});

const MatrixSchema = Type.Object({
  rollout: Type.Object({
    id: Type.String(), blueprint: Type.String(), version: Type.String(), state: Type.String(), reason: Nullable(Type.String()),
    currentWave: Type.Integer(), createdAt: Type.String(), updatedAt: Type.String(), finishedAt: Nullable(Type.String()),
    gates: Type.Object({}, { additionalProperties: true, description: 'the strategy\'s gates (health, bakeSeconds, metric {query, op, threshold})' }),
  }),
  waves: Type.Array(Type.Object({
    index: Type.Integer(), name: Type.String(), gate: Type.String(), gateReason: Nullable(Type.String()),
    metric: Nullable(Type.Object({ value: Nullable(Type.Number()), at: Type.String() })),
    counts: Type.Record(Type.String(), Type.Integer()), total: Type.Integer(),
  })),
  whyHalted: Nullable(WhyHaltedSchema),
  rows: Type.Array(Type.Object({ tenant: Type.String(), firstWave: Type.Integer(), targets: Type.Array(Cell) })),
  next: Type.Optional(Type.String()),
});

interface WaveStatusLike { gate?: string; gateReason?: string; metric?: { value: number | null; at: string } }

const routes: RouteModule = (app, { store }) => {
  app.get(`/v1/rollouts/:id(${ID.slice(1, -1)})/matrix`, {
    config: { auth: 'admin' },
    schema: {
      tags: ['rollouts'], summary: 'A rollout as a tenant x wave matrix: waves with counts and gates, why it halted, and a page of tenants with their targets\' states',
      params: Type.Object({ id: Type.String({ pattern: ID, maxLength: 64 }) }), querystring: PageQuery, response: { 200: MatrixSchema },
    },
  }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const r = await store.rollouts.get(id);
    if (!r) throw notFound(`rollout "${id}"`);
    const [counts, page] = await Promise.all([store.rollouts.waveCounts(id), store.rollouts.matrix(id, { limit: req.query.limit, cursor: req.query.cursor })]);
    const waves = r.spec.waveNames.map((name, index) => {
      const st = (r.status.waves?.[index] ?? {}) as WaveStatusLike;
      const mine = counts.filter((c) => c.wave === index);
      return {
        index, name, gate: st.gate ?? 'pending', gateReason: st.gateReason ?? null, metric: st.metric ?? null,
        counts: Object.fromEntries(TARGET_STATES.map((s) => [s, mine.find((c) => c.state === s)?.n ?? 0])),
        total: mine.reduce((a, c) => a + c.n, 0),
      };
    });
    const body = {
      rollout: {
        id: r.id, blueprint: r.blueprint, version: r.version, state: r.state, reason: r.reason, currentWave: r.currentWave,
        createdAt: r.createdAt, updatedAt: r.updatedAt, finishedAt: r.finishedAt, gates: { ...(r.spec.strategy?.gates ?? {}) },
      },
      waves,
      whyHalted: whyHalted({ state: r.state, reason: r.reason, currentWave: r.currentWave, spec: r.spec as unknown as Record<string, unknown>, status: r.status as unknown as Record<string, unknown> }),
      rows: page.rows,
    };
    if (!page.next) return body;
    sendPage(req, reply, { items: [], next: page.next }); // the Link: rel="next" header
    return { ...body, next: page.next };
  });
};

export default routes;
