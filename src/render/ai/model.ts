// Model weights for the AI kinds (docs/ai-workloads.md): the environment's own PersistentVolumeClaim
// `<component>-model` mounted read-only, or an emptyDir an init step fills from an object-store URI
// with credentials by reference; readiness that waits for the model; GPUs as a DRA device class.
// Pure builders the workload builders (../workloads.ts) and ./serving.ts call.
import type { Probe } from '../../domain/blueprint.ts';
import type { KubeObject } from '../../domain/types.ts';
import { componentLabels, meta, obj } from '../meta.ts';
import type { RenderContext, ResolvedComponent } from '../types.ts';

export const DEFAULT_MODEL_MOUNT = '/mnt/models';
/** The Open Inference Protocol's (KServe v2) readiness: true once the server has loaded its models. */
export const DEFAULT_MODEL_READY_PATH = '/v2/health/ready';
export const DEFAULT_MODEL_LOAD_SECONDS = 600;
export const DEFAULT_PULLED_MODEL_SIZE = '10Gi';
const MODEL_VOLUME = 'model';
const STARTUP_PERIOD_SECONDS = 10;

export const modelClaimName = (c: ResolvedComponent): string => `${c.spec.name}-model`;
export const gpuClaimTemplateName = (c: ResolvedComponent): string => `${c.spec.name}-gpu`;

/** Where the server reads its model: the mount plus the model's path below the source's root. */
export function modelPath(c: ResolvedComponent): string {
  const m = c.spec.model!;
  const root = m.mountPath ?? DEFAULT_MODEL_MOUNT;
  return m.path ? `${root}/${m.path}` : root;
}

/** The storage URI KServe reads: pvc://<claim>/<path>, or the object-store URI itself. */
export function storageUri(c: ResolvedComponent): string {
  const m = c.spec.model!;
  if (m.source.pvc) return `pvc://${modelClaimName(c)}${m.path ? `/${m.path}` : ''}`;
  return c.model!.uri!;
}

/** The environment's model claims: one per component with a PVC source, in its own namespace (no other tenant's pod can mount it). */
export function renderModelStorage(ctx: RenderContext): KubeObject[] {
  const out: KubeObject[] = [];
  for (const c of ctx.components) {
    const pvc = c.spec.model?.source.pvc;
    if (!pvc) continue;
    out.push(obj('v1', 'PersistentVolumeClaim', meta(ctx, modelClaimName(c), componentLabels(ctx, c)), {
      spec: {
        accessModes: [pvc.accessMode ?? 'ReadWriteOnce'],
        resources: { requests: { storage: String(pvc.size) } },
        storageClassName: pvc.storageClass,
        volumeMode: 'Filesystem',
      },
    }));
  }
  return out;
}

/** DRA: a ResourceClaimTemplate of `count` devices of the device class, one claim per pod. */
export function renderGpuClaims(ctx: RenderContext): KubeObject[] {
  const out: KubeObject[] = [];
  for (const c of ctx.components) {
    const g = c.spec.gpu;
    if (!g?.deviceClass || c.spec.kind === 'helm-chart') continue;
    out.push(obj('resource.k8s.io/v1', 'ResourceClaimTemplate', meta(ctx, gpuClaimTemplateName(c), componentLabels(ctx, c)), {
      spec: { spec: { devices: { requests: [{ exactly: { allocationMode: 'ExactCount', count: g.count, deviceClassName: g.deviceClass }, name: 'gpu' }] } } },
    }));
  }
  return out;
}

/** Pod-level pieces of the GPU as a device class. */
export function gpuPodClaims(c: ResolvedComponent): Array<Record<string, unknown>> | undefined {
  return c.spec.gpu?.deviceClass ? [{ name: 'gpu', resourceClaimTemplateName: gpuClaimTemplateName(c) }] : undefined;
}

export function modelVolume(c: ResolvedComponent): Record<string, unknown> | null {
  const src = c.spec.model?.source;
  if (!src) return null;
  if (src.pvc) return { name: MODEL_VOLUME, persistentVolumeClaim: { claimName: modelClaimName(c), readOnly: true } };
  return { emptyDir: { sizeLimit: String(src.uri!.size ?? DEFAULT_PULLED_MODEL_SIZE) }, name: MODEL_VOLUME };
}

export function modelMount(c: ResolvedComponent): Record<string, unknown> | null {
  if (!c.spec.model) return null;
  return { mountPath: c.spec.model.mountPath ?? DEFAULT_MODEL_MOUNT, name: MODEL_VOLUME, readOnly: true };
}

/**
 * The init step that pulls an object-store model before the server starts (so the server never
 * starts without it): KServe's storage initializer, `<uri> <dir>`, reading its credentials from the
 * referenced Secret only. Restricted like every other container; its ephemeral storage is the model's.
 */
export function modelPuller(ctx: RenderContext, c: ResolvedComponent, securityContext: Record<string, unknown>): Record<string, unknown> | null {
  const src = c.spec.model?.source.uri;
  if (!src) return null;
  const size = String(src.size ?? DEFAULT_PULLED_MODEL_SIZE);
  return {
    args: [c.model!.uri!, c.spec.model!.mountPath ?? DEFAULT_MODEL_MOUNT],
    envFrom: c.model!.credentialsSecret ? [{ secretRef: { name: c.model!.credentialsSecret } }] : undefined,
    image: ctx.platform.modelPullerImage,
    imagePullPolicy: 'IfNotPresent',
    name: 'model-puller',
    resources: { limits: { cpu: '1', 'ephemeral-storage': size, memory: '1Gi' }, requests: { cpu: '100m', 'ephemeral-storage': size, memory: '256Mi' } },
    securityContext,
    volumeMounts: [{ mountPath: c.spec.model!.mountPath ?? DEFAULT_MODEL_MOUNT, name: MODEL_VOLUME }, { mountPath: '/tmp', name: 'tmp' }],
  };
}

/**
 * Readiness gated on the model: the declared readiness probe, else the model server's ready path on
 * its first port; plus a startup probe that allows `loadTimeoutSeconds` for loading before the
 * liveness probe may restart it. Undefined for components without a model (their probes stand).
 */
export function modelProbes(c: ResolvedComponent): { readiness: Probe; startup: Probe } | null {
  const m = c.spec.model;
  if (!m || c.spec.kind === 'training-job') return null;
  const port = c.spec.probes?.readiness?.port ?? c.spec.ports![0]!.name;
  const readiness: Probe = c.spec.probes?.readiness ?? { port, path: m.readyPath ?? DEFAULT_MODEL_READY_PATH };
  const budget = m.loadTimeoutSeconds ?? DEFAULT_MODEL_LOAD_SECONDS;
  const startup: Probe = c.spec.probes?.startup ?? { ...readiness, periodSeconds: STARTUP_PERIOD_SECONDS, failureThreshold: Math.ceil(budget / STARTUP_PERIOD_SECONDS) };
  return { readiness, startup };
}

/** Environment the server gets about its model. */
export function modelEnv(c: ResolvedComponent): Array<{ name: string; value: string }> {
  if (!c.spec.model) return [];
  return [{ name: 'MODEL_PATH', value: modelPath(c) }];
}
