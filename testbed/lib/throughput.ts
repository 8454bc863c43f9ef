// Pod throughput probe: D Deployments of R replicas per cluster (all clusters at once, like the fleet
// benchmarks load them), timed from the first create until every Deployment is available. Many small
// Deployments is the onboarding shape (each costs the controller manager a ReplicaSet, status writes
// and events besides its pods); one big Deployment measures raw pod creation. The number is what the
// control plane (controller manager, scheduler, kwok, API server) sustains, not Fleetplane.
import { randomBytes } from 'node:crypto';
import { apiJson, apiRequest, sleep, waitFor, type ApiTarget } from './api.ts';
import { apiTarget, clusterDir, clusterName } from './cluster.ts';
import { kubectl } from './content.ts';
import { clusterFiles } from './pki.ts';

export interface ThroughputShape {
  deployments: number;
  replicas: number;
}

export interface ThroughputResult extends ThroughputShape {
  cluster: string;
  /** First create → every Deployment available. */
  seconds: number;
  podsPerSecond: number;
  deploymentsPerSecond: number;
  /** Ready pods after 5 s, 10 s, … (how the rate evolves). */
  readyAt: Array<{ s: number; ready: number }>;
}

interface DeploymentList {
  items: Array<{ spec: { replicas: number }; status?: { readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number } }>;
}

function deployment(name: string, replicas: number): object {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'app', image: 'registry.example.com/probe:1.0.0', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
        },
      },
    },
  };
}

async function createAll(t: ApiTarget, ns: string, shape: ThroughputShape): Promise<void> {
  const names = Array.from({ length: shape.deployments }, (_, i) => `probe-${i}`);
  // 16 creates in flight: a client like the engine's, not kubectl's one at a time.
  const next = () => names.shift();
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let n = next(); n; n = next()) {
      const res = await apiRequest(t, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment(n, shape.replicas), 30_000);
      if (res.status !== 201) throw new Error(`create deployment ${n}: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
    }
  }));
}

function progress(list: DeploymentList): { ready: number; available: number } {
  let ready = 0;
  let available = 0;
  for (const d of list.items) {
    ready += d.status?.readyReplicas ?? 0;
    const s = d.status ?? {};
    if ((s.availableReplicas ?? 0) >= d.spec.replicas && (s.updatedReplicas ?? 0) >= d.spec.replicas) available++;
  }
  return { ready, available };
}

async function probe(index: number, shape: ThroughputShape, timeoutMs: number): Promise<ThroughputResult> {
  const name = clusterName(index);
  const f = clusterFiles(clusterDir(name));
  const t: ApiTarget = await apiTarget(index);
  const ns = `tb-throughput-${randomBytes(3).toString('hex')}`;
  await kubectl(f, ['create', 'namespace', ns]);
  try {
    // Pods are refused until the namespace's default service account exists.
    await waitFor(`${name} ${ns} default service account`, async () => {
      await kubectl(f, ['get', 'serviceaccount', 'default', '-n', ns, '-o', 'name']);
      return true;
    }, 60_000, 200);
    const readyAt: ThroughputResult['readyAt'] = [];
    const pods = shape.deployments * shape.replicas;
    const t0 = performance.now();
    await createAll(t, ns, shape);
    let nextMark = 5;
    for (;;) {
      const { ready, available } = progress(await apiJson<DeploymentList>(t, `/apis/apps/v1/namespaces/${ns}/deployments`));
      const s = (performance.now() - t0) / 1000;
      if (s >= nextMark) {
        readyAt.push({ s: nextMark, ready });
        nextMark += 5;
      }
      if (available >= shape.deployments) {
        return { cluster: name, ...shape, seconds: s, podsPerSecond: pods / s, deploymentsPerSecond: shape.deployments / s, readyAt };
      }
      if (s * 1000 > timeoutMs) throw new Error(`${name}: only ${ready}/${pods} pods Ready after ${s.toFixed(0)}s`);
      await sleep(250);
    }
  } finally {
    await kubectl(f, ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  }
}

/** Runs the probe on the given clusters at the same time. */
export function measureThroughput(indexes: number[], shape: ThroughputShape, timeoutMs = 600_000): Promise<ThroughputResult[]> {
  return Promise.all(indexes.map((i) => probe(i, shape, timeoutMs)));
}
