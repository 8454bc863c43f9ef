// `fleetplane rollouts preview BLUEPRINT@VERSION [selector and strategy flags of create]`: what the rollout
// would do now (POST /v1/rollouts:preview), before anything is written: one line per environment with
// its wave, objects added/changed/removed and request changes, then the skipped environments and why.
import type { Command } from 'commander';
import { collect, ctx, intFlag } from '../context.ts';
import { io } from '../io.ts';
import { createBody, type CreateFlags } from './rollouts.ts';

interface Delta { cpuMillis: number; memoryBytes: number; gpus: number }
interface PreviewView {
  version: string;
  waves: Array<{ index: number; name: string; environments: number }>;
  environments: Array<{ tenant: string; environment: string; waveName: string; fromVersion: string; delivery?: 'apply' | 'publish'; heldByMaintenanceWindow: boolean; added: unknown[]; changed: Array<{ kind: string; name: string; fields: string[] }>; removed: unknown[]; requests: Delta }>;
  skipped: Array<{ tenant: string; environment: string; reason: string }>;
  totals: { environments: number; added: number; changed: number; removed: number; requests: Delta };
}

const signed = (n: number, unit = ''): string => `${n > 0 ? '+' : ''}${n}${unit}`;
const mi = (b: number): string => signed(Math.round(b / 2 ** 20), 'Mi');

export function previewText(p: PreviewView): string {
  const t = p.totals;
  const lines = [
    `${t.environments} environments in ${p.waves.length} waves (${p.waves.map((w) => `${w.name} ${w.environments}`).join(', ')}), ${p.skipped.length} skipped; objects +${t.added} ~${t.changed} -${t.removed}; requests cpu ${signed(t.requests.cpuMillis, 'm')} memory ${mi(t.requests.memoryBytes)} gpus ${signed(t.requests.gpus)}`,
    ...p.environments.map((e) => `  ${e.waveName.padEnd(8)} ${`${e.tenant}/${e.environment}`.padEnd(32)} ${e.fromVersion} -> ${p.version}  +${e.added.length} ~${e.changed.length} -${e.removed.length}  cpu ${signed(e.requests.cpuMillis, 'm')} mem ${mi(e.requests.memoryBytes)}${e.delivery === 'publish' ? '  (self-managed: bundle published)' : ''}${e.heldByMaintenanceWindow ? '  (waits for its maintenance window)' : ''}`),
    ...p.skipped.map((s) => `  skipped  ${`${s.tenant}/${s.environment}`.padEnd(32)} ${s.reason}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function addPreviewCommand(ro: Command): void {
  ro.command('preview <release>').description('what a rollout of BLUEPRINT@VERSION would do now: waves, skipped environments, per-environment object diffs and request changes (writes nothing)')
    .option('--label <k=v>', 'tenant label selector (repeatable)', collect).option('--env-type <type>', 'prod | staging | dev (repeatable)', collect)
    .option('--cluster <name>', 'only environments on this cluster (repeatable)', collect).option('--tenant <slug>', 'only this tenant (repeatable)', collect)
    .option('--canary <n>', 'canary environments in the first wave', intFlag('--canary')).option('--canary-percent <p>', 'canary as a percentage')
    .option('--waves <p,p,…>', 'ascending cumulative percentages, e.g. 25,50,100')
    .action(async (release: string, f: CreateFlags, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.request<PreviewView>('POST', '/v1/rollouts:preview', { body: createBody(release, f) });
      if (c.format === 'table') io().out(previewText(body));
      else c.print(body, [body], [['ENVIRONMENTS', (p) => p.totals.environments]]);
    });
}
