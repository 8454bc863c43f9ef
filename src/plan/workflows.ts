// Each Operation kind is an ordered list of named steps. The engine runs the first step that has not
// succeeded, so a re-run after a crash resumes where it stopped; every step is idempotent.
import type { OperationKind, OperationStep } from '../domain/types.ts';

export type StepName = 'place' | 'render' | 'deliver' | 'verify' | 'record' | 'check-hold' | 'remove';

export const WORKFLOWS: Readonly<Record<OperationKind, readonly StepName[]>> = {
  onboard: ['place', 'render', 'deliver', 'verify', 'record'],
  upgrade: ['render', 'deliver', 'verify', 'record'],
  patch: ['render', 'deliver', 'verify', 'record'],
  reconfigure: ['render', 'deliver', 'verify', 'record'],
  scale: ['render', 'deliver', 'verify', 'record'],
  rollback: ['render', 'deliver', 'verify', 'record'],
  offboard: ['check-hold', 'remove', 'record'],
};

/** Step names for a new Operation of this kind (what the API stores in Operation.steps). */
export function stepsFor(kind: OperationKind): StepName[] {
  return [...WORKFLOWS[kind]];
}

/** Initial step records for a new operation. */
export function initialSteps(kind: OperationKind): OperationStep[] {
  return stepsFor(kind).map((name) => ({ name, state: 'pending', attempts: 0 }));
}

export type NextStep =
  | { done: false; step: StepName; index: number; attempts: number; record?: OperationStep }
  | { done: true };

/**
 * First step of the workflow not yet succeeded (or skipped). Step records are matched by name, so
 * operations created with an empty or partial `steps` list still run the whole workflow.
 */
export function nextStep(kind: OperationKind, records: readonly OperationStep[]): NextStep {
  const byName = new Map(records.map((r) => [r.name, r]));
  const names = WORKFLOWS[kind];
  for (let i = 0; i < names.length; i++) {
    const rec = byName.get(names[i]!);
    if (rec && (rec.state === 'succeeded' || rec.state === 'skipped')) continue;
    return { done: false, step: names[i]!, index: i, attempts: rec?.attempts ?? 0, ...(rec ? { record: rec } : {}) };
  }
  return { done: true };
}

/** Merged step list: the workflow's steps in order with the recorded state of each. */
export function mergeSteps(kind: OperationKind, records: readonly OperationStep[], update?: OperationStep): OperationStep[] {
  const byName = new Map(records.map((r) => [r.name, r]));
  if (update) byName.set(update.name, update);
  const names: string[] = [...WORKFLOWS[kind]];
  for (const r of byName.keys()) if (!names.includes(r)) names.push(r);
  return names.map((n) => byName.get(n) ?? { name: n, state: 'pending', attempts: 0 });
}

export interface RetryDecision {
  retry: boolean;
  /** When retry is false and the step is verify on a delivering workflow: roll back. */
  rollback: boolean;
}

/** What to do after a step failed on its `attempts`-th try. */
export function afterStepFailure(kind: OperationKind, step: StepName, attempts: number, maxAttempts: number): RetryDecision {
  if (attempts < maxAttempts) return { retry: true, rollback: false };
  const delivering = WORKFLOWS[kind].includes('deliver') && kind !== 'rollback';
  return { retry: false, rollback: delivering && (step === 'verify' || step === 'deliver') };
}

/**
 * A waiting step's next check: soon at first (most rollouts finish within seconds), then backing
 * off to `maxMs`, so hundreds of parked verifications cost a handful of claims per second.
 */
export function recheckDelayMs(waits: number, baseMs = 1000, maxMs = 5000): number {
  return Math.round(Math.min(maxMs, baseMs * 1.5 ** Math.max(0, waits - 1)));
}
