// AI workloads (docs/ai-workloads.md): an environment's hibernation (state, schedule, saved
// replica-hours and GPU-hours; the :hibernate and :wake verbs are in actions.ts) and its training
// runs. Tenant-scoped like the environment: a tenant token reaches only its own environments.
import { Type } from '@sinclair/typebox';
import { HIBERNATION_SCHEDULE_SCHEMA, type HibernationSchedule } from '../../domain/hibernation.ts';
import { InputError } from '../../domain/errors.ts';
import { assertCanAct, assertCanSee } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { DnsLabel, EnvParams } from '../schemas.ts';
import { checkStartRequest, hibernationStatus, setHibernationSchedule, tenantSavings, TrainingService } from '../services/ai-workloads.ts';
import { HibernationSavingsSchema, HibernationStatusSchema, TrainingRunSchema, TrainingRunsSchema } from '../responses.ts';

const tags = ['ai-workloads'];
const Schedule = Type.Unsafe<HibernationSchedule>(HIBERNATION_SCHEDULE_SCHEMA);
const StartBody = Type.Object({
  component: DnsLabel,
  id: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$', description: 'unique per component in the environment (default: from the time)' })),
  args: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 64, description: 'replace the component\'s args for this run' })),
}, { additionalProperties: false });
const SavingsQuery = Type.Object({ from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false });
const TenantParams = Type.Object({ tenant: DnsLabel });

const date = (field: string, v: string | undefined): Date | undefined => {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InputError(`${field}: must be a date-time`, [{ field, message: 'must be a date-time' }]);
  return d;
};

const routes: RouteModule = (app, deps) => {
  const d = { store: deps.store, connections: deps.connections, now: deps.now };
  const training = new TrainingService(d);

  app.get('/v1/environments/:tenant/:env/hibernation', {
    schema: { tags, summary: 'Hibernation: state, the schedule that applies, the next scheduled change, and the replica-hours and GPU-hours saved', params: EnvParams, response: { 200: HibernationStatusSchema } },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${env}"`);
    return hibernationStatus(d, tenant, env);
  });

  app.put('/v1/environments/:tenant/:env/hibernation/schedule', {
    schema: { tags, summary: "Set the environment's own hibernation schedule (over its environment type's)", params: EnvParams, body: Schedule, response: { 200: HibernationStatusSchema } },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanAct(req, tenant, `environment "${tenant}/${env}"`);
    return setHibernationSchedule(d, tenant, env, req.body);
  });

  app.delete('/v1/environments/:tenant/:env/hibernation/schedule', {
    schema: { tags, summary: "Drop the environment's own schedule (its environment type's applies again)", params: EnvParams, response: { 200: HibernationStatusSchema } },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanAct(req, tenant, `environment "${tenant}/${env}"`);
    return setHibernationSchedule(d, tenant, env, null);
  });

  app.get('/v1/tenants/:tenant/hibernation/savings', {
    schema: { tags, summary: 'Replica-hours and GPU-hours saved by hibernation, per environment and in total (optionally within from..to)', params: TenantParams, querystring: SavingsQuery, response: { 200: HibernationSavingsSchema } },
  }, async (req) => {
    const { tenant } = req.params;
    assertCanSee(req, tenant, `tenant "${tenant}"`);
    const from = date('/from', req.query.from);
    const to = date('/to', req.query.to);
    return tenantSavings(d, tenant, { ...(from ? { from } : {}), ...(to ? { to } : {}) });
  });

  app.post('/v1/environments/:tenant/:env/training-jobs', {
    schema: { tags, summary: 'Start a run of a training-job component: a TrainJob where Kubeflow Trainer is installed, else a batch Job; counted against the training GPU quota', params: EnvParams, body: StartBody, response: { 201: TrainingRunSchema } },
  }, async (req, reply) => {
    const { tenant, env } = req.params;
    assertCanAct(req, tenant, `environment "${tenant}/${env}"`);
    checkStartRequest(req.body);
    const run = await training.start(tenant, env, req.body);
    return reply.status(201).send(run);
  });

  app.get('/v1/environments/:tenant/:env/training-jobs', {
    schema: { tags, summary: "The environment's training runs with their state (read back from the cluster) and GPU-hours", params: EnvParams, response: { 200: TrainingRunsSchema } },
  }, async (req) => {
    const { tenant, env } = req.params;
    assertCanSee(req, tenant, `environment "${tenant}/${env}"`);
    return training.list(tenant, env);
  });
};

export default routes;
