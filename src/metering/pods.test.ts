import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdsResources, podRequests, sumRequests } from './pods.ts';
import { checkInterval, closedBefore, tickOf } from './dimensions.ts';
import { meteringConfigFromEnv } from './config.ts';
import { uuidV5 } from './export/uuid.ts';

const c = (requests: Record<string, string>, limits: Record<string, string> = {}, restartPolicy?: string) => ({ resources: { requests, limits }, ...(restartPolicy ? { restartPolicy } : {}) });

test('a pod requests max(app containers + sidecars, largest init container) + overhead; limits stand in for missing requests', () => {
  const pod = {
    spec: {
      nodeName: 'n1',
      initContainers: [c({ cpu: '2', memory: '64Mi' }), c({ cpu: '100m', memory: '32Mi' }, {}, 'Always')],
      containers: [c({ cpu: '250m', memory: '128Mi' }), c({}, { cpu: '500m', memory: '256Mi', 'nvidia.com/gpu': '1' })],
      overhead: { cpu: '50m' },
    },
  };
  // app = 100m sidecar + 250m + 500m = 850m; the 2-core init container runs before the sidecar starts: 2000m wins.
  assert.deepEqual(podRequests(pod), { cpuMillis: 2000 + 50, memoryBytes: (32 + 128 + 256) * 2 ** 20, gpus: 1 });
  const sidecarFirst = { spec: { initContainers: [c({ cpu: '1' }, {}, 'Always'), c({ cpu: '1500m' })], containers: [c({ cpu: '100m' })] } };
  assert.equal(podRequests(sidecarFirst).cpuMillis, 2500, 'an init container runs next to the sidecars started before it');
});

test('only bound, unfinished pods hold resources', () => {
  const base = { spec: { nodeName: 'n', containers: [c({ cpu: '1' })] } };
  assert.equal(holdsResources(base), true);
  assert.equal(holdsResources({ spec: { containers: [] } }), false, 'not scheduled');
  assert.equal(holdsResources({ ...base, status: { phase: 'Succeeded' } }), false);
  assert.deepEqual(sumRequests([base, { ...base, status: { phase: 'Failed' } }, base]), { cpuMillis: 2000, memoryBytes: 0, gpus: 0, pods: 2 });
});

test('ticks align to the epoch, hours close after the grace period, intervals must divide the hour', () => {
  assert.equal(tickOf(new Date('2026-12-01T10:17:31Z'), 600_000).toISOString(), '2026-12-01T10:10:00.000Z');
  assert.equal(closedBefore(new Date('2026-12-01T11:04:59Z'), 300_000).toISOString(), '2026-12-01T10:00:00.000Z');
  assert.equal(closedBefore(new Date('2026-12-01T11:05:00Z'), 300_000).toISOString(), '2026-12-01T11:00:00.000Z');
  assert.equal(checkInterval(60_000), null);
  assert.match(checkInterval(7 * 60_000) ?? '', /divide one hour/);
  assert.throws(() => meteringConfigFromEnv({ FLEETPLANE_METERING_INTERVAL: '7m' }), /FLEETPLANE_METERING_INTERVAL must divide/);
  assert.throws(() => meteringConfigFromEnv({ FLEETPLANE_METERING_GRACE: 'soon' }), /FLEETPLANE_METERING_GRACE must be a duration/);
  assert.equal(meteringConfigFromEnv({ FLEETPLANE_AWS_MARKETPLACE_MAX_DELAY: '24h' }).export.limits.aws.maxDelayMs, 24 * 3_600_000);
});

test('UUID v5 matches RFC 9562 (the DNS namespace example)', () => {
  assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});
