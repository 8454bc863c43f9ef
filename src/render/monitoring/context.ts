// The monitoring context of one environment, taken from its render context: the components that
// declare `metrics: {port, path}` (served ones: not Helm charts or cron jobs), the environment's
// names and labels, and the runbook base. Checked before anything is built from it.
import { InputError, type FieldIssue } from '../../domain/errors.ts';
import { isDnsLabel } from '../../domain/naming.ts';
import { ENVIRONMENT_TYPES, TIERS } from '../../domain/types.ts';
import { oneOf } from '../../domain/validation.ts';
import { envLabels } from '../meta.ts';
import type { RenderContext } from '../types.ts';
import { runbookBaseIssue } from './runbooks.ts';
import type { MonitoringContext, ObservedService } from './types.ts';

export function monitoringContext(ctx: RenderContext): MonitoringContext {
  const services = ctx.components
    .filter((c) => c.spec.metrics && c.spec.kind !== 'helm-chart' && c.spec.kind !== 'cron-job')
    .map((c) => ({ name: c.spec.name, component: c.spec.name, port: c.spec.metrics!.port, path: c.spec.metrics!.path }));
  return {
    tenant: ctx.tenant.slug,
    environment: ctx.env.name,
    envType: ctx.env.type,
    namespace: ctx.namespace,
    tier: ctx.tenant.tier,
    labels: envLabels(ctx),
    services,
    runbookBase: ctx.platform.runbookBaseUrl,
  };
}

// Kubernetes named ports: IANA_SVC_NAME, at most 15 characters, at least one letter.
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;
const PATH = /^\/[A-Za-z0-9._~/-]*$/;

function serviceIssues(s: ObservedService, i: number): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!isDnsLabel(s.name)) issues.push({ field: `/services/${i}/name`, message: 'must be a DNS label' });
  if (!PORT_NAME.test(s.port)) issues.push({ field: `/services/${i}/port`, message: 'must be a named port (IANA service name)' });
  if (s.path !== undefined && !PATH.test(s.path)) issues.push({ field: `/services/${i}/path`, message: 'must be an absolute URL path' });
  return issues;
}

/** Throws one InputError naming every bad field of the context. */
export function validateContext(ctx: MonitoringContext): void {
  const issues: FieldIssue[] = [];
  for (const f of ['tenant', 'environment', 'namespace'] as const) {
    if (!isDnsLabel(ctx[f])) issues.push({ field: `/${f}`, message: 'must be a DNS label' });
  }
  if (!(TIERS as readonly string[]).includes(ctx.tier)) issues.push({ field: '/tier', message: `must be ${oneOf(TIERS)}` });
  if (!(ENVIRONMENT_TYPES as readonly string[]).includes(ctx.envType)) issues.push({ field: '/envType', message: `must be ${oneOf(ENVIRONMENT_TYPES)}` });
  ctx.services.forEach((s, i) => issues.push(...serviceIssues(s, i)));
  const runbook = ctx.runbookBase === undefined ? null : runbookBaseIssue(ctx.runbookBase);
  if (runbook) issues.push({ field: '/runbookBase', message: runbook });
  if (issues.length > 0) throw new InputError(`invalid monitoring context: ${issues[0]!.field} ${issues[0]!.message}`, issues);
}
