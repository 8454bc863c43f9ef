import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, Tier } from '../domain/types.ts';
import { NO_RESOURCES, addResources, checkExplicitPlacement, clusterResidency, monthlyCost, planPlacement, type ClusterLoad, type PlacementRequest } from './placement.ts';

const GiB = 2 ** 30;
function cluster(name: string, o: Partial<Cluster>): Cluster {
  return { name, provider: 'aws', region: 'us-east-1', labels: {}, role: 'shared', apiServer: 'https://x', createdAt: '', updatedAt: '', ...o };
}
const load = (c: Cluster): ClusterLoad => ({ cluster: c, environments: 0, reserved: { ...NO_RESOURCES } });

// Six clusters on three clouds: different prices, regions, GPU nodes, one down, one cordoned, one dedicated.
const fleet = (): ClusterLoad[] => [
  cluster('aws-us', { region: 'us-east-1', pricePerCpuHour: 0.04, pricePerGbHour: 0.005, capacity: { cpuMillis: 256_000, memoryBytes: 1024 * GiB, gpus: 0, nodes: 8 } }),
  cluster('gcp-eu', { provider: 'gcp', region: 'eu-west-1', pricePerCpuHour: 0.05, pricePerGbHour: 0.006, capacity: { cpuMillis: 128_000, memoryBytes: 512 * GiB, gpus: 0, nodes: 4 } }),
  cluster('azure-eu', { provider: 'azure', region: 'eu-central-1', pricePerCpuHour: 0.03, pricePerGbHour: 0.004, capacity: { cpuMillis: 16_000, memoryBytes: 64 * GiB, gpus: 0, nodes: 2 } }),
  cluster('aws-gpu', { region: 'us-west-2', pricePerCpuHour: 0.06, pricePerGbHour: 0.008, pricePerGpuHour: 1.2, capacity: { cpuMillis: 32_000, memoryBytes: 128 * GiB, gpus: 8, nodes: 4 } }),
  cluster('gcp-down', { provider: 'gcp', region: 'eu-west-1', pricePerCpuHour: 0.01, capacity: { cpuMillis: 64_000, memoryBytes: 256 * GiB, gpus: 0, nodes: 8 },
    health: { state: 'Unavailable', reason: 'Unreachable', message: 'x', since: '2026-12-01T00:00:00Z', failingSince: '2026-12-01T00:00:00Z', consecutiveFailures: 3, lastProbeAt: '2026-12-01T00:02:00Z' } }),
  cluster('onprem-cordoned', { provider: 'onprem', region: 'eu-north-1', pricePerCpuHour: 0.001, capacity: { cpuMillis: 64_000, memoryBytes: 256 * GiB, gpus: 0, nodes: 8 }, cordon: { reason: 'maintenance', at: '2026-12-01T00:00:00Z' } }),
  cluster('acme-own', { region: 'us-east-1', role: 'dedicated:acme', pricePerCpuHour: 0.5, capacity: { cpuMillis: 8_000, memoryBytes: 32 * GiB, gpus: 0, nodes: 1 } }),
].map(load);

test('cost policy: 300 placements never break a hard constraint, explain every cluster, and pick the cheapest that fits', () => {
  const loads = fleet();
  const byName = new Map(loads.map((l) => [l.cluster.name, l]));
  const tiers: Tier[] = ['shared', 'hybrid', 'dedicated'];
  let cheapestChecked = 0;
  for (let i = 0; i < 300; i++) {
    const tenant = i % 10 === 0 ? 'acme' : `t${i % 7}`;
    const req: PlacementRequest = {
      tenant, tier: tiers[i % 3]!, residency: i % 4 === 0 ? 'eu' : undefined,
      demand: { cpuMillis: 500 + (i % 5) * 250, memoryBytes: (1 + (i % 3)) * GiB, gpus: i % 9 === 0 ? 1 : 0 },
      overcommit: { cpu: 1, memory: 1 },
    };
    const plan = planPlacement(req, loads, 'cost');
    // Explained: every candidate is either rejected with a reason or scored.
    assert.equal(plan.eligible.length + plan.rejected.length, loads.length, `decision ${i} lists every cluster`);
    for (const r of plan.rejected) assert.ok(r.reason.length > 0 && r.check.length > 0);
    if (plan.cluster === null) {
      // Only the scarce ones may find no cluster: GPUs (8 in the fleet) or eu capacity, and then for a capacity reason.
      assert.ok(req.demand!.gpus! > 0 || req.residency === 'eu', `decision ${i}: ${JSON.stringify(plan.rejected)}`);
      assert.ok(plan.rejected.some((r) => ['cpu', 'memory', 'gpus'].includes(r.check)), `decision ${i} unplaced for capacity`);
      continue;
    }
    const chosen = byName.get(plan.cluster)!.cluster;
    if (req.residency) assert.equal(clusterResidency(chosen), req.residency, `decision ${i}: residency`);
    assert.ok(!chosen.cordon && chosen.health?.state !== 'Unavailable', `decision ${i}: only available, uncordoned clusters`);
    const dedicatedTo = chosen.role.startsWith('dedicated:') ? chosen.role.slice(10) : null;
    assert.ok(dedicatedTo === null || dedicatedTo === tenant, `decision ${i}: isolation`);
    if ((req.demand!.gpus ?? 0) > 0) assert.ok((chosen.capacity?.gpus ?? 0) > 0, `decision ${i}: GPU node`);
    // The cheapest eligible cluster of the same dedicated/region class wins.
    const sameClass = plan.eligible.filter((e) => e.parts.dedicated === plan.eligible[0]!.parts.dedicated && e.parts.region === plan.eligible[0]!.parts.region);
    const cheapest = Math.min(...sameClass.map((e) => e.parts.monthlyCost ?? Infinity));
    assert.equal(plan.eligible[0]!.parts.monthlyCost, cheapest, `decision ${i}: cheapest wins`);
    cheapestChecked++;
    const l = byName.get(plan.cluster)!;
    l.environments++;
    l.reserved = addResources(l.reserved, req.demand!);
  }
  assert.ok(cheapestChecked > 250, `most decisions placed (${cheapestChecked})`);
  // Reserved never exceeds capacity without overcommit.
  for (const l of loads) {
    if (!l.cluster.capacity) continue;
    assert.ok(l.reserved.cpuMillis <= l.cluster.capacity.cpuMillis, `${l.cluster.name} CPU`);
    assert.ok(l.reserved.gpus <= l.cluster.capacity.gpus, `${l.cluster.name} GPUs`);
  }
  assert.equal(byName.get('gcp-down')!.environments, 0);
  assert.equal(byName.get('onprem-cordoned')!.environments, 0);
});

test('cost policy picks azure-eu for an eu environment; spread and binpack rank by load and headroom', () => {
  const req: PlacementRequest = { tenant: 'x', tier: 'shared', residency: 'eu', demand: { cpuMillis: 1000, memoryBytes: GiB } };
  const cost = planPlacement(req, fleet(), 'cost');
  assert.equal(cost.cluster, 'azure-eu');
  assert.match(cost.explanation, /cheapest/);
  assert.deepEqual(cost.rejected.find((r) => r.cluster === 'gcp-down')?.check, 'available');
  assert.deepEqual(cost.rejected.find((r) => r.cluster === 'onprem-cordoned')?.check, 'cordon');
  assert.deepEqual(cost.rejected.find((r) => r.cluster === 'aws-us')?.check, 'residency');
  const loads = fleet();
  loads.find((l) => l.cluster.name === 'azure-eu')!.environments = 5;
  assert.equal(planPlacement(req, loads, 'spread').cluster, 'gcp-eu');
  // binpack: azure-eu is smaller, so it has less headroom left.
  assert.equal(planPlacement(req, fleet(), 'binpack').cluster, 'azure-eu');
  // Anti-affinity excludes a cluster.
  assert.equal(planPlacement({ ...req, avoid: ['azure-eu'] }, fleet(), 'cost').cluster, 'gcp-eu');
});

test('monthly cost: CPU-, GiB- and GPU-hours over 730 hours; unpriced is null', () => {
  assert.equal(monthlyCost({ pricePerCpuHour: 0.04, pricePerGbHour: 0.005, pricePerGpuHour: 1 }, { cpuMillis: 2000, memoryBytes: 4 * GiB, gpus: 1 }), Math.round((0.08 + 0.02 + 1) * 730 * 100) / 100);
  assert.equal(monthlyCost({}, { cpuMillis: 1000, memoryBytes: 0, gpus: 0 }), null);
});

test('kubernetes range: a cluster outside the release range is rejected with the reason, an unknown version passes, an explicit choice is refused', () => {
  const loads = [
    load(cluster('new', { kubernetesVersion: 'v1.37.2' })),
    load(cluster('old', { kubernetesVersion: 'v1.36.3', health: { state: 'Available', reason: 'ProbeSucceeded', message: 'ok', since: '', failingSince: null, consecutiveFailures: 0, lastProbeAt: '', version: 'v1.35.1' } })),
    load(cluster('unknown', {})),
  ];
  const req: PlacementRequest = { tenant: 't', tier: 'shared', kubernetes: { release: 'default@1.5.0', range: { min: '1.36', max: '1.37' } } };
  const plan = planPlacement(req, loads, 'spread');
  // The heartbeat's version wins over the registered one: "old" runs v1.35.1 now.
  assert.deepEqual(plan.rejected.map((r) => [r.cluster, r.check, r.reason]), [['old', 'kubernetes', "Kubernetes v1.35.1 is outside default@1.5.0's supported range (1.36 to 1.37)"]]);
  assert.deepEqual(plan.eligible.map((e) => e.cluster).sort(), ['new', 'unknown']);
  assert.equal(planPlacement({ ...req, kubernetes: undefined }, loads, 'spread').rejected.length, 0, 'without a range every cluster qualifies');
  assert.match(checkExplicitPlacement(req, loads[1]!).refusal ?? '', /outside default@1\.5\.0's supported range/);
  assert.equal(checkExplicitPlacement(req, loads[0]!).refusal, null);
});
