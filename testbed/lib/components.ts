// Command lines of one cluster's processes. Everything binds to 127.0.0.1 only.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TESTBED_ROOT, clusterPorts } from './config.ts';
import type { ClusterFiles } from './pki.ts';

export interface ProcSpec {
  name: string;
  binary: string;
  /** For control-plane binaries: the Kubernetes release to run. */
  kubeVersion?: string;
  args: string[];
  /** Config files the process reads, written (in the cluster dir) before it starts. */
  files?: Array<{ path: string; content: string }>;
}

// Control-plane throughput. Upstream defaults (client QPS 20/burst 30 per controller, 5 deployment and
// ReplicaSet workers, scheduler QPS 50) hold a cluster to about 4 small Deployments per second here,
// far below a real cluster; these lift the client-side throttles so the host's CPU is the limit.
// Measured before/after in docs/testbed.md.
const KCM_QPS = 300;
const KCM_BURST = 600;
const SCHEDULER_QPS = 300;
const SCHEDULER_BURST = 600;

export const SERVICE_CIDR = '10.96.0.0/16';
export const POD_CIDR = '10.244.0.1/16';

export function etcdSpec(name: string, index: number, f: ClusterFiles): ProcSpec {
  const p = clusterPorts(index);
  const client = `http://127.0.0.1:${p.etcdClient}`;
  const peer = `http://127.0.0.1:${p.etcdPeer}`;
  return {
    name: 'etcd',
    binary: 'etcd',
    args: [
      `--name=${name}`,
      `--data-dir=${path.join(f.dir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${name}=${peer}`,
      '--initial-cluster-state=new',
      // Test data is disposable: skipping fsync keeps three clusters light on a shared disk.
      '--unsafe-no-fsync=true',
      '--quota-backend-bytes=2147483648',
      '--snapshot-count=10000',
      '--log-level=warn',
    ],
  };
}

export function apiServerSpec(index: number, f: ClusterFiles, kubeVersion: string): ProcSpec {
  const p = clusterPorts(index);
  return {
    name: 'kube-apiserver',
    binary: 'kube-apiserver',
    kubeVersion,
    args: [
      `--etcd-servers=http://127.0.0.1:${p.etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${p.apiServer}`,
      `--cert-dir=${f.certDir}`,
      `--token-auth-file=${f.tokenFile}`,
      '--authorization-mode=Node,RBAC',
      '--anonymous-auth=false',
      `--service-account-key-file=${f.saPub}`,
      `--service-account-signing-key-file=${f.saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--allow-privileged=true',
      // Defaults 400/200; the controllers' higher QPS above needs the room (APF splits this total).
      '--max-requests-inflight=800',
      '--max-mutating-requests-inflight=400',
      // The endpoint reconciler rejects a loopback address for the kubernetes Service and would log
      // an error every 10 s; nothing in the testbed reaches the API server through that Service.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      '--v=1',
    ],
  };
}

export function controllerManagerSpec(name: string, index: number, f: ClusterFiles, kubeVersion: string): ProcSpec {
  const p = clusterPorts(index);
  return {
    name: 'kube-controller-manager',
    binary: 'kube-controller-manager',
    kubeVersion,
    args: [
      `--kubeconfig=${f.kubeconfig('kube-controller-manager')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${p.controllerManager}`,
      `--cert-dir=${path.join(f.dir, 'kcm-certs')}`,
      '--leader-elect=false',
      `--cluster-name=${name}`,
      `--service-account-private-key-file=${f.saKey}`,
      `--root-ca-file=${f.caFile}`,
      '--use-service-account-credentials=true',
      // Per controller (each has its own client with service-account credentials).
      `--kube-api-qps=${KCM_QPS}`,
      `--kube-api-burst=${KCM_BURST}`,
      '--concurrent-deployment-syncs=20',
      '--concurrent-replicaset-syncs=20',
      '--concurrent-statefulset-syncs=10',
      '--concurrent-gc-syncs=50',
      '--concurrent-namespace-syncs=20',
      // Upstream's in-tree hostPath provisioner (for testing; a directory under /tmp per volume)
      // serves the default StorageClass, so PVCs bind and pods that mount them schedule.
      '--enable-hostpath-provisioner=true',
      '--profiling=false',
      '--v=1',
    ],
  };
}

/** --config replaces --kubeconfig and --leader-elect, so both live in the configuration file. */
function schedulerConfig(f: ClusterFiles): string {
  return JSON.stringify({
    apiVersion: 'kubescheduler.config.k8s.io/v1',
    kind: 'KubeSchedulerConfiguration',
    clientConnection: { kubeconfig: f.kubeconfig('kube-scheduler'), qps: SCHEDULER_QPS, burst: SCHEDULER_BURST },
    leaderElection: { leaderElect: false },
    // With 8 nodes the scheduler scores all of them anyway (the floor is 100 nodes); kept explicit.
    percentageOfNodesToScore: 100,
    parallelism: 16,
  }, null, 2) + '\n';
}

export function schedulerSpec(index: number, f: ClusterFiles, kubeVersion: string): ProcSpec {
  const p = clusterPorts(index);
  const config = path.join(f.dir, 'kube-scheduler.json');
  return {
    name: 'kube-scheduler',
    binary: 'kube-scheduler',
    kubeVersion,
    args: [
      `--config=${config}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${p.scheduler}`,
      `--cert-dir=${path.join(f.dir, 'scheduler-certs')}`,
      '--profiling=false',
      '--v=1',
    ],
    files: [{ path: config, content: schedulerConfig(f) }],
  };
}

/** kwok's node stages with the cluster's version filled in: the nodes report it as their kubelet's. */
export function nodeStages(kubeVersion: string): string {
  return readFileSync(path.join(TESTBED_ROOT, 'stages', 'nodes.yaml'), 'utf8').replaceAll('__KUBE_VERSION__', kubeVersion);
}

export function kwokSpec(f: ClusterFiles, kubeVersion: string): ProcSpec {
  const nodes = path.join(f.dir, 'kwok-nodes.yaml');
  return {
    name: 'kwok',
    binary: 'kwok',
    files: [{ path: nodes, content: nodeStages(kubeVersion) }],
    args: [
      `--kubeconfig=${f.kubeconfig('kwok')}`,
      // Since kwok v0.8.0 there are no built-in node stages: ours keep the nodes Ready (with leases).
      `--config=${nodes}`,
      `--config=${path.join(TESTBED_ROOT, 'stages', 'pods.yaml')}`,
      // KwokConfiguration: more pod stage workers (kwok's client itself is not rate limited).
      `--config=${path.join(TESTBED_ROOT, 'stages', 'kwok.yaml')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      `--cidr=${POD_CIDR}`,
      '--node-ip=10.0.0.1',
      '--node-lease-duration-seconds=40',
      // INFO logs every lease renewal (about 50 MB a day per cluster).
      '--v=WARN',
    ],
  };
}
