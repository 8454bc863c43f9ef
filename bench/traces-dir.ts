// Where the shared development traces are: FLEETPLANE_TRACES_DIR, else shared/data/traces/crane next to the
// checkout (main) or next to the worktrees folder (helpers' worktrees).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function tracesDir(): string {
  if (process.env.FLEETPLANE_TRACES_DIR) return resolve(process.env.FLEETPLANE_TRACES_DIR);
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const tries = [join(root, '..', 'shared'), join(root, '..', '..', 'shared')].map((s) => join(s, 'data', 'traces', 'crane'));
  return tries.find((d) => existsSync(d)) ?? tries[0]!;
}
