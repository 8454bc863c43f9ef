// What a pod requests, as the scheduler counts it: the larger of its app containers' sum (plus
// restartable init containers, i.e. sidecars) and its largest ordinary init container, plus the
// pod overhead. A container's request defaults to its limit when only the limit is set (as the API
// server defaults it; extended resources such as GPUs are usually given as limits only).
// Pure: plain objects in, numbers out.
import { parseQuantity } from '../domain/quantity.ts';

export interface PodRequests {
  cpuMillis: number;
  memoryBytes: number;
  gpus: number;
}

interface ContainerLike {
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  restartPolicy?: string;
}

export interface PodLike {
  metadata?: { deletionTimestamp?: string };
  spec?: { nodeName?: string; containers?: ContainerLike[]; initContainers?: ContainerLike[]; overhead?: Record<string, string | number> };
  status?: { phase?: string };
}

export const DEFAULT_GPU_RESOURCES = ['nvidia.com/gpu'];

const ZERO: PodRequests = { cpuMillis: 0, memoryBytes: 0, gpus: 0 };

function containerRequests(c: ContainerLike, gpuResources: readonly string[]): PodRequests {
  const pick = (r: string): number => {
    const v = c.resources?.requests?.[r] ?? c.resources?.limits?.[r];
    return v === undefined ? 0 : parseQuantity(v);
  };
  return {
    cpuMillis: Math.ceil(pick('cpu') * 1000 - 1e-9),
    memoryBytes: Math.ceil(pick('memory') - 1e-9),
    gpus: gpuResources.reduce((n, r) => n + pick(r), 0),
  };
}

const add = (a: PodRequests, b: PodRequests): PodRequests => ({ cpuMillis: a.cpuMillis + b.cpuMillis, memoryBytes: a.memoryBytes + b.memoryBytes, gpus: a.gpus + b.gpus });
const max = (a: PodRequests, b: PodRequests): PodRequests => ({ cpuMillis: Math.max(a.cpuMillis, b.cpuMillis), memoryBytes: Math.max(a.memoryBytes, b.memoryBytes), gpus: Math.max(a.gpus, b.gpus) });

export function podRequests(pod: PodLike, gpuResources: readonly string[] = DEFAULT_GPU_RESOURCES): PodRequests {
  const spec = pod.spec ?? {};
  let sidecars = ZERO;
  let init = ZERO;
  // Init containers run in order; a sidecar (restartPolicy Always) keeps running for the rest of them.
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, gpuResources);
    if (c.restartPolicy === 'Always') sidecars = add(sidecars, r);
    else init = max(init, add(sidecars, r));
  }
  const app = (spec.containers ?? []).reduce((s, c) => add(s, containerRequests(c, gpuResources)), sidecars);
  const overhead = containerRequests({ resources: { requests: spec.overhead ?? {} } }, gpuResources);
  return add(max(app, init), overhead);
}

/** A pod holds its requests once it is bound to a node and until it has terminated. */
export function holdsResources(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec?.nodeName) && phase !== 'Succeeded' && phase !== 'Failed';
}

/** The environment's requests at one instant: the sum over its pods that hold resources. */
export function sumRequests(pods: readonly PodLike[], gpuResources: readonly string[] = DEFAULT_GPU_RESOURCES): PodRequests & { pods: number } {
  let total = ZERO;
  let n = 0;
  for (const p of pods) {
    if (!holdsResources(p)) continue;
    total = add(total, podRequests(p, gpuResources));
    n++;
  }
  return { ...total, pods: n };
}
