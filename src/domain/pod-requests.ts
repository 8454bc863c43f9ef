// What an object's pods request (pure): CPU in millicores, memory in bytes and GPUs, times replicas.
// Shared by the rollout preview (src/plan) and the fused walk's shaped targets (src/render/bulk).
import { parseQuantity } from './quantity.ts';
import type { KubeObject } from './types.ts';

export interface ResourceDelta { cpuMillis: number; memoryBytes: number; gpus: number }

interface PodSpecLike { containers?: Array<{ resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> } }> }

export function podSpec(o: KubeObject): { spec: PodSpecLike; replicas: number } | null {
  const s = (o as { spec?: { replicas?: number; template?: { spec?: PodSpecLike }; jobTemplate?: { spec?: { template?: { spec?: PodSpecLike } } } } }).spec;
  if (!s) return null;
  if (o.kind === 'Pod') return { spec: s as PodSpecLike, replicas: 1 };
  const tpl = s.template?.spec ?? s.jobTemplate?.spec?.template?.spec;
  return tpl ? { spec: tpl, replicas: typeof s.replicas === 'number' ? s.replicas : 1 } : null;
}

const q = (v: string | number | undefined): number => (v === undefined ? 0 : parseQuantity(v));

/** Requested CPU (millicores), memory (bytes) and GPUs of an object's pods, times its replicas. */
export function requestsOf(o: KubeObject): ResourceDelta {
  const r = { cpuMillis: 0, memoryBytes: 0, gpus: 0 };
  addRequests(r, o, 1);
  return r;
}

/**
 * Adds sign × an object's requests to acc (no allocation: called twice per object of every
 * environment). sign is ±1, so sign × (q × 1000 × replicas) is the same number as the terms summed
 * from a cached list (requestTerms).
 */
export function addRequests(acc: ResourceDelta, o: KubeObject, sign: number): void {
  const p = podSpec(o);
  if (!p) return;
  for (const c of p.spec.containers ?? []) {
    const req = c.resources?.requests;
    const lim = c.resources?.limits;
    if (!req && !lim) continue;
    acc.cpuMillis += sign * (q(req?.cpu) * 1000 * p.replicas);
    acc.memoryBytes += sign * (q(req?.memory) * p.replicas);
    acc.gpus += sign * (q(req?.['nvidia.com/gpu'] ?? lim?.['nvidia.com/gpu']) * p.replicas);
  }
}

/** addRequests' terms for one object, in its order: cpu, memory, gpus per container with requests or limits. */
export function requestTerms(o: KubeObject): number[] {
  const terms: number[] = [];
  const p = podSpec(o);
  if (!p) return terms;
  for (const c of p.spec.containers ?? []) {
    const req = c.resources?.requests;
    const lim = c.resources?.limits;
    if (!req && !lim) continue;
    terms.push(q(req?.cpu) * 1000 * p.replicas, q(req?.memory) * p.replicas, q(req?.['nvidia.com/gpu'] ?? lim?.['nvidia.com/gpu']) * p.replicas);
  }
  return terms;
}

