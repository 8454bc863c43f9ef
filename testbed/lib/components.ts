// Command lines of one cluster's processes. Everything binds to 127.0.0.1 only.
import path from 'node:path';
import { TESTBED_ROOT, clusterPorts } from './config.ts';
import type { ClusterFiles } from './pki.ts';

export interface ProcSpec {
  name: string;
  binary: string;
  args: string[];
}

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

export function apiServerSpec(index: number, f: ClusterFiles): ProcSpec {
  const p = clusterPorts(index);
  return {
    name: 'kube-apiserver',
    binary: 'kube-apiserver',
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
      // The endpoint reconciler rejects a loopback address for the kubernetes Service and would log
      // an error every 10 s; nothing in the testbed reaches the API server through that Service.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      '--v=1',
    ],
  };
}

export function controllerManagerSpec(name: string, index: number, f: ClusterFiles): ProcSpec {
  const p = clusterPorts(index);
  return {
    name: 'kube-controller-manager',
    binary: 'kube-controller-manager',
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
      '--profiling=false',
      '--v=1',
    ],
  };
}

export function schedulerSpec(index: number, f: ClusterFiles): ProcSpec {
  const p = clusterPorts(index);
  return {
    name: 'kube-scheduler',
    binary: 'kube-scheduler',
    args: [
      `--kubeconfig=${f.kubeconfig('kube-scheduler')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${p.scheduler}`,
      `--cert-dir=${path.join(f.dir, 'scheduler-certs')}`,
      '--leader-elect=false',
      '--profiling=false',
      '--v=1',
    ],
  };
}

export function kwokSpec(f: ClusterFiles): ProcSpec {
  return {
    name: 'kwok',
    binary: 'kwok',
    args: [
      `--kubeconfig=${f.kubeconfig('kwok')}`,
      `--config=${path.join(TESTBED_ROOT, 'stages', 'pods.yaml')}`,
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
