// Deployments and CronJobs. Every pod satisfies Pod Security `restricted` (non-root, RuntimeDefault
// seccomp, no privilege escalation, all capabilities dropped, read-only root with an emptyDir /tmp),
// mounts no API token unless it needs one, and carries a config hash so config changes roll it.
import type { Probe, ResourceList } from '../domain/blueprint.ts';
import type { KubeObject } from '../domain/types.ts';
import { configMapName, hasConfig } from './config.ts';
import { componentLabels, meta, obj, podLabels, selectorOf, sortedMap } from './meta.ts';
import { DEFAULT_EPHEMERAL } from './namespace.ts';
import { needsToken } from './rbac.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';

const NON_ROOT_UID = 10001;
/** The /tmp emptyDir's cap (counted against the container's ephemeral-storage limit). */
export const TMP_SIZE_LIMIT = '256Mi';
/** A CronJob run that missed its start by this much is skipped, not started late. */
export const CRON_STARTING_DEADLINE_SECONDS = 300;
/** A run is killed after this long by default, so one hung run cannot block every later one (Forbid). */
export const DEFAULT_ACTIVE_DEADLINE_SECONDS = 3600;

function quantities(r: ResourceList | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r ?? {})) out[k] = String(v);
  return out;
}

function probe(p: Probe | undefined): Record<string, unknown> | undefined {
  if (!p) return undefined;
  return {
    failureThreshold: p.failureThreshold ?? 3,
    httpGet: p.path ? { path: p.path, port: p.port } : undefined,
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds ?? 10,
    tcpSocket: p.path ? undefined : { port: p.port },
    timeoutSeconds: 2,
  };
}

/** ephemeral-storage for a container that does not set it: the environment type's container defaults. */
function ephemeral(ctx: RenderContext, c: ResolvedComponent, side: 'requests' | 'limits'): Record<string, string> {
  const own = c.resources[side]?.['ephemeral-storage'];
  if (own) return {};
  const d = ctx.blueprint.spec.environmentTypes[ctx.env.type].containerDefaults;
  const v = side === 'requests' ? d.request?.['ephemeral-storage'] ?? DEFAULT_EPHEMERAL.request : d.limit?.['ephemeral-storage'] ?? DEFAULT_EPHEMERAL.limit;
  return { 'ephemeral-storage': String(v) };
}

function containerResources(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  const s = c.spec;
  const gpu = s.gpu ? { [s.gpu.resource ?? 'nvidia.com/gpu']: String(s.gpu.count) } : {};
  const side = (k: 'requests' | 'limits') => sortedMap({ ...quantities(c.resources[k]), ...ephemeral(ctx, c, k), ...gpu });
  return { limits: side('limits'), requests: side('requests') };
}

function container(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  const s = c.spec;
  const envFrom = [
    ...(hasConfig(c) ? [{ configMapRef: { name: configMapName(c) } }] : []),
    ...c.secrets.map((x) => ({ secretRef: { name: x.secretName } })),
  ];
  // Keys in sorted order (canonical bytes via the native JSON.stringify; see canonical.ts).
  return {
    args: s.args,
    command: s.command,
    env: [
      { name: 'FLEETPLANE_TENANT', value: ctx.tenant.slug },
      { name: 'FLEETPLANE_ENVIRONMENT', value: ctx.env.name },
      { name: 'FLEETPLANE_ENVIRONMENT_TYPE', value: ctx.env.type },
    ],
    envFrom: envFrom.length > 0 ? envFrom : undefined,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    livenessProbe: probe(s.probes?.liveness),
    name: s.name,
    ports: s.ports?.map((p) => ({ containerPort: p.port, name: p.name, protocol: p.protocol ?? 'TCP' })),
    readinessProbe: probe(s.probes?.readiness),
    resources: containerResources(ctx, c),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    },
    startupProbe: probe(s.probes?.startup),
    volumeMounts: [{ mountPath: '/tmp', name: 'tmp' }],
  };
}

function spread(ctx: RenderContext, c: ResolvedComponent): unknown[] | undefined {
  if (ctx.env.type !== 'prod') return undefined;
  const labelSelector = { matchLabels: selectorOf(c) };
  return [
    { labelSelector, maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
    { labelSelector, maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
  ];
}

export function podSpec(ctx: RenderContext, c: ResolvedComponent, restartPolicy?: 'OnFailure'): Record<string, unknown> {
  return {
    affinity: c.affinity,
    automountServiceAccountToken: needsToken(c),
    containers: [container(ctx, c)],
    enableServiceLinks: false,
    nodeSelector: Object.keys(c.nodeSelector).length > 0 ? c.nodeSelector : undefined,
    restartPolicy,
    securityContext: { fsGroup: NON_ROOT_UID, runAsGroup: NON_ROOT_UID, runAsNonRoot: true, runAsUser: NON_ROOT_UID, seccompProfile: { type: 'RuntimeDefault' } },
    serviceAccountName: c.spec.name,
    terminationGracePeriodSeconds: 30,
    tolerations: c.tolerations.length > 0 ? c.tolerations : undefined,
    topologySpreadConstraints: restartPolicy ? undefined : spread(ctx, c),
    volumes: [{ emptyDir: { sizeLimit: TMP_SIZE_LIMIT }, name: 'tmp' }],
  };
}

/** Pod template metadata: labels without the revision, plus the config hash that rolls pods on config change. */
function template(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  return { annotations: { 'fleetplane.io/config-hash': c.configHash }, labels: podLabels(ctx, c) };
}

/**
 * GPU workloads replace pods instead of surging: a surge pod needs one more GPU than the quota and
 * the GPU node pool are sized for, so it would never schedule and every upgrade would time out.
 */
function rollingUpdate(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  if (c.spec.gpu) return { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' };
  return { rollingUpdate: { maxSurge: '25%', maxUnavailable: ctx.env.type === 'prod' ? 0 : '25%' }, type: 'RollingUpdate' };
}

function deployment(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const spec: Record<string, unknown> = {
    progressDeadlineSeconds: 600,
    // With an HPA the replica count belongs to the autoscaler; setting it here would fight it on every apply.
    replicas: c.scaling ? undefined : c.replicas,
    revisionHistoryLimit: 5,
    selector: { matchLabels: selectorOf(c) },
    strategy: rollingUpdate(ctx, c),
    template: { metadata: template(ctx, c), spec: podSpec(ctx, c) },
  };
  return obj('apps/v1', 'Deployment', meta(ctx, c.spec.name, componentLabels(ctx, c)), { spec });
}

function cronJob(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const pod = podSpec(ctx, c, 'OnFailure');
  const spec = {
    concurrencyPolicy: c.spec.concurrencyPolicy ?? 'Forbid',
    failedJobsHistoryLimit: 3,
    jobTemplate: {
      metadata: { labels: podLabels(ctx, c) },
      spec: { activeDeadlineSeconds: c.spec.activeDeadlineSeconds ?? DEFAULT_ACTIVE_DEADLINE_SECONDS, backoffLimit: 2, template: { metadata: template(ctx, c), spec: pod } },
    },
    schedule: c.spec.schedule,
    startingDeadlineSeconds: CRON_STARTING_DEADLINE_SECONDS,
    successfulJobsHistoryLimit: 3,
    timeZone: 'Etc/UTC',
  };
  return obj('batch/v1', 'CronJob', meta(ctx, c.spec.name, componentLabels(ctx, c)), { spec });
}

export function renderWorkloads(ctx: RenderContext): KubeObject[] {
  const out: KubeObject[] = [];
  for (const c of ctx.components) {
    if (c.spec.kind === 'helm-chart') continue;
    out.push(c.spec.kind === 'cron-job' ? cronJob(ctx, c) : deployment(ctx, c));
  }
  return out;
}
