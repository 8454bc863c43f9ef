// The spread of environments the isolation tests render: every release of the default blueprint,
// every tier and environment type, each on its own tenant, with and without an ambient waypoint.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBlueprint, type Blueprint } from '../../src/domain/blueprint.ts';
import { ENVIRONMENT_TYPES, TIERS, type EnvironmentType, type Tier } from '../../src/domain/types.ts';
import { renderEnvironment } from '../../src/render/index.ts';
import type { PlatformConfig, RenderInput, RenderResult } from '../../src/render/types.ts';

const root = join(import.meta.dirname, '..', '..');
export const RELEASES: Blueprint[] = ['1.4.0', '1.5.0'].map((v) => parseBlueprint(readFileSync(join(root, `blueprints/default/${v}.yaml`), 'utf8')));

export interface SpreadEnv { input: RenderInput; result: RenderResult; tier: Tier; type: EnvironmentType; release: string }

export function spread(platform: Partial<PlatformConfig> = {}): SpreadEnv[] {
  const out: SpreadEnv[] = [];
  for (const bp of RELEASES) {
    for (const tier of TIERS) {
      for (const type of ENVIRONMENT_TYPES) {
        const slug = `t${out.length}-${tier}`;
        const input: RenderInput = { tenant: { slug, name: slug, tier }, environment: { name: type, type }, blueprint: bp, placement: { cluster: 'c1' }, platform };
        out.push({ input, result: renderEnvironment(input), tier, type, release: bp.metadata.version });
      }
    }
  }
  return out;
}
