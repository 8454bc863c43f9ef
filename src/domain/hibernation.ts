// Environment hibernation (docs/ai-workloads.md): a weekly schedule of "off" windows per environment
// type (the blueprint) or per environment, when every workload of the environment is scaled to zero,
// and what that saved. Pure: the instant is always an argument (the scheduler passes its clock's).
import { InputError, type FieldIssue } from './errors.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** One off window: from `start` on each of `days` (every day when absent) to `end`, the next day when end <= start. "24:00" ends at midnight. */
export interface OffWindow {
  days?: Weekday[];
  start: string;
  end: string;
}

export interface HibernationSchedule {
  /** IANA time zone the windows are in (default UTC). */
  timezone?: string;
  off: OffWindow[];
}

const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$';
export const HIBERNATION_SCHEDULE_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['off'],
  properties: {
    timezone: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$', maxLength: 64 },
    off: {
      type: 'array', minItems: 1, maxItems: 21,
      items: {
        type: 'object', additionalProperties: false, required: ['start', 'end'],
        properties: { days: { type: 'array', uniqueItems: true, minItems: 1, items: { enum: WEEKDAYS } }, start: { type: 'string', pattern: HHMM }, end: { type: 'string', pattern: HHMM } },
      },
    },
  },
} as const;

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Cross-field checks the schema cannot express: a known time zone, no empty window. */
export function scheduleIssues(s: HibernationSchedule, at = ''): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (s.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: s.timezone });
    } catch {
      issues.push({ field: `${at}/timezone`, message: `unknown time zone "${s.timezone}"` });
    }
  }
  s.off.forEach((w, i) => {
    if (w.start === '24:00') issues.push({ field: `${at}/off/${i}/start`, message: 'must be before 24:00' });
    if (w.start === w.end) issues.push({ field: `${at}/off/${i}/end`, message: 'must differ from start (use 00:00-24:00 for a whole day)' });
  });
  return issues;
}

export function assertSchedule(s: HibernationSchedule, at = ''): void {
  const issues = scheduleIssues(s, at);
  if (issues.length > 0) throw new InputError(`invalid hibernation schedule: ${issues[0]!.field} ${issues[0]!.message}`, issues);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  return f;
}

/** Local weekday (0 = mon) and minute of the day of an instant in a time zone. */
export function localTime(at: Date, tz = 'UTC'): { day: number; minute: number } {
  const parts = formatter(tz).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = WEEKDAYS.indexOf(get('weekday').toLowerCase().slice(0, 3) as Weekday);
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

function inWindow(w: OffWindow, day: number, minute: number): boolean {
  const days = (w.days ?? WEEKDAYS).map((d) => WEEKDAYS.indexOf(d));
  const s = minutesOf(w.start);
  const e = minutesOf(w.end);
  if (e > s) return days.includes(day) && minute >= s && minute < e;
  // Overnight: from start on a listed day to end on the day after.
  return (days.includes(day) && minute >= s) || (days.includes((day + 6) % 7) && minute < e);
}

/** Whether the schedule wants the environment off at this instant. */
export function isOffAt(s: HibernationSchedule, at: Date): boolean {
  const { day, minute } = localTime(at, s.timezone ?? 'UTC');
  return s.off.some((w) => inWindow(w, day, minute));
}

/** The next instant (minute resolution, within 8 days) the schedule changes its mind, or null when it never does. */
export function nextChange(s: HibernationSchedule, at: Date): Date | null {
  const now = isOffAt(s, at);
  const start = Math.floor(at.getTime() / 60_000) + 1;
  for (let m = start; m < start + 8 * 24 * 60; m++) {
    const t = new Date(m * 60_000);
    if (isOffAt(s, t) !== now) return t;
  }
  return null;
}

/** A stretch an environment spent hibernated, with what it would otherwise have run. */
export interface HibernationPeriod {
  startedAt: string;
  /** null while still hibernated. */
  endedAt: string | null;
  replicas: number;
  gpus: number;
}

export interface HibernationSavings {
  replicaHours: number;
  gpuHours: number;
  hibernatedHours: number;
}

/** Replica-hours and GPU-hours not run, over the periods (an open one counts until `now`), optionally clipped to [from, to). */
export function savings(periods: readonly HibernationPeriod[], now: Date, window?: { from?: Date; to?: Date }): HibernationSavings {
  let replicaHours = 0;
  let gpuHours = 0;
  let hibernatedHours = 0;
  for (const p of periods) {
    const a = Math.max(Date.parse(p.startedAt), window?.from?.getTime() ?? -Infinity);
    const b = Math.min(p.endedAt ? Date.parse(p.endedAt) : now.getTime(), window?.to?.getTime() ?? Infinity, now.getTime());
    if (b <= a) continue;
    const h = (b - a) / 3_600_000;
    hibernatedHours += h;
    replicaHours += h * p.replicas;
    gpuHours += h * p.gpus;
  }
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { replicaHours: r(replicaHours), gpuHours: r(gpuHours), hibernatedHours: r(hibernatedHours) };
}

export const HIBERNATION_STATES = ['awake', 'hibernated'] as const;
export type HibernationState = (typeof HIBERNATION_STATES)[number];

/** What the store keeps of an environment's hibernation. */
export interface HibernationRecord {
  tenant: string;
  environment: string;
  state: HibernationState;
  /** The environment's own schedule; null: its environment type's (the blueprint's). */
  schedule: HibernationSchedule | null;
  /** What the schedule asked for when the scheduler last acted. */
  scheduleWants: 'off' | 'on' | null;
  since: string | null;
}

export interface StoredHibernationPeriod extends HibernationPeriod {
  tenant: string;
  environment: string;
  revision: string | null;
  /** manual, schedule */
  reason: string;
}

export const TRAINING_RUN_STATES = ['running', 'succeeded', 'failed'] as const;
export type TrainingRunState = (typeof TRAINING_RUN_STATES)[number];

export interface TrainingRun {
  tenant: string;
  environment: string;
  component: string;
  id: string;
  /** TrainJob (Kubeflow Trainer) or Job. */
  form: 'TrainJob' | 'Job';
  /** The object created in the environment's namespace. */
  object: { apiVersion: string; kind: string; namespace: string; name: string };
  gpus: number;
  nodes: number;
  state: TrainingRunState;
  message: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** GPU-hours a run held (until now while it runs). */
export function trainingGpuHours(r: Pick<TrainingRun, 'gpus' | 'startedAt' | 'finishedAt'>, now: Date): number {
  const end = r.finishedAt ? Date.parse(r.finishedAt) : now.getTime();
  return Math.round((Math.max(0, end - Date.parse(r.startedAt)) / 3_600_000) * r.gpus * 1000) / 1000;
}

/**
 * What the scheduler does for one environment now: it acts only when the schedule changes its mind
 * (`wants` is what it asked for last time), so a manual wake inside an off window holds until the
 * next window, and a first look inside an on window never wakes a manually hibernated environment.
 */
export function scheduledAction(s: HibernationSchedule, wants: 'off' | 'on' | null, now: Date): { wants: 'off' | 'on'; action: 'hibernate' | 'wake' | null } {
  const w = isOffAt(s, now) ? 'off' : 'on';
  if (w === wants || (wants === null && w === 'on')) return { wants: w, action: null };
  return { wants: w, action: w === 'off' ? 'hibernate' : 'wake' };
}
