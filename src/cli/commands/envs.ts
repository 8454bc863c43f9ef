// fleetplane envs list|get|create, the actions upgrade|patch|scale|rollback|restart|hibernate|wake|move,
// and hibernation / schedule / train / training-jobs (docs/ai-workloads.md)
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from '../client.ts';
import { ctx, enc, intFlag, readDoc } from '../context.ts';
import { age, type Column } from '../output.ts';
import { OPERATION_COLUMNS, type OperationView } from './ops.ts';

interface EnvView {
  tenant: string; name: string; type: string; blueprint: string; version: string; health: string;
  placement: { cluster: string; namespace: string }; delivery: string; appliedRevision?: string | null; createdAt: string;
}

const COLUMNS: Array<Column<EnvView>> = [
  ['TENANT', (e) => e.tenant], ['NAME', (e) => e.name], ['TYPE', (e) => e.type], ['RELEASE', (e) => `${e.blueprint}@${e.version}`],
  ['CLUSTER', (e) => e.placement?.cluster], ['NAMESPACE', (e) => e.placement?.namespace], ['HEALTH', (e) => e.health],
  ['REVISION', (e) => e.appliedRevision], ['AGE', (e) => age(e.createdAt)],
];

type ActionBody = (o: Record<string, string | number | undefined>) => Promise<Record<string, unknown>>;

function need(o: Record<string, unknown>, flag: string, key: string): unknown {
  if (o[key] === undefined) throw new CliError(`missing --${flag}`, 2);
  return o[key];
}

const ACTIONS: Array<{ verb: string; describe: string; flags: Array<[string, string]>; body: ActionBody }> = [
  { verb: 'upgrade', describe: 'upgrade to another release', flags: [['--version <semver>', 'target release version']], body: async (o) => ({ version: need(o, 'version', 'version') }) },
  { verb: 'patch', describe: 'patch values (-f values.yaml) or an image tag', flags: [['-f, --file <file>', 'values to merge'], ['--image-tag <tag>', 'new image tag'], ['--component <name>', 'only this component']],
    body: async (o) => {
      const body: Record<string, unknown> = {};
      if (o.file) body.values = await readDoc(String(o.file));
      if (o.imageTag) body.image = { tag: o.imageTag, ...(o.component ? { component: o.component } : {}) };
      if (Object.keys(body).length === 0) throw new CliError('give -f values.yaml and/or --image-tag', 2);
      return body;
    } },
  { verb: 'scale', describe: 'set replicas of one component', flags: [['--component <name>', 'component'], ['--replicas <n>', 'replicas']],
    body: async (o) => ({ component: need(o, 'component', 'component'), replicas: intFlag('--replicas')(String(need(o, 'replicas', 'replicas'))) }) },
  { verb: 'rollback', describe: 're-apply an earlier revision (default: last good)', flags: [['--revision <id>', 'revision id']], body: async (o) => (o.revision ? { revision: o.revision } : {}) },
  { verb: 'restart', describe: 'restart workloads', flags: [['--component <name>', 'only this component']], body: async (o) => (o.component ? { component: o.component } : {}) },
  { verb: 'hibernate', describe: 'scale every workload to zero (the revision is kept; docs/ai-workloads.md)', flags: [['--reason <text>', 'recorded with the hibernation']], body: async (o) => (o.reason ? { reason: o.reason } : {}) },
  { verb: 'move', describe: 'move to another cluster (--to, or chosen by placement): Ready there before it is removed here (docs/clusters.md)',
    flags: [['--to <cluster>', 'target cluster (default: placement chooses, this one excluded)'], ['--reason <text>', 'recorded with the move']],
    body: async (o) => ({ ...(o.to ? { to: o.to } : {}), ...(o.reason ? { reason: o.reason } : {}) }) },
  { verb: 'wake', describe: 'wake a hibernated environment (its revision again, verified Ready)', flags: [['--reason <text>', 'recorded with the wake']], body: async (o) => (o.reason ? { reason: o.reason } : {}) },
];

interface HibernationView {
  state: string; since: string | null; revision: string | null; scheduleSource: string | null; nextScheduledChange: string | null;
  saved: { replicaHours: number; gpuHours: number; hibernatedHours: number };
}
const HIBERNATION_COLUMNS: Array<Column<HibernationView>> = [
  ['STATE', (h) => h.state], ['SINCE', (h) => h.since ?? ''], ['REVISION', (h) => h.revision ?? ''], ['SCHEDULE', (h) => h.scheduleSource ?? 'none'],
  ['NEXT CHANGE', (h) => h.nextScheduledChange ?? ''], ['SAVED REPLICA-H', (h) => h.saved.replicaHours], ['SAVED GPU-H', (h) => h.saved.gpuHours],
];
interface RunView { component: string; id: string; form: string; state: string; gpus: number; gpuHours: number; startedAt: string; finishedAt: string | null }
const RUN_COLUMNS: Array<Column<RunView>> = [
  ['COMPONENT', (r) => r.component], ['ID', (r) => r.id], ['AS', (r) => r.form], ['STATE', (r) => r.state], ['GPUS', (r) => r.gpus], ['GPU-H', (r) => r.gpuHours], ['AGE', (r) => age(r.startedAt)],
];

function registerAi(envs: Command): void {
  envs.command('hibernation <tenant> <env>').description('hibernation state, schedule and the replica-hours and GPU-hours saved').action(async (tenant: string, env: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<HibernationView>(`/v1/environments/${enc(tenant)}/${enc(env)}/hibernation`);
    c.print(body, [body], HIBERNATION_COLUMNS);
  });
  envs.command('schedule <tenant> <env>').description("set the environment's own hibernation schedule (-f schedule.yaml), or --clear it")
    .option('-f, --file <file>', 'schedule document: { timezone?, off: [{ days?, start, end }] }').option('--clear', "use the environment type's schedule again")
    .action(async (tenant: string, env: string, o: { file?: string; clear?: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      const path = `/v1/environments/${enc(tenant)}/${enc(env)}/hibernation/schedule`;
      if (!o.file && !o.clear) throw new CliError('give -f schedule.yaml or --clear', 2);
      const { body } = o.clear ? await c.client.request<HibernationView>('DELETE', path) : await c.client.request<HibernationView>('PUT', path, { body: await readDoc(o.file!) });
      c.print(body, [body], HIBERNATION_COLUMNS);
    });
  envs.command('train <tenant> <env> <component>').description('start a run of a training-job component (TrainJob or Job)')
    .option('--id <id>', 'run id (default: from the time)').option('--arg <arg...>', 'replace the component\'s args for this run')
    .action(async (tenant: string, env: string, component: string, o: { id?: string; arg?: string[] }, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.request<RunView>('POST', `/v1/environments/${enc(tenant)}/${enc(env)}/training-jobs`, { body: { component, ...(o.id ? { id: o.id } : {}), ...(o.arg ? { args: o.arg } : {}) } });
      c.print(body, [body], RUN_COLUMNS);
    });
  envs.command('training-jobs <tenant> <env>').description("the environment's training runs, their state and GPU-hours").action(async (tenant: string, env: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ runs: RunView[] }>(`/v1/environments/${enc(tenant)}/${enc(env)}/training-jobs`);
    c.print(body, body.runs, RUN_COLUMNS);
  });
}

export default function register(program: Command): void {
  const envs = program.command('envs').alias('env').description("tenants' environments");

  envs.command('list <tenant>').description("list a tenant's environments").action(async (tenant: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ items: EnvView[] }>(`/v1/tenants/${enc(tenant)}/environments`);
    c.print(body, body.items, COLUMNS);
  });

  envs.command('get <tenant> <env>').description('show an environment and its status').action(async (tenant: string, env: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<EnvView>(`/v1/environments/${enc(tenant)}/${enc(env)}`);
    c.print(body, [body], COLUMNS);
  });

  envs.command('bundle <tenant> <env>').description('download the environment as a self-managed bundle (tar.gz with install.sh)')
    .option('--revision <id>', 'a stored revision (default: the applied one)')
    .option('--out <file>', 'where to write it (default: <tenant>-<env>-<revision>.tar.gz here)')
    .action(async (tenant: string, env: string, o: { revision?: string; out?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { bytes, headers } = await c.client.download(`/v1/tenants/${enc(tenant)}/bundles/${enc(env)}`, { revision: o.revision });
      const revision = headers.get('x-fleetplane-revision') ?? 'unknown';
      const out = o.out ?? `${tenant}-${env}-${revision}.tar.gz`;
      await writeFile(out, bytes);
      c.print({ file: out, bytes: bytes.length, revision }, [{ file: out, bytes: bytes.length, revision }], [['FILE', (r) => r.file], ['BYTES', (r) => r.bytes], ['REVISION', (r) => r.revision]]);
    });

  envs.command('create <tenant>').description('add an environment (starts onboarding it)')
    .option('-f, --file <file>', 'environment document (YAML or JSON)')
    .option('--name <name>').option('--type <type>', 'prod | staging | dev').option('--blueprint <name>').option('--version <semver>').option('--cluster <name>')
    .action(async (tenant: string, o: Record<string, string | undefined>, cmd: Command) => {
      const c = ctx(cmd);
      let body: Record<string, unknown>;
      if (o.file) body = await readDoc(o.file);
      else {
        for (const k of ['name', 'type', 'blueprint', 'version']) need(o, k, k);
        body = { name: o.name, type: o.type, blueprint: o.blueprint, version: o.version, ...(o.cluster ? { cluster: o.cluster } : {}) };
      }
      const { body: op } = await c.client.request<OperationView>('POST', `/v1/tenants/${enc(tenant)}/environments`, { body });
      c.print(op, [op], OPERATION_COLUMNS);
    });

  registerAi(envs);
  for (const a of ACTIONS) {
    const sub = envs.command(`${a.verb} <tenant> <env>`).description(a.describe).option('--idempotency-key <key>', 'makes a retry safe');
    for (const [flag, help] of a.flags) sub.option(flag, help);
    sub.action(async (tenant: string, env: string, o: Record<string, string | undefined>, cmd: Command) => {
      const c = ctx(cmd);
      const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {};
      const { body: op } = await c.client.request<OperationView>('POST', `/v1/tenants/${enc(tenant)}/environments/${enc(env)}:${a.verb}`, { body: await a.body(o), headers });
      c.print(op, [op], OPERATION_COLUMNS);
    });
  }
}
