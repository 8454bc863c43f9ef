// GET /v1/environments/{t}/{e}/slo: an environment's SLO status for the console. The objectives come
// from the tenant's tier (render/monitoring/slo.ts); with FLEETPLANE_PROMETHEUS_URL set (ApiDeps.prometheusUrl), the current
// error and slow ratios (the recording rules every environment ships) and the burn-rate alerts firing
// for it are read from Prometheus with fixed, server-built queries (nothing from the request reaches
// PromQL but the already validated tenant and environment names).
import type { Store } from '../../domain/ports/store.ts';
import { RECORDED, ALERTS, objectivesFor } from '../../render/monitoring/index.ts';
import { assertCanSee, notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { EnvParams } from '../schemas.ts';
import { SloStatusSchema } from '../responses.ts';

const WINDOWS = ['1h', '1d', '3d'] as const;
const TIMEOUT_MS = 5_000;

type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;

async function instant(url: string, query: string): Promise<Vector> {
  const u = new URL('/api/v1/query', url);
  u.searchParams.set('query', query);
  const res = await fetch(u, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Vector } };
  if (body.status !== 'success' || body.data?.resultType !== 'vector') throw new Error(body.error ?? `HTTP ${res.status}`);
  return body.data.result;
}

const worst = (v: Vector): number | null => (v.length === 0 ? null : Math.max(...v.map((s) => Number(s.value[1])).filter((x) => Number.isFinite(x)), 0));

async function readings(url: string, tenant: string, environment: string) {
  const sel = `{tenant="${tenant}",environment="${environment}"}`;
  const ratios = await Promise.all(WINDOWS.map(async (w) => ({
    window: w, errorRatio: worst(await instant(url, `${RECORDED.errorRatio(w)}${sel}`)), slowRatio: worst(await instant(url, `${RECORDED.slowRatio(w)}${sel}`)),
  })));
  const alerts = await instant(url, `ALERTS{alertstate="firing",alertname=~"${ALERTS.availability}|${ALERTS.latency}",tenant="${tenant}",environment="${environment}"}`);
  return { ratios, firing: alerts.map((a) => ({ alert: a.metric.alertname ?? '', severity: a.metric.severity ?? '', window: a.metric.long_window ?? a.metric.window ?? null })) };
}

async function tierOf(store: Store, tenant: string, environment: string) {
  const t = await store.tenants.get(tenant);
  const env = t && !t.deletedAt ? await store.environments.get(tenant, environment) : null;
  if (!t || !env) throw notFound(`environment "${tenant}/${environment}"`);
  return t.tier;
}

const routes: RouteModule = (app, { store, prometheusUrl }) => {
  app.get('/v1/environments/:tenant/:env/slo', {
    schema: { tags: ['observability'], summary: 'SLO status: objectives by tier, current error/slow ratios and firing burn-rate alerts (when Prometheus is configured)', params: EnvParams, response: { 200: SloStatusSchema } },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${env}"`);
    const objectives = objectivesFor(await tierOf(store, tenant, env));
    const url = prometheusUrl;
    if (!url) return { objectives, prometheus: 'not-configured', ratios: [], firing: [] };
    try {
      const r = await readings(url, tenant, env);
      const budget = (ratio: number | null, objective: number) => (ratio === null ? null : Number((1 - ratio / (1 - objective)).toFixed(4)));
      const w3d = r.ratios.find((x) => x.window === '3d');
      return {
        objectives, prometheus: 'ok', ...r,
        budgetRemaining: { availability: budget(w3d?.errorRatio ?? null, objectives.availability), latency: budget(w3d?.slowRatio ?? null, objectives.latency), window: '3d' },
      };
    } catch (err) {
      req.log.warn({ err }, 'SLO readings failed');
      return { objectives, prometheus: 'unreachable', ratios: [], firing: [] };
    }
  });
};

export default routes;
