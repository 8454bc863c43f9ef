// Upstream CRDs the other parts of Fleetplane use, taken verbatim from the projects' own Go modules
// (the module proxy is the only reachable source) and cached next to the binaries.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheRoot } from './config.ts';
import { run } from './exec.ts';
import { goBinary } from './build.ts';
import { ARGOCD_COMPONENT, ARGOCD_VERSION } from './argocd-component.ts';

interface CrdSource {
  module: string;
  version: string;
  /** Paths inside the module zip, copied verbatim. */
  files: string[];
  /** Extra environment for `go mod download` (a module declaring a newer `go` needs its toolchain). */
  env?: Record<string, string>;
}

export const CRD_SOURCES: CrdSource[] = [
  {
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.85.0',
    files: ['servicemonitors', 'podmonitors', 'prometheusrules'].map((k) => `example/prometheus-operator-crd/monitoring.coreos.com_${k}.yaml`),
  },
  {
    module: 'github.com/external-secrets/external-secrets',
    version: 'v1.3.2',
    files: ['externalsecrets', 'secretstores', 'clustersecretstores', 'clusterexternalsecrets'].map((k) => `config/crds/bases/external-secrets.io_${k}.yaml`),
  },
  {
    module: 'sigs.k8s.io/gateway-api',
    version: 'v1.2.1',
    files: ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants'].map((k) => `config/crd/standard/gateway.networking.k8s.io_${k}.yaml`),
  },
  // Argo CD: the CRDs of the release the testbed runs (argocd-component.ts), so the objects the
  // renderer emits are validated against the schema the real controllers read.
  {
    module: 'github.com/argoproj/argo-cd/v3',
    version: ARGOCD_VERSION,
    env: ARGOCD_COMPONENT.env ?? {},
    files: ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'].map((f) => `manifests/crds/${f}`),
  },
  // Cluster API core (cluster.x-k8s.io v1beta2, v1beta1 still served): what the Cluster API upgrade
  // provider patches (Cluster.spec.topology.version). v1.14.2 is the newest release the proxy serves.
  {
    module: 'sigs.k8s.io/cluster-api',
    version: 'v1.14.2',
    files: ['clusters', 'clusterclasses', 'machines', 'machinesets', 'machinedeployments', 'machinepools', 'machinehealthchecks', 'machinedrainrules'].map((k) => `core/config/crd/bases/cluster.x-k8s.io_${k}.yaml`),
  },
  // VerticalPodAutoscaler and VerticalPodAutoscalerCheckpoint (autoscaling.k8s.io/v1).
  { module: 'k8s.io/autoscaler/vertical-pod-autoscaler', version: 'v1.8.1', files: ['deploy/vpa-v1-crd-gen.yaml'] },
  // KServe InferenceService (serving.kserve.io/v1beta1) and its serving runtimes. The proxy lists no
  // versions of github.com/kserve/kserve, but serves v0.17.0 when asked for it (v0.17.1, v0.18.0 not).
  {
    module: 'github.com/kserve/kserve',
    version: 'v0.17.0',
    files: ['inferenceservices', 'servingruntimes', 'clusterservingruntimes'].map((k) => `config/crd/full/serving.kserve.io_${k}.yaml`),
  },
  // Knative Serving (serving.knative.dev/v1): Service, Configuration, Revision, Route.
  {
    module: 'knative.dev/serving',
    version: 'v0.51.0',
    files: ['service', 'configuration', 'revision', 'route'].map((k) => `config/core/300-resources/${k}.yaml`),
  },
  // KEDA (keda.sh/v1alpha1): ScaledObject and the trigger authentications it references.
  {
    module: 'github.com/kedacore/keda/v2',
    version: 'v2.21.0',
    files: ['scaledobjects', 'triggerauthentications', 'clustertriggerauthentications'].map((k) => `config/crd/bases/keda.sh_${k}.yaml`),
  },
  // Kubeflow Trainer v2 (trainer.kubeflow.org/v1alpha1): TrainJob and the runtimes it references.
  {
    module: 'github.com/kubeflow/trainer/v2',
    version: 'v2.3.0',
    files: ['trainjobs', 'trainingruntimes', 'clustertrainingruntimes'].map((k) => `manifests/base/crds/trainer.kubeflow.org_${k}.yaml`),
  },
  // The older Kubeflow training-operator's PyTorchJob (kubeflow.org/v1); v1.9.3 is its last release.
  { module: 'github.com/kubeflow/training-operator', version: 'v1.9.3', files: ['manifests/base/crds/kubeflow.org_pytorchjobs.yaml'] },
];

/** CRD names `up` waits for (Established) on every cluster. */
export const REQUIRED_CRDS = [
  'servicemonitors.monitoring.coreos.com',
  'podmonitors.monitoring.coreos.com',
  'prometheusrules.monitoring.coreos.com',
  'externalsecrets.external-secrets.io',
  'secretstores.external-secrets.io',
  'clustersecretstores.external-secrets.io',
  'gateways.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
  'applications.argoproj.io',
  'applicationsets.argoproj.io',
  'appprojects.argoproj.io',
  'clusters.cluster.x-k8s.io',
  'clusterclasses.cluster.x-k8s.io',
  'machines.cluster.x-k8s.io',
  'machinesets.cluster.x-k8s.io',
  'machinedeployments.cluster.x-k8s.io',
  'machinepools.cluster.x-k8s.io',
  'machinehealthchecks.cluster.x-k8s.io',
  'machinedrainrules.cluster.x-k8s.io',
  'verticalpodautoscalers.autoscaling.k8s.io',
  'verticalpodautoscalercheckpoints.autoscaling.k8s.io',
  'inferenceservices.serving.kserve.io',
  'servingruntimes.serving.kserve.io',
  'clusterservingruntimes.serving.kserve.io',
  'services.serving.knative.dev',
  'configurations.serving.knative.dev',
  'revisions.serving.knative.dev',
  'routes.serving.knative.dev',
  'scaledobjects.keda.sh',
  'triggerauthentications.keda.sh',
  'clustertriggerauthentications.keda.sh',
  'trainjobs.trainer.kubeflow.org',
  'trainingruntimes.trainer.kubeflow.org',
  'clustertrainingruntimes.trainer.kubeflow.org',
  'pytorchjobs.kubeflow.org',
];

/** Keyed by a hash of the source list (module, version and files), so a change fetches anew. */
function crdCacheDir(): string {
  return path.join(cacheRoot(), 'crds', createHash('sha256').update(JSON.stringify(CRD_SOURCES)).digest('hex').slice(0, 16));
}

async function moduleDir(go: string, s: CrdSource): Promise<string> {
  // Some of these modules are missing from the checksum database mirror; the CRD text is
  // data, not code, so skipping the sumdb lookup for exactly these modules is acceptable.
  const env = { ...process.env, GOFLAGS: '-mod=mod', GONOSUMDB: CRD_SOURCES.map((x) => x.module).join(','), ...s.env };
  const out = await run(go, ['mod', 'download', '-json', `${s.module}@${s.version}`], { cwd: os.tmpdir(), env });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${s.module}@${s.version}: ${info.Error ?? 'no Dir'}`);
  return info.Dir;
}

/** Returns the paths of the cached CRD files, fetching them through the Go module proxy once. */
export async function ensureCrds(): Promise<string[]> {
  const dir = crdCacheDir();
  const names = CRD_SOURCES.flatMap((s) => s.files.map((f) => path.basename(f)));
  const paths = names.map((n) => path.join(dir, n));
  if (paths.every((p) => existsSync(p))) return paths;
  const tmp = `${dir}.tmp-${process.pid}`;
  await fs.mkdir(tmp, { recursive: true });
  const go = await goBinary();
  const origins: Record<string, string> = {};
  for (const s of CRD_SOURCES) {
    const src = await moduleDir(go, s);
    for (const f of s.files) {
      await fs.copyFile(path.join(src, f), path.join(tmp, path.basename(f)));
      origins[path.basename(f)] = `${s.module}@${s.version}/${f}`;
    }
  }
  // Where each file came from, next to the files.
  await fs.writeFile(path.join(tmp, 'SOURCES.json'), JSON.stringify(origins, null, 2) + '\n');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(tmp, dir);
  return paths;
}
