// Vertical right-sizing of an environment's workloads (src/scaling/vpa.ts): the recommendation from the
// workload's own usage history, and writing it as a VerticalPodAutoscaler in Off or Initial mode. The
// workload is always looked up in the environment's own namespace (the body cannot name another one),
// so the routes are tenant-scoped exactly like the environment.
import { Type } from '@sinclair/typebox';
import type { Environment } from '../../domain/types.ts';
import type { Store } from '../../domain/ports/store.ts';
import { PrometheusClient } from '../../adapters/prometheus/client.ts';
import { PrometheusUsage, VpaService } from '../../scaling/vpa.ts';
import { assertCanAct, assertCanSee, notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { DnsLabel, EnvParams } from '../schemas.ts';
import { VpaApplySchema, VpaRecommendationSchema } from '../responses.ts';

const tags = ['scaling'];
const Kind = Type.Union([Type.Literal('Deployment'), Type.Literal('StatefulSet')], { default: 'Deployment' });
const HistoryDays = Type.Integer({ minimum: 1, maximum: 14, default: 8, description: 'days of usage history read from Prometheus' });

const RecommendationQuery = Type.Object({ kind: Kind, name: DnsLabel, historyDays: HistoryDays }, { additionalProperties: false });

const ApplyBody = Type.Object({
  workload: Type.Object({ kind: Kind, name: DnsLabel }, { additionalProperties: false }),
  mode: Type.Union([Type.Literal('Off'), Type.Literal('Initial')], { description: 'Off: recommend only; Initial: requests set when pods are created (never evicts)' }),
  controlledResources: Type.Array(Type.Union([Type.Literal('cpu'), Type.Literal('memory')]), { minItems: 1, maxItems: 2, uniqueItems: true, default: ['cpu', 'memory'] }),
  historyDays: HistoryDays,
  dryRun: Type.Boolean({ default: false, description: 'validate on the cluster (server-side dry run), write nothing' }),
}, { additionalProperties: false });

async function environment(store: Store, tenant: string, env: string): Promise<Environment> {
  const e = await store.environments.get(tenant, env);
  if (!e) throw notFound(`environment "${tenant}/${env}"`);
  return e;
}

const routes: RouteModule = (app, deps) => {
  const { store, connections, now } = deps;
  const vpa = new VpaService({ connections, now, usage: deps.prometheusUrl ? new PrometheusUsage(new PrometheusClient({ url: deps.prometheusUrl })) : null });

  app.get('/v1/environments/:tenant/:env/scaling/vpa/recommendation', {
    schema: { tags, summary: "CPU and memory request recommendation for one workload from its usage history (the VPA recommender's algorithm)", params: EnvParams, querystring: RecommendationQuery, response: { 200: VpaRecommendationSchema } },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${env}"`);
    const e = await environment(store, tenant, env);
    return vpa.recommend(e, { kind: req.query.kind, name: req.query.name }, req.query.historyDays);
  });

  app.put('/v1/environments/:tenant/:env/scaling/vpa', {
    schema: { tags, summary: 'Write a VerticalPodAutoscaler (Off or Initial mode) with the recommendation for one workload; refused when an HPA scales it on the same resource', params: EnvParams, body: ApplyBody, response: { 200: VpaApplySchema } },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanAct(req, tenant, `environment "${tenant}/${env}"`);
    const e = await environment(store, tenant, env);
    const b = req.body;
    return vpa.apply(e, { workload: b.workload, mode: b.mode, controlledResources: b.controlledResources, historyDays: b.historyDays, dryRun: b.dryRun });
  });
};

export default routes;
