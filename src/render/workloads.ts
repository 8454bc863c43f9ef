// Deployments and CronJobs. Every pod satisfies Pod Security `restricted` (non-root, RuntimeDefault
// seccomp, no privilege escalation, all capabilities dropped, read-only root with an emptyDir /tmp),
// mounts no API token unless it needs one, and carries a config hash so config changes roll it.
import type { Probe, ResourceList } from '../domain/blueprint.ts';
import type { KubeObject } from '../domain/types.ts';
import { configHash, configMapName, hasConfig } from './config.ts';
import { componentLabels, meta, obj, selectorOf } from './meta.ts';
import { needsToken } from './rbac.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';
import { LABELS } from '../domain/types.ts';

const NON_ROOT_UID = 10001;

function quantities(r: ResourceList | undefined, extra?: Record<string, string>): Record<string, string> | undefined {
  if (!r && !extra) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r ?? {})) out[k] = String(v);
  return extra ? { ...out, ...extra } : out;
}

function probe(p: Probe | undefined): Record<string, unknown> | undefined {
  if (!p) return undefined;
  const action = p.path ? { httpGet: { path: p.path, port: p.port } } : { tcpSocket: { port: p.port } };
  return { ...action, initialDelaySeconds: p.initialDelaySeconds, periodSeconds: p.periodSeconds ?? 10, failureThreshold: p.failureThreshold ?? 3, timeoutSeconds: 2 };
}

function container(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  const s = c.spec;
  const gpu = s.gpu ? { [s.gpu.resource ?? 'nvidia.com/gpu']: String(s.gpu.count) } : undefined;
  const envFrom = [
    ...(hasConfig(c) ? [{ configMapRef: { name: configMapName(c) } }] : []),
    ...c.secrets.map((x) => ({ secretRef: { name: x.secretName } })),
  ];
  return {
    name: s.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    command: s.command,
    args: s.args,
    ports: s.ports?.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol ?? 'TCP' })),
    env: [
      { name: 'FLEETPLANE_TENANT', value: ctx.tenant.slug },
      { name: 'FLEETPLANE_ENVIRONMENT', value: ctx.env.name },
      { name: 'FLEETPLANE_ENVIRONMENT_TYPE', value: ctx.env.type },
    ],
    envFrom: envFrom.length > 0 ? envFrom : undefined,
    resources: { requests: quantities(c.resources.requests, gpu), limits: quantities(c.resources.limits, gpu) },
    readinessProbe: probe(s.probes?.readiness),
    livenessProbe: probe(s.probes?.liveness),
    startupProbe: probe(s.probes?.startup),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

function spread(ctx: RenderContext, c: ResolvedComponent): unknown[] | undefined {
  if (ctx.env.type !== 'prod') return undefined;
  const labelSelector = { matchLabels: selectorOf(c) };
  return [
    { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector },
    { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector },
  ];
}

export function podSpec(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  return {
    serviceAccountName: c.spec.name,
    automountServiceAccountToken: needsToken(c),
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: NON_ROOT_UID, runAsGroup: NON_ROOT_UID, fsGroup: NON_ROOT_UID, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [container(ctx, c)],
    volumes: [{ name: 'tmp', emptyDir: {} }],
    nodeSelector: Object.keys(c.nodeSelector).length > 0 ? c.nodeSelector : undefined,
    tolerations: c.tolerations.length > 0 ? c.tolerations : undefined,
    topologySpreadConstraints: spread(ctx, c),
    terminationGracePeriodSeconds: 30,
  };
}

/** Pod template metadata: component labels minus the revision label, which would roll pods for nothing. */
function template(ctx: RenderContext, c: ResolvedComponent): Record<string, unknown> {
  const labels = componentLabels(ctx, c);
  delete labels[LABELS.revision];
  return { labels, annotations: { 'fleetplane.io/config-hash': configHash(c) } };
}

function deployment(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const spec: Record<string, unknown> = {
    // With an HPA the replica count belongs to the autoscaler; setting it here would fight it on every apply.
    replicas: c.scaling ? undefined : c.replicas,
    revisionHistoryLimit: 5,
    progressDeadlineSeconds: 600,
    selector: { matchLabels: selectorOf(c) },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: ctx.env.type === 'prod' ? 0 : '25%' } },
    template: { metadata: template(ctx, c), spec: podSpec(ctx, c) },
  };
  return obj('apps/v1', 'Deployment', meta(ctx, c.spec.name, componentLabels(ctx, c)), { spec });
}

function cronJob(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const pod = { ...podSpec(ctx, c), restartPolicy: 'OnFailure', topologySpreadConstraints: undefined };
  const spec = {
    schedule: c.spec.schedule,
    timeZone: 'Etc/UTC',
    concurrencyPolicy: c.spec.concurrencyPolicy ?? 'Forbid',
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    jobTemplate: { metadata: { labels: template(ctx, c).labels }, spec: { backoffLimit: 2, template: { metadata: template(ctx, c), spec: pod } } },
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
