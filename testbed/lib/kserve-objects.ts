// Kubernetes objects the testbed's KServe controller manager needs, derived from the files of the
// pinned kserve module (kserve-files.ts copies them verbatim into the cache): its ClusterRole, the
// `inferenceservice-config` ConfigMap, its webhook configurations and a ClusterServingRuntime. Pure,
// so the changes made to upstream's text are unit-tested (kserve-objects.test.ts).
//   - ConfigMap: upstream's, with deploy.defaultDeploymentMode "Standard" (0.17's name for
//     RawDeployment: a Deployment + Service per predictor, no Knative) and ingress creation and
//     Istio virtual hosts off (the testbed has no ingress controller and no Istio).
//   - Webhooks: upstream's configurations with each `clientConfig.service` replaced by a URL on the
//     host process (https://127.0.0.1:<port><path>) and the testbed CA as caBundle.
//   - RBAC: upstream's ClusterRole bound to a service account in the kserve namespace, whose token
//     the process uses (so the role is what KServe really runs with; no system:masters).
import YAML from 'yaml';

export const KSERVE_NAMESPACE = 'kserve';
export const KSERVE_SA = 'kserve-controller-manager';
/** Fixed ports on 127.0.0.1 (the webhook server binds every interface: upstream sets no host). */
export const KSERVE_PORTS = { webhook: 16390, metrics: 16391, probe: 16392 };
export const WEBHOOK_HOST = '127.0.0.1';
/** The ClusterServingRuntime the testbed installs: upstream's TorchServe runtime (model format pytorch, what the ai-platform blueprint's ranker declares). */
export const SERVING_RUNTIME = 'kserve-torchserve';
const PART_OF = { 'app.kubernetes.io/part-of': 'kserve', 'app.kubernetes.io/managed-by': 'fleetplane-testbed' };

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const docs = (text: string): Obj[] => YAML.parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((d) => d && typeof d === 'object');

export const tokenSecretName = (sa: string) => `${sa}-token`;

/** Namespace, service account (+ its token Secret) and upstream's ClusterRole bound to it. */
export function rbacObjects(roleYaml: string): Obj[] {
  const role = docs(roleYaml).find((d) => d.kind === 'ClusterRole');
  if (!role) throw new Error('kserve config/rbac/role.yaml: no ClusterRole');
  const roleName = String(role.metadata.name);
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KSERVE_NAMESPACE, labels: PART_OF } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: KSERVE_SA, namespace: KSERVE_NAMESPACE, labels: PART_OF } },
    {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
      metadata: { name: tokenSecretName(KSERVE_SA), namespace: KSERVE_NAMESPACE, labels: PART_OF, annotations: { 'kubernetes.io/service-account.name': KSERVE_SA } },
    },
    { ...role, metadata: { ...role.metadata, labels: { ...role.metadata.labels, ...PART_OF } } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding',
      metadata: { name: `${roleName}binding`, labels: PART_OF },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: KSERVE_SA, namespace: KSERVE_NAMESPACE }],
    },
  ];
}

/** Upstream's inferenceservice-config with the deployment mode and ingress settings the testbed needs. */
export function inferenceServiceConfig(configMapYaml: string): Obj {
  const cm = docs(configMapYaml).find((d) => d.kind === 'ConfigMap' && d.metadata?.name === 'inferenceservice-config');
  if (!cm) throw new Error('kserve config/configmap/inferenceservice.yaml: no inferenceservice-config ConfigMap');
  const data = { ...(cm.data as Record<string, string>) };
  delete data._example;
  const ingress = JSON.parse(data.ingress ?? '{}') as Record<string, unknown>;
  data.deploy = JSON.stringify({ defaultDeploymentMode: 'Standard' }, null, 2);
  data.ingress = JSON.stringify({ ...ingress, disableIngressCreation: true, disableIstioVirtualHost: true }, null, 2);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inferenceservice-config', namespace: KSERVE_NAMESPACE, labels: PART_OF }, data };
}

/** Upstream's webhook configurations, each pointing at the host process by URL. */
export function webhookConfigurations(manifestsYaml: string, caPem: string, port: number = KSERVE_PORTS.webhook): Obj[] {
  const caBundle = Buffer.from(caPem).toString('base64');
  return docs(manifestsYaml)
    .filter((d) => d.kind === 'MutatingWebhookConfiguration' || d.kind === 'ValidatingWebhookConfiguration')
    .map((d) => ({
      apiVersion: d.apiVersion, kind: d.kind,
      metadata: { name: d.metadata.name, labels: PART_OF },
      webhooks: (d.webhooks as Obj[]).map((w) => {
        const p = w.clientConfig?.service?.path;
        if (typeof p !== 'string') throw new Error(`webhook ${w.name}: no service path to point at the host process`);
        return { ...w, clientConfig: { url: `https://${WEBHOOK_HOST}:${port}${p}`, caBundle } };
      }),
    }));
}

/** Upstream's TorchServe ClusterServingRuntime with the image its kustomization substitutes. */
export function servingRuntime(runtimeYaml: string, kustomizationYaml: string): Obj {
  const rt = docs(runtimeYaml).find((d) => d.kind === 'ClusterServingRuntime');
  if (!rt) throw new Error('kserve config/runtimes/kserve-torchserve.yaml: no ClusterServingRuntime');
  const images = (YAML.parse(kustomizationYaml) as { images?: Array<{ name: string; newName?: string; newTag?: string }> }).images ?? [];
  const containers = (rt.spec.containers as Obj[]).map((c) => {
    const [name] = String(c.image).split(':');
    const img = images.find((i) => i.name === name);
    return img ? { ...c, image: `${img.newName ?? name}:${img.newTag ?? 'latest'}` } : c;
  });
  return { ...rt, metadata: { ...rt.metadata, labels: { ...rt.metadata.labels, ...PART_OF } }, spec: { ...rt.spec, containers } };
}

/** The manager's command line: loopback listeners, no leader election, JSON logs. */
export function managerArgs(kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--metrics-addr=${WEBHOOK_HOST}:${KSERVE_PORTS.metrics}`,
    `--health-probe-addr=${WEBHOOK_HOST}:${KSERVE_PORTS.probe}`,
    `--webhook-port=${KSERVE_PORTS.webhook}`,
    '--leader-elect=false',
    '--zap-encoder=json',
    '--zap-log-level=info',
  ];
}
