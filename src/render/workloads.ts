// Deployments and CronJobs. Every pod satisfies Pod Security `restricted` (non-root, RuntimeDefault
// seccomp, no privilege escalation, all capabilities dropped, read-only root with an emptyDir /tmp),
// mounts no API token unless it needs one, and carries a config hash so config changes roll it.
import type { Probe, ResourceList } from '../domain/blueprint.ts';
import { SINGLETON_ANNOTATION, type KubeObject } from '../domain/types.ts';
import { configMapName, hasConfig } from './config.ts';
import { componentLabels, meta, obj, podLabels, selectorOf, sortedMap } from './meta.ts';
import { DEFAULT_EPHEMERAL } from './namespace.ts';
import { needsToken } from './rbac.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';
import { gpuPodClaims, modelEnv, modelMount, modelProbes, modelPuller, modelVolume } from './ai/model.ts';
import { inferenceService, knativeService } from './ai/serving.ts';
import { trainingRuntime } from './ai/training.ts';

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

export function containerResources(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  const s = c.spec;
  // A DRA device class is claimed (resources.claims), not counted as an extended resource.
  const gpu = s.gpu && !s.gpu.deviceClass ? { [s.gpu.resource ?? 'nvidia.com/gpu']: String(s.gpu.count) } : {};
  const side = (k: 'requests' | 'limits') => sortedMap({ ...quantities(c.resources[k]), ...ephemeral(ctx, c, k), ...gpu });
  return { claims: s.gpu?.deviceClass ? [{ name: 'gpu' }] : undefined, limits: side('limits'), requests: side('requests') };
}

export const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};

export function container(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  const s = c.spec;
  // A model's object-store credentials go to the init step that pulls it, never to the server.
  const envFrom = [
    ...(hasConfig(c) ? [{ configMapRef: { name: configMapName(c) } }] : []),
    ...c.secrets.filter((x) => x.secretName !== c.model?.credentialsSecret).map((x) => ({ secretRef: { name: x.secretName } })),
  ];
  const gated = modelProbes(c);
  const model = modelMount(c);
  // Keys in sorted order (canonical bytes via the native JSON.stringify; see canonical.ts).
  return {
    args: s.args,
    command: s.command,
    env: [
      { name: 'FLEETPLANE_TENANT', value: ctx.tenant.slug },
      { name: 'FLEETPLANE_ENVIRONMENT', value: ctx.env.name },
      { name: 'FLEETPLANE_ENVIRONMENT_TYPE', value: ctx.env.type },
      ...modelEnv(c),
    ],
    envFrom: envFrom.length > 0 ? envFrom : undefined,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    livenessProbe: probe(s.probes?.liveness),
    name: s.name,
    ports: s.ports?.map((p) => ({ containerPort: p.port, name: p.name, protocol: p.protocol ?? 'TCP' })),
    readinessProbe: probe(gated?.readiness ?? s.probes?.readiness),
    resources: containerResources(ctx, c),
    securityContext: CONTAINER_SECURITY,
    startupProbe: probe(gated?.startup ?? s.probes?.startup),
    volumeMounts: model ? [model, { mountPath: '/tmp', name: 'tmp' }] : [{ mountPath: '/tmp', name: 'tmp' }],
  };
}

export const POD_SECURITY = { fsGroup: NON_ROOT_UID, runAsGroup: NON_ROOT_UID, runAsNonRoot: true, runAsUser: NON_ROOT_UID, seccompProfile: { type: 'RuntimeDefault' } };

export function podVolumes(c: ResolvedComponent): Array<Record<string, unknown>> {
  const model = modelVolume(c);
  return model ? [model, { emptyDir: { sizeLimit: TMP_SIZE_LIMIT }, name: 'tmp' }] : [{ emptyDir: { sizeLimit: TMP_SIZE_LIMIT }, name: 'tmp' }];
}

function spread(ctx: RenderContext, c: ResolvedComponent): unknown[] | undefined {
  if (ctx.env.type !== 'prod') return undefined;
  const labelSelector = { matchLabels: selectorOf(c) };
  return [
    { labelSelector, maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
    { labelSelector, maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
  ];
}

export function podSpec(ctx: RenderContext, c: ResolvedComponent, restartPolicy?: 'OnFailure' | 'Never'): Record<string, unknown> {
  const puller = modelPuller(ctx, c, CONTAINER_SECURITY);
  return {
    affinity: c.affinity,
    automountServiceAccountToken: needsToken(c),
    containers: [container(ctx, c)],
    enableServiceLinks: false,
    initContainers: puller ? [puller] : undefined,
    nodeSelector: Object.keys(c.nodeSelector).length > 0 ? c.nodeSelector : undefined,
    resourceClaims: gpuPodClaims(c),
    restartPolicy,
    securityContext: POD_SECURITY,
    serviceAccountName: c.spec.name,
    terminationGracePeriodSeconds: 30,
    tolerations: c.tolerations.length > 0 ? c.tolerations : undefined,
    topologySpreadConstraints: restartPolicy ? undefined : spread(ctx, c),
    volumes: podVolumes(c),
  };
}

/** Pod template metadata: labels without the revision, plus the config hash that rolls pods on config change. */
export function template(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  return { annotations: { 'fleetplane.io/config-hash': c.configHash }, labels: podLabels(ctx, c) };
}

/**
 * GPU workloads replace pods instead of surging: a surge pod needs one more GPU than the quota and
 * the GPU node pool are sized for, so it would never schedule and every upgrade would time out.
 */
function rollingUpdate(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  // A singleton never runs two pods at once, not even during its own rollout.
  if (c.spec.singleton) return { type: 'Recreate' };
  if (c.spec.gpu) return { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' };
  return { rollingUpdate: { maxSurge: '25%', maxUnavailable: ctx.env.type === 'prod' ? 0 : '25%' }, type: 'RollingUpdate' };
}

function deployment(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const spec: Record<string, unknown> = {
    progressDeadlineSeconds: 600,
    // With an HPA (or KEDA's) the replica count belongs to the autoscaler; setting it here would fight it on every apply.
    replicas: c.choice.scaler === 'none' ? c.choice.minReplicas : undefined,
    revisionHistoryLimit: 5,
    selector: { matchLabels: selectorOf(c) },
    strategy: rollingUpdate(ctx, c),
    template: { metadata: template(ctx, c), spec: podSpec(ctx, c) },
  };
  const annotations = c.spec.singleton ? { [SINGLETON_ANNOTATION]: 'true' } : undefined;
  return obj('apps/v1', 'Deployment', meta(ctx, c.spec.name, componentLabels(ctx, c), annotations), { spec });
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

/** One workload per component, of the form chosen for this cluster (./ai/choice.ts); a training-job's runs are started through the API. */
export function renderWorkloads(ctx: RenderContext): KubeObject[] {
  const out: KubeObject[] = [];
  for (const c of ctx.components) {
    switch (c.choice.form) {
      case 'Deployment': out.push(deployment(ctx, c)); break;
      case 'CronJob': out.push(cronJob(ctx, c)); break;
      case 'InferenceService': out.push(inferenceService(ctx, c)); break;
      case 'KnativeService': out.push(knativeService(ctx, c)); break;
      case 'TrainingRuntime': out.push(trainingRuntime(ctx, c)); break;
      default: break;
    }
  }
  return out;
}
