// Snapshot files for tests. A snapshot that is missing or differs FAILS; files are written only when
// asked: FLEETPLANE_UPDATE_SNAPSHOTS=1, and never under CI (CI set), as `jest --ci` does. Review and
// commit what it writes. A directory snapshot also fails on files no test produces any more.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const UPDATE_ENV = 'FLEETPLANE_UPDATE_SNAPSHOTS';

/** True when this run may write snapshots (the update variable is set and this is not CI). */
export function updatingSnapshots(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[UPDATE_ENV] === '1' && !env.CI;
}

function hint(file: string): string {
  return `${file}: run the test with ${UPDATE_ENV}=1 (not under CI) to write it, then review and commit it`;
}

/** `actual` must equal the snapshot file's content. */
export function matchSnapshot(file: string, actual: string, update = updatingSnapshots()): void {
  if (update) {
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file) || readFileSync(file, 'utf8') !== actual) writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `missing snapshot ${hint(file)}`);
  assert.equal(actual, readFileSync(file, 'utf8'), `snapshot differs ${hint(file)}`);
}

/** The directory must hold exactly these files (name -> content), each matching. */
export function matchSnapshotDir(dir: string, files: Record<string, string>, update = updatingSnapshots()): void {
  const stale = existsSync(dir) ? readdirSync(dir).filter((f) => !(f in files)) : [];
  if (update) for (const f of stale) rmSync(join(dir, f));
  else assert.deepEqual(stale, [], `snapshot files no test produces: ${stale.join(', ')} (${hint(dir)})`);
  for (const [name, content] of Object.entries(files)) matchSnapshot(join(dir, name), content, update);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Change { from?: Json; to?: Json }

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);
const pointer = (base: string, key: string | number) => `${base}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

/**
 * Where two JSON values differ, by JSON pointer: objects key by key, arrays index by index, anything
 * else as a whole. A side that lacks the member has no from/to.
 */
export function structuralDiff(a: Json | undefined, b: Json | undefined, at = '', out: Record<string, Change> = {}): Record<string, Change> {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) structuralDiff(a[k], b[k], pointer(at, k), out);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) structuralDiff(a[i], b[i], pointer(at, i), out);
  } else {
    out[at || '/'] = change(a, b);
  }
  return out;
}

function change(a: Json | undefined, b: Json | undefined): Change {
  const c: Change = {};
  if (a !== undefined) c.from = a;
  if (b !== undefined) c.to = b;
  return c;
}
