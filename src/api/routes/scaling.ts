// Predictive scaling of one environment: its policy (opt-in, bounds, mode) and the pre-scaler's
// decisions, newest first, each with its forecast and reason. Tenant-scoped like the environment itself.
import { Type } from '@sinclair/typebox';
import { ConflictError, InputError } from '../../domain/errors.ts';
import { DNS_SUBDOMAIN_MAX, NAME_PATTERNS } from '../../domain/naming.ts';
import { POLICY_DEFAULTS, type HpaRef, type ScalingPolicy } from '../../domain/scaling.ts';
import type { Environment } from '../../domain/types.ts';
import { IssueList } from '../../domain/validation.ts';
import { QueryScopeError, checkTenantQuery } from '../../scaling/query-scope.ts';
import { assertCanAct, assertCanSee, notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { DnsLabel, EnvParams, PageQuery } from '../schemas.ts';
import type { Store } from '../../domain/ports/store.ts';
import { PageOf, ScalingDecisionSchema, ScalingPolicySchema } from '../responses.ts';

const tags = ['scaling'];

const PolicyBody = Type.Object({
  mode: Type.Union([Type.Literal('off'), Type.Literal('dry-run'), Type.Literal('active')], { default: POLICY_DEFAULTS.mode }),
  // cluster and namespace default to the environment's; any other value is refused (400).
  hpa: Type.Object({
    cluster: Type.Optional(DnsLabel),
    namespace: Type.Optional(DnsLabel),
    name: Type.String({ minLength: 1, maxLength: DNS_SUBDOMAIN_MAX, pattern: NAME_PATTERNS.dnsSubdomain }),
  }, { additionalProperties: false }),
  query: Type.String({ minLength: 1, maxLength: 4096, description: 'PromQL returning one series of load; Fleetplane adds namespace="<the environment\'s namespace>" to every selector, and refuses a query that matches on namespace itself' }),
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

async function assertEnvironment(store: Store, tenant: string, env: string): Promise<Environment> {
  const e = await store.environments.get(tenant, env);
  if (!e) throw notFound(`environment "${tenant}/${env}"`);
  return e;
}

/**
 * The HPA a policy may move: in the environment's own cluster and namespace, nowhere else, and a
 * query that reads only that namespace (issue #14: a tenant aimed the pre-scaler at another tenant).
 */
function scopedTarget(e: Environment, hpa: { cluster?: string | undefined; namespace?: string | undefined; name: string }, query: string): HpaRef {
  const { cluster, namespace } = e.placement;
  const issues = new IssueList();
  if (!cluster) throw new ConflictError(`environment "${e.tenant}/${e.name}" is not placed on a cluster yet`);
  if (hpa.cluster !== undefined && hpa.cluster !== cluster) issues.check('/hpa/cluster', `must be the environment's cluster "${cluster}" (or left out)`);
  if (hpa.namespace !== undefined && hpa.namespace !== namespace) issues.check('/hpa/namespace', `must be the environment's namespace "${namespace}" (or left out)`);
  try {
    checkTenantQuery(query);
  } catch (err) {
    if (!(err instanceof QueryScopeError)) throw err;
    issues.check('/query', err.message);
  }
  issues.throwIfAny('the policy reaches outside its environment');
  return { cluster, namespace, name: hpa.name };
}

const routes: RouteModule = (app, { store, scaling }) => {
  app.get('/v1/environments/:tenant/:env/scaling/decisions', {
    schema: { tags, summary: "The pre-scaler's decisions for an environment, newest first, with forecast and reason", params: EnvParams, querystring: PageQuery, response: { 200: PageOf(ScalingDecisionSchema, 'A page of decisions, newest first') } },
  }, async (req, reply) => {
    const { tenant, env } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${env}"`);
    await assertEnvironment(store, tenant, env);
    const page = await scaling.decisions(tenant, env, { limit: req.query.limit, cursor: req.query.cursor });
    return sendPage(req, reply, page);
  });

  app.get('/v1/environments/:tenant/:env/scaling/policy', {
    schema: { tags, summary: "An environment's predictive-scaling policy", params: EnvParams, response: { 200: ScalingPolicySchema } },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${env}"`);
    await assertEnvironment(store, tenant, env);
    const p = await scaling.getPolicy(tenant, env);
    if (!p) throw notFound(`scaling policy of "${tenant}/${env}"`);
    return p;
  });

  app.put('/v1/environments/:tenant/:env/scaling/policy', {
    schema: { tags, summary: 'Opt an environment in or out of predictive scaling and set its bounds', params: EnvParams, body: PolicyBody, response: { 200: ScalingPolicySchema } },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanAct(req, tenant, `environment "${tenant}/${env}"`);
    const e = await assertEnvironment(store, tenant, env);
    const b = req.body;
    if (b.ceiling < b.floor) throw new InputError('ceiling must be at least floor', [{ field: '/ceiling', message: `${b.ceiling} < floor ${b.floor}` }]);
    const policy: ScalingPolicy = { ...POLICY_DEFAULTS, ...b, hpa: scopedTarget(e, b.hpa, b.query), tenant, environment: env };
    return scaling.putPolicy(policy);
  });
};

export default routes;
