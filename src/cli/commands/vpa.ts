// `fleetplane forecast vpa TENANT/ENV WORKLOAD` (the CPU/memory request recommendation from usage history)
// and `fleetplane forecast vpa-apply TENANT/ENV WORKLOAD --mode Off|Initial` (write the VerticalPodAutoscaler),
// through the API (src/api/routes/vpa.ts).
import { Command, Option } from 'commander';
import { InputError } from '../../domain/errors.ts';

interface Rec { cpuCores: number; memoryBytes: number }
interface RecommendationView {
  namespace: string;
  containers: Array<{ container: string; recommendation: { target: Rec; lowerBound: Rec; upperBound: Rec; confidence: number } }>;
}

function envPath(ref: string): string {
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(ref);
  if (!m) throw new InputError(`"${ref}" is not TENANT/ENV (e.g. acme/prod)`);
  return `/v1/environments/${m[1]}/${m[2]}/scaling/vpa`;
}

const cores = (v: number): string => `${Math.ceil(v * 1000)}m`;
const mib = (v: number): string => (Number.isFinite(v) ? `${Math.ceil(v / 2 ** 20)}Mi` : '-');

function rows(r: RecommendationView): Array<[string, RecommendationView['containers'][number]['recommendation']]> {
  return r.containers.map((c) => [c.container, c.recommendation]);
}

const COLUMNS: Array<[string, (row: [string, RecommendationView['containers'][number]['recommendation']]) => unknown]> = [
  ['CONTAINER', ([c]) => c],
  ['CPU', ([, r]) => cores(r.target.cpuCores)], ['CPU-LOW', ([, r]) => cores(r.lowerBound.cpuCores)], ['CPU-HIGH', ([, r]) => (Number.isFinite(r.upperBound.cpuCores) ? cores(r.upperBound.cpuCores) : '-')],
  ['MEMORY', ([, r]) => mib(r.target.memoryBytes)], ['MEM-LOW', ([, r]) => mib(r.lowerBound.memoryBytes)], ['MEM-HIGH', ([, r]) => mib(r.upperBound.memoryBytes)],
  ['DAYS', ([, r]) => r.confidence.toFixed(1)],
];

function kindOf(k: string): 'Deployment' | 'StatefulSet' {
  if (k !== 'Deployment' && k !== 'StatefulSet') throw new InputError(`--kind: "${k}" is not Deployment or StatefulSet`);
  return k;
}

function daysOf(d: string): number {
  const n = Number(d);
  if (!Number.isInteger(n) || n < 1 || n > 14) throw new InputError(`--days: "${d}" is not a whole number of days from 1 to 14`);
  return n;
}

export function addVpaCommands(cmd: Command): void {
  cmd.command('vpa')
    .description("CPU and memory request recommendation for a workload from its usage history (VPA recommender's algorithm; API)")
    .argument('<tenant/env>').argument('<workload>', 'Deployment or StatefulSet name')
    .option('--kind <kind>', 'Deployment | StatefulSet', 'Deployment').option('--days <n>', 'days of usage history', '8')
    .addOption(new Option('-o, --output <format>', 'output format: table | json | yaml'))
    .action(async (ref: string, name: string, o: { kind: string; days: string }, c: Command) => {
      const path = `${envPath(ref)}/recommendation`;
      const query = { kind: kindOf(o.kind), name, historyDays: String(daysOf(o.days)) };
      const { ctx } = await import('../context.ts');
      const x = ctx(c);
      const { body } = await x.client.get<RecommendationView>(path, query);
      x.print(body, rows(body), COLUMNS);
    });
  cmd.command('vpa-apply')
    .description('write a VerticalPodAutoscaler with the recommendation (Off: recommend only; Initial: set at pod creation); refused when an HPA scales the workload on the same resource (API)')
    .argument('<tenant/env>').argument('<workload>', 'Deployment or StatefulSet name')
    .requiredOption('--mode <mode>', 'Off | Initial')
    .option('--kind <kind>', 'Deployment | StatefulSet', 'Deployment')
    .option('--resources <list>', 'resources the VPA controls', 'cpu,memory')
    .option('--days <n>', 'days of usage history', '8')
    .option('--dry-run', 'validate on the cluster, write nothing', false)
    .addOption(new Option('-o, --output <format>', 'output format: table | json | yaml'))
    .action(async (ref: string, name: string, o: { mode: string; kind: string; resources: string; days: string; dryRun: boolean }, c: Command) => {
      if (o.mode !== 'Off' && o.mode !== 'Initial') throw new InputError(`--mode: "${o.mode}" is not Off or Initial`);
      const resources = o.resources.split(',').map((r) => r.trim());
      const wrong = resources.find((r) => r !== 'cpu' && r !== 'memory');
      if (wrong !== undefined) throw new InputError(`--resources: "${wrong}" is not cpu or memory`);
      const body = { workload: { kind: kindOf(o.kind), name }, mode: o.mode, controlledResources: resources, historyDays: daysOf(o.days), dryRun: o.dryRun };
      const { ctx } = await import('../context.ts');
      const x = ctx(c);
      const res = await x.client.request<{ dryRun: boolean; object: { metadata: { name: string; namespace: string } }; recommendation: RecommendationView }>('PUT', envPath(ref), { body });
      x.print(res.body, rows(res.body.recommendation), COLUMNS);
    });
}
