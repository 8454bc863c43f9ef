// fleetplane blueprints list|get|create (publish a release)
import type { Command } from 'commander';
import { CliError } from '../client.ts';
import { ctx, enc, readDoc } from '../context.ts';
import { age, type Column } from '../output.ts';

interface ReleaseView { name: string; version: string; digest: string; createdAt: string }

const COLUMNS: Array<Column<ReleaseView>> = [
  ['NAME', (r) => r.name], ['VERSION', (r) => r.version], ['DIGEST', (r) => r.digest?.slice(0, 12)], ['AGE', (r) => age(r.createdAt)],
];

export default function register(program: Command): void {
  const bps = program.command('blueprints').alias('blueprint').description('blueprint releases');

  bps.command('list').description('list releases').option('--name <name>', 'only this blueprint').action(async (o: { name?: string }, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ items: ReleaseView[] }>('/v1/blueprints', { name: o.name });
    c.print(body, body.items, COLUMNS);
  });

  bps.command('get <name> <version>').description('show a release with its document').action(async (name: string, version: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<ReleaseView>(`/v1/blueprints/${enc(name)}/${enc(version)}`);
    c.print(body, [body], COLUMNS);
  });

  bps.command('create').alias('publish').description('publish a release from a blueprint document (name and version from its metadata)')
    .requiredOption('-f, --file <file>', 'blueprint.yaml').action(async (o: { file: string }, cmd: Command) => {
      const c = ctx(cmd);
      const spec = await readDoc(o.file);
      const meta = spec.metadata as { name?: unknown; version?: unknown } | undefined;
      if (typeof meta?.name !== 'string' || typeof meta?.version !== 'string') throw new CliError(`${o.file}: metadata.name and metadata.version are required`, 2);
      const { body } = await c.client.request<ReleaseView>('POST', '/v1/blueprints', { body: { name: meta.name, version: meta.version, spec } });
      c.print(body, [body], COLUMNS);
    });
}
