// Builds what GET /v1/rollouts/{id} shows: per-wave counts, gate status and targets.
import { TARGET_STATES, type Rollout, type RolloutTarget, type TargetState } from '../../domain/rollouts.ts';
import type { RolloutView, WaveView } from './types.ts';

function zero(): Record<TargetState, number> {
  return Object.fromEntries(TARGET_STATES.map((s) => [s, 0])) as Record<TargetState, number>;
}

function waveState(index: number, current: number, counts: Record<TargetState, number>, gate: WaveView['gate']): WaveView['state'] {
  if (index < current || gate === 'passed') return 'done';
  if (gate === 'baking') return 'baking';
  if (gate === 'failed') return 'gated';
  return counts.running > 0 || counts.succeeded + counts.failed > 0 ? 'running' : 'pending';
}

export function rolloutView(r: Rollout, targets: RolloutTarget[]): RolloutView {
  const totals = { ...zero(), total: targets.length };
  const waves: WaveView[] = r.spec.waveNames.map((name, index) => {
    const mine = targets.filter((t) => t.wave === index);
    const counts = zero();
    for (const t of mine) counts[t.state]++;
    const st = r.status.waves[index] ?? { gate: 'pending' as const };
    return {
      index, name, state: waveState(index, r.currentWave, counts, st.gate), counts, gate: st.gate,
      ...(st.gateReason ? { gateReason: st.gateReason } : {}),
      ...(st.startedAt ? { startedAt: st.startedAt } : {}),
      ...(st.completedAt ? { completedAt: st.completedAt } : {}),
      targets: mine.map((t) => ({ tenant: t.tenant, environment: t.environment, state: t.state, operationId: t.operationId, reason: t.reason, fromVersion: t.fromVersion })),
    };
  });
  for (const t of targets) totals[t.state]++;
  return {
    id: r.id, blueprint: r.blueprint, version: r.version, state: r.state, reason: r.reason, currentWave: r.currentWave,
    selector: r.spec.selector, strategy: r.spec.strategy, totals, waves, skipped: r.spec.skipped,
    ...(r.status.rollback ? { rollback: r.status.rollback } : {}),
    createdBy: r.createdBy, createdAt: r.createdAt, updatedAt: r.updatedAt, finishedAt: r.finishedAt,
  };
}
