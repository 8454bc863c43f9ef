// The simulated node mix of each cluster: kwok keeps these Node objects Ready and runs pods bound to
// them. Each cluster gets its own provider/region so placement and capacity code see a varied fleet.

interface Site {
  provider: string;
  region: string;
  zones: string[];
  general: Array<{ type: string; cpu: number; memGi: number }>;
  gpu: Array<{ type: string; cpu: number; memGi: number; gpus: number }>;
}

const SITES: Site[] = [
  {
    provider: 'aws',
    region: 'us-east-1',
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    general: [{ type: 'm6i.2xlarge', cpu: 8, memGi: 32 }, { type: 'm6i.4xlarge', cpu: 16, memGi: 64 }, { type: 'r6i.2xlarge', cpu: 8, memGi: 64 }],
    gpu: [{ type: 'g5.12xlarge', cpu: 48, memGi: 192, gpus: 4 }, { type: 'p4d.24xlarge', cpu: 96, memGi: 1152, gpus: 8 }],
  },
  {
    provider: 'gcp',
    region: 'europe-west1',
    zones: ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'],
    general: [{ type: 'n2-standard-8', cpu: 8, memGi: 32 }, { type: 'n2-standard-16', cpu: 16, memGi: 64 }, { type: 'n2-highmem-8', cpu: 8, memGi: 64 }],
    gpu: [{ type: 'g2-standard-48', cpu: 48, memGi: 192, gpus: 4 }, { type: 'a2-highgpu-8g', cpu: 96, memGi: 680, gpus: 8 }],
  },
  {
    provider: 'azure',
    region: 'westeurope',
    zones: ['westeurope-1', 'westeurope-2', 'westeurope-3'],
    general: [{ type: 'Standard_D8s_v5', cpu: 8, memGi: 32 }, { type: 'Standard_D16s_v5', cpu: 16, memGi: 64 }, { type: 'Standard_E8s_v5', cpu: 8, memGi: 64 }],
    gpu: [{ type: 'Standard_NC24ads_A100_v4', cpu: 24, memGi: 220, gpus: 4 }, { type: 'Standard_ND96asr_v4', cpu: 96, memGi: 900, gpus: 8 }],
  },
  {
    provider: 'onprem',
    region: 'dc-fra',
    zones: ['dc-fra-rack1', 'dc-fra-rack2', 'dc-fra-rack3'],
    general: [{ type: 'metal-8c32g', cpu: 8, memGi: 32 }, { type: 'metal-16c64g', cpu: 16, memGi: 64 }, { type: 'metal-8c64g', cpu: 8, memGi: 64 }],
    gpu: [{ type: 'metal-gpu4', cpu: 32, memGi: 256, gpus: 4 }, { type: 'metal-gpu8', cpu: 64, memGi: 512, gpus: 8 }],
  },
];

export const GENERAL_NODES = 6;
export const GPU_NODES = 2;
export const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' } as const;

export function siteOf(index: number): Site {
  return SITES[(index - 1) % SITES.length]!;
}

// Reserve what a real kubelet keeps for the system so allocatable < capacity, like on a cloud node.
function resources(cpu: number, memGi: number, gpus: number) {
  const capacity: Record<string, string> = { cpu: String(cpu), memory: `${memGi}Gi`, pods: '110', 'ephemeral-storage': '100Gi' };
  const allocatable: Record<string, string> = { cpu: `${cpu * 1000 - 100 - cpu * 10}m`, memory: `${memGi * 1024 - 1024 - memGi * 16}Mi`, pods: '110', 'ephemeral-storage': '95Gi' };
  if (gpus > 0) {
    capacity['nvidia.com/gpu'] = String(gpus);
    allocatable['nvidia.com/gpu'] = String(gpus);
  }
  return { capacity, allocatable };
}

interface NodeSpec {
  name: string;
  type: string;
  cpu: number;
  memGi: number;
  gpus: number;
  zone: string;
}

function nodeObject(site: Site, n: NodeSpec, kubeVersion: string): Record<string, unknown> {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'node.kubernetes.io/instance-type': n.type,
    'topology.kubernetes.io/region': site.region,
    'topology.kubernetes.io/zone': n.zone,
    'fleetplane.io/provider': site.provider,
    type: 'kwok',
  };
  if (n.gpus > 0) labels['nvidia.com/gpu.present'] = 'true';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels, annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' } },
    spec: n.gpus > 0 ? { taints: [GPU_TAINT] } : {},
    status: {
      ...resources(n.cpu, n.memGi, n.gpus),
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: kubeVersion, kubeProxyVersion: kubeVersion, osImage: 'kwok', containerRuntimeVersion: 'kwok', kernelVersion: '', machineID: '', systemUUID: '', bootID: '' },
    },
  };
}

/** Node objects for cluster fp-<index>: GENERAL_NODES general-purpose and GPU_NODES GPU nodes, whose
 * kubelets report the cluster's Kubernetes version. */
export function nodesFor(cluster: string, index: number, kubeVersion: string): Array<Record<string, unknown>> {
  const site = siteOf(index);
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < GENERAL_NODES; i++) {
    const t = site.general[i % site.general.length]!;
    out.push(nodeObject(site, { name: `${cluster}-general-${i + 1}`, ...t, gpus: 0, zone: site.zones[i % site.zones.length]! }, kubeVersion));
  }
  for (let i = 0; i < GPU_NODES; i++) {
    const t = site.gpu[i % site.gpu.length]!;
    out.push(nodeObject(site, { name: `${cluster}-gpu-${i + 1}`, ...t, zone: site.zones[i % site.zones.length]! }, kubeVersion));
  }
  return out;
}
