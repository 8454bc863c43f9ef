// What the AI end-to-end tests share (engine-ai.test.ts, engine-ai-kserve.test.ts): the blueprint
// (blueprints/ai-platform 1.0.0 plus a CronJob and a training job pinned to a GPU product no testbed
// node has), the real engine in-process on the real store (embedded, or PostgreSQL when
// FLEETPLANE_TEST_DATABASE_URL is set) with a virtual clock the tests move, the real API (Fastify
// inject), the testbed cluster with GPU nodes, and the polling helpers. Nothing here asserts on time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import type { KubeObject, Operation } from '../../src/domain/types.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { harness, type Harness } from '../helpers/api-harness.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';

export type Obj = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Doc = { metadata: { name: string; version: string }; spec: { components: Array<Record<string, unknown>> } };

export const HOUR = 3_600_000;
export const WEDNESDAY_NOON = Date.parse('2026-12-02T12:00:00.000Z');
export const PINNED_PRODUCT = 'NVIDIA-H100-80GB-HBM3-NOT-ON-THE-TESTBED';

export function blueprint(): Doc {
  const doc = parseYaml(readFileSync(join(import.meta.dirname, '../../blueprints/ai-platform/1.0.0.yaml'), 'utf8')) as Doc;
  const finetune = doc.spec.components.find((c) => c.name === 'finetune')!;
  doc.spec.components.push(
    { name: 'reindex', kind: 'cron-job', description: 'Nightly embedding re-index', image: { repository: 'embed-server' }, args: ['--reindex'], schedule: '0 3 * * *' },
    { ...structuredClone(finetune), name: 'finetune-pinned', description: 'A run that waits for a GPU product no node has', gpu: { count: 1, product: PINNED_PRODUCT } },
  );
  return doc;
}

/** Fails with the operation's steps unless it succeeded. */
export function assertSucceeded(op: Operation, what: string = op.kind): void {
  assert.equal(op.state, 'succeeded', `${what}: ${op.error ?? ''} ${JSON.stringify(op.steps.map((st) => [st.name, st.state, st.message ?? st.error ?? '']))}`);
}
export const stepOutput = (op: Operation, name: string): Record<string, unknown> => op.steps.find((st) => st.name === name)?.output ?? {};

/** Waits (polling) until fn answers something truthy; fails with the last answer after `what` has not happened in 5 min. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + 5 * 60_000;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`${what} did not happen: ${String(last)}`);
    await sleep(250);
  }
}

export interface AiBed {
  h: Harness;
  engine: Engine;
  cluster: TestCluster;
  kube: KubeClient;
  now: () => Date;
  advance: (ms: number) => void;
  /**
   * Polls the store until the operation has finished (nudging the workers); no timing is asserted.
   * The virtual clock stands still while it runs, so a verify never times out on its own: after
   * 10 min of real time this fails with the operation's steps instead of hanging.
   */
  settled(id: string): Promise<Operation>;
  stop(): Promise<void>;
}

/** The harness on the virtual clock, the blueprint published, the engine started (no cluster registered yet). */
export async function startAiBed(): Promise<AiBed> {
  const tb = await getTestbed();
  const cluster = tb.clusters.find((c) => c.name === process.env.FLEETPLANE_TEST_AI_CLUSTER) ?? tb.clusters[tb.clusters.length - 1]!;
  let virtual = WEDNESDAY_NOON;
  const now = () => new Date(virtual);
  const h = await harness(process.env.FLEETPLANE_TEST_DATABASE_URL ? 'postgres' : 'embedded', undefined, { now });
  const doc = blueprint();
  const pub = await h.req('POST', '/v1/blueprints', { body: { name: doc.metadata.name, version: doc.metadata.version, spec: doc } });
  assert.equal(pub.status, 201, JSON.stringify(pub.body));
  const engine = await startEngine({
    store: h.store, logger: pino({ level: 'silent' }), concurrency: 4, pollMs: 50, now,
    reconcileIntervalMs: 0, clusterRefreshIntervalMs: 0, hibernationIntervalMs: 0,
  });
  return {
    h, engine, cluster, kube: cluster.client(), now,
    advance: (ms) => { virtual += ms; },
    async settled(id) {
      const deadline = Date.now() + 10 * 60_000;
      for (;;) {
        const op = await h.store.operations.get(id);
        if (op && (op.state === 'succeeded' || op.state === 'failed' || op.state === 'cancelled')) return op;
        if (Date.now() > deadline) assert.fail(`operation ${id} (${op?.kind}) did not finish: ${JSON.stringify(op?.steps.map((s) => [s.name, s.state, s.message ?? s.error ?? '']))}`);
        engine.nudge();
        await sleep(100);
      }
    },
    async stop() {
      await engine.stop();
      await h.close();
    },
  };
}
