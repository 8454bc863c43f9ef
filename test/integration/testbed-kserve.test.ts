// The testbed's KServe objects (pure, testbed/lib/kserve-objects.ts): what is changed in upstream's
// files (inferenceservice-config, webhook configurations, RBAC, the TorchServe runtime) and that its
// fixed ports clash with no other testbed port. KServe itself runs in engine-ai.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARGOCD_PORTS } from '../../testbed/lib/argocd-procs.ts';
import { FIXTURE_PORTS } from '../../testbed/lib/argocd-fixtures.ts';
import { MAX_CLUSTERS } from '../../testbed/lib/cluster.ts';
import { clusterPorts } from '../../testbed/lib/config.ts';
import { KSERVE_NAMESPACE, KSERVE_PORTS, KSERVE_SA, inferenceServiceConfig, managerArgs, rbacObjects, servingRuntime, webhookConfigurations } from '../../testbed/lib/kserve-objects.ts';

// Excerpts of kserve v0.17.0's files, in their shapes.
const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: inferenceservice-config
  namespace: kserve
data:
  _example: |-
    long commented example
  ingress: |-
    {
        "enableGatewayApi": false,
        "ingressDomain"  : "example.com",
        "disableIstioVirtualHost": false,
        "disableIngressCreation": false
    }
  deploy: |-
    {
      "defaultDeploymentMode": "Serverless"
    }
  storageInitializer: |-
    { "image" : "kserve/storage-initializer:latest" }
`;
const WEBHOOKS = `---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  creationTimestamp: null
  name: inferenceservice.serving.kserve.io
webhooks:
  - clientConfig:
      service:
        name: $(webhookServiceName)
        namespace: $(kserveNamespace)
        path: /mutate-pods
    failurePolicy: Fail
    name: inferenceservice.kserve-webhook-server.pod-mutator
    objectSelector:
      matchExpressions:
        - key: serving.kserve.io/inferenceservice
          operator: Exists
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: servingruntime.serving.kserve.io
webhooks:
  - clientConfig:
      service:
        name: $(webhookServiceName)
        path: /validate-serving-kserve-io-v1alpha1-servingruntime
    name: servingruntime.kserve-webhook-server.validator
`;
const ROLE = `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: kserve-manager-role
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
`;
const RUNTIME = `apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: kserve-torchserve
spec:
  supportedModelFormats:
    - name: pytorch
      autoSelect: true
  containers:
    - name: kserve-container
      image: kserve-torchserve:replace
`;
const KUSTOMIZATION = `images:
- name: kserve-sklearnserver
  newName: kserve/sklearnserver
  newTag: latest
- name: kserve-torchserve
  newName: pytorch/torchserve-kfs
  newTag: 0.9.0
`;

test('inferenceservice-config: Standard (RawDeployment) by default, no ingress and no Istio virtual hosts, the rest as upstream has it', () => {
  const cm = inferenceServiceConfig(CONFIGMAP);
  assert.deepEqual([cm.metadata.name, cm.metadata.namespace], ['inferenceservice-config', KSERVE_NAMESPACE]);
  assert.deepEqual(JSON.parse(cm.data.deploy), { defaultDeploymentMode: 'Standard' });
  assert.deepEqual(JSON.parse(cm.data.ingress), { enableGatewayApi: false, ingressDomain: 'example.com', disableIstioVirtualHost: true, disableIngressCreation: true });
  assert.equal(cm.data.storageInitializer, '{ "image" : "kserve/storage-initializer:latest" }');
  assert.equal(cm.data._example, undefined, 'the commented example is not configuration');
  assert.throws(() => inferenceServiceConfig('kind: ConfigMap\nmetadata: {name: other}\n'), /no inferenceservice-config ConfigMap/);
});

test('webhook configurations: every service reference becomes a URL on the host process with the testbed CA; selectors and policies stay', () => {
  const hooks = webhookConfigurations(WEBHOOKS, '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n');
  assert.deepEqual(hooks.map((h) => [h.kind, h.metadata.name]), [['MutatingWebhookConfiguration', 'inferenceservice.serving.kserve.io'], ['ValidatingWebhookConfiguration', 'servingruntime.serving.kserve.io']]);
  const pod = hooks[0]!.webhooks[0];
  assert.deepEqual(Object.keys(pod.clientConfig).sort(), ['caBundle', 'url'], 'no service');
  assert.equal(pod.clientConfig.url, `https://127.0.0.1:${KSERVE_PORTS.webhook}/mutate-pods`);
  assert.equal(Buffer.from(pod.clientConfig.caBundle, 'base64').toString(), '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n');
  assert.equal(pod.failurePolicy, 'Fail');
  assert.deepEqual(pod.objectSelector, { matchExpressions: [{ key: 'serving.kserve.io/inferenceservice', operator: 'Exists' }] }, 'only KServe\'s pods');
  assert.equal(hooks[0]!.metadata.creationTimestamp, undefined);
  assert.equal(hooks[1]!.webhooks[0].clientConfig.url, `https://127.0.0.1:${KSERVE_PORTS.webhook}/validate-serving-kserve-io-v1alpha1-servingruntime`);
});

test('RBAC: upstream\'s ClusterRole, bound to a service account in the kserve namespace with a token Secret', () => {
  const objs = rbacObjects(ROLE);
  assert.deepEqual(objs.map((o) => o.kind), ['Namespace', 'ServiceAccount', 'Secret', 'ClusterRole', 'ClusterRoleBinding']);
  assert.deepEqual(objs[3]!.rules, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }], 'the role verbatim');
  assert.deepEqual(objs[4]!.subjects, [{ kind: 'ServiceAccount', name: KSERVE_SA, namespace: KSERVE_NAMESPACE }]);
  assert.equal(objs[4]!.roleRef.name, 'kserve-manager-role');
  assert.equal(objs[2]!.metadata.annotations['kubernetes.io/service-account.name'], KSERVE_SA);
});

test('the TorchServe ClusterServingRuntime gets the image upstream\'s kustomization substitutes', () => {
  const rt = servingRuntime(RUNTIME, KUSTOMIZATION);
  assert.equal(rt.spec.containers[0].image, 'pytorch/torchserve-kfs:0.9.0');
  assert.deepEqual(rt.spec.supportedModelFormats, [{ name: 'pytorch', autoSelect: true }], 'pytorch: what the ai-platform blueprint\'s ranker declares');
});

test('the manager listens on loopback ports no other testbed process uses, without leader election', () => {
  const args = managerArgs('/k.kubeconfig');
  assert.ok(args.includes('--leader-elect=false'));
  assert.ok(args.includes(`--metrics-addr=127.0.0.1:${KSERVE_PORTS.metrics}`) && args.includes(`--health-probe-addr=127.0.0.1:${KSERVE_PORTS.probe}`));
  const others = [16379, ...Object.values(ARGOCD_PORTS), ...Object.values(FIXTURE_PORTS)];
  for (let i = 1; i <= MAX_CLUSTERS; i++) others.push(...Object.values(clusterPorts(i)));
  for (const p of Object.values(KSERVE_PORTS)) assert.ok(!others.includes(p), `port ${p} is free of the other testbed processes`);
});
