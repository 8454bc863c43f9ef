// Optional record of every object apply with worker id and time window, for the crash-safety
// test (no object applied by two workers at once). `serve` enables it when FLEETPLANE_APPLY_EVENTS_FILE
// names a file; lines are appended synchronously so a SIGKILL loses at most the line being written.
import { appendFileSync } from 'node:fs';
import type { ObjectRef } from '../domain/types.ts';

export interface ApplyEvent {
  worker: string;
  operation: string;
  ref: string;
  phase: 'start' | 'end';
  at: number;
}

export type ApplyObserver = (e: ApplyEvent) => void;

/** An observer appending one JSON line per event to file; none without a file. */
export function applyEventsFile(file: string | undefined): ApplyObserver | undefined {
  if (!file) return undefined;
  return (e) => appendFileSync(file, `${JSON.stringify(e)}\n`);
}

export const refString = (r: ObjectRef): string => `${r.kind}/${r.namespace ?? ''}/${r.name}`;
