// Predictive scaling of one environment: its policy (opt-in, bounds, mode) and the pre-scaler's
// decisions, newest first, each with its forecast and reason. Tenant-scoped like the environment itself.
import { Type } from '@sinclair/typebox';
import { InputError } from '../../domain/errors.ts';
import { DNS_SUBDOMAIN_MAX, NAME_PATTERNS } from '../../domain/naming.ts';
import { POLICY_DEFAULTS, type ScalingPolicy } from '../../domain/scaling.ts';
import { assertCanAct, assertCanSee, notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { DnsLabel, EnvParams, PageQuery } from '../schemas.ts';
import type { Store } from '../../domain/ports/store.ts';

const tags = ['scaling'];

const PolicyBody = Type.Object({
  mode: Type.Union([Type.Literal('off'), Type.Literal('dry-run'), Type.Literal('active')], { default: POLICY_DEFAULTS.mode }),
  hpa: Type.Object({ cluster: DnsLabel, namespace: DnsLabel, name: Type.String({ minLength: 1, maxLength: DNS_SUBDOMAIN_MAX, pattern: NAME_PATTERNS.dnsSubdomain }) }, { additionalProperties: false }),
  query: Type.String({ minLength: 1, maxLength: 4096, description: 'PromQL returning one series of load' }),
  floor: Type.Integer({ minimum: 1, maximum: 10_000 }),
  ceiling: Type.Integer({ minimum: 1, maximum: 10_000 }),
  capacityPerPod: Type.Number({ exclusiveMinimum: 0, description: 'load one pod serves, in the query unit' }),
  leadTimeSeconds: Type.Integer({ minimum: 30, maximum: 3600, default: POLICY_DEFAULTS.leadTimeSeconds, description: 'pod start-up + readiness + HPA sync' }),
  cooldownMinutes: Type.Integer({ minimum: 0, maximum: 1440, default: POLICY_DEFAULTS.cooldownMinutes }),
  hysteresis: Type.Number({ minimum: 0, maximum: 0.9, default: POLICY_DEFAULTS.hysteresis }),
  quantile: Type.Number({ minimum: 0.5, maximum: 0.99, default: POLICY_DEFAULTS.quantile }),
  historyDays: Type.Integer({ minimum: 1, maximum: 14, default: POLICY_DEFAULTS.historyDays }),
  stepSeconds: Type.Integer({ minimum: 15, maximum: 3600, default: POLICY_DEFAULTS.stepSeconds }),
}, { additionalProperties: false });

async function assertEnvironment(store: Store, tenant: string, env: string): Promise<void> {
  if (!(await store.environments.get(tenant, env))) throw notFound(`environment "${tenant}/${env}"`);
}

const routes: RouteModule = (app, { store, scaling }) => {
  app.get('/v1/environments/:tenant/:env/scaling/decisions', {
    schema: { tags, summary: "The pre-scaler's decisions for an environment, newest first, with forecast and reason", params: EnvParams, querystring: PageQuery },
  }, async (req, reply) => {
    const { tenant, env } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${env}"`);
    await assertEnvironment(store, tenant, env);
    const page = await scaling.decisions(tenant, env, { limit: req.query.limit, cursor: req.query.cursor });
    return sendPage(req, reply, page);
  });

  app.get('/v1/environments/:tenant/:env/scaling/policy', {
    schema: { tags, summary: "An environment's predictive-scaling policy", params: EnvParams },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${env}"`);
    await assertEnvironment(store, tenant, env);
    const p = await scaling.getPolicy(tenant, env);
    if (!p) throw notFound(`scaling policy of "${tenant}/${env}"`);
    return p;
  });

  app.put('/v1/environments/:tenant/:env/scaling/policy', {
    schema: { tags, summary: 'Opt an environment in or out of predictive scaling and set its bounds', params: EnvParams, body: PolicyBody },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanAct(req, tenant, `environment "${tenant}/${env}"`);
    await assertEnvironment(store, tenant, env);
    const b = req.body;
    if (b.ceiling < b.floor) throw new InputError('ceiling must be at least floor', [{ field: '/ceiling', message: `${b.ceiling} < floor ${b.floor}` }]);
    const policy: ScalingPolicy = { ...POLICY_DEFAULTS, ...b, tenant, environment: env };
    return scaling.putPolicy(policy);
  });
};

export default routes;
