// `fleetplane render` offline: the same objects as the renderer, in apply order, as YAML or JSON;
// --gitops gives the tenant repo tree with the Argo CD objects; bad input is one line and exit 2.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { parseBlueprint } from '../../domain/blueprint.ts';
import { renderEnvironment } from '../../render/index.ts';
import { main } from '../main.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const bpFile = join(root, 'blueprints/default/1.5.0.yaml');
const dir = mkdtempSync(join(tmpdir(), 'fp-render-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function envFile(text: string): string {
  const f = join(dir, `env-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, text);
  return f;
}
const spec = 'tenant: { slug: acme, name: Acme, tier: shared }\nenvironment: { name: prod, type: prod, values: { logLevel: warn } }\nplacement: { cluster: fp-1 }\n';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false });
  return { code, out, err };
}

describe('fleetplane render', () => {
  const expected = renderEnvironment({
    tenant: { slug: 'acme', name: 'Acme', tier: 'shared' }, environment: { name: 'prod', type: 'prod', values: { logLevel: 'warn' } },
    blueprint: parseBlueprint(readFileSync(bpFile, 'utf8')), placement: { cluster: 'fp-1' },
  });

  it('prints the environment\'s objects in apply order as a YAML stream, the same as the renderer', async () => {
    const r = await cli(['render', '-b', bpFile, '-e', envFile(spec)]);
    assert.equal(r.code, 0, r.err);
    const docs = parseAllDocuments(r.out).map((d) => d.toJSON());
    assert.deepEqual(docs, expected.objects.map((o) => JSON.parse(JSON.stringify(o.object)) as unknown));
  });

  it('-o json prints a v1 List', async () => {
    const r = await cli(['-o', 'json', 'render', '-b', bpFile, '-e', envFile(spec)]);
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as { kind: string; items: unknown[] };
    assert.equal(list.kind, 'List');
    assert.equal(list.items.length, expected.objects.length);
  });

  it('--gitops writes the tenant repo tree including the Argo CD objects', async () => {
    const out = join(dir, 'tree');
    const r = await cli(['render', '-b', bpFile, '-e', envFile(spec), '--gitops', '--out-dir', out, '--repo-url', 'https://git.example.com/acme.git']);
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(join(out, 'argocd/appproject.yaml')));
    assert.ok(existsSync(join(out, 'environments/prod/revision.json')));
    const index = JSON.parse(readFileSync(join(out, 'environments/prod/revision.json'), 'utf8')) as { revision: string };
    assert.equal(index.revision, expected.revision);
    const printed = await cli(['render', '-b', bpFile, '-e', envFile(spec), '--gitops']);
    assert.match(printed.out, /# Source: argocd\/applicationset\.yaml/);
  });

  it('bad input: one line naming the field, exit 2, nothing printed on stdout', async () => {
    const bad = await cli(['render', '-b', bpFile, '-e', envFile('tenant: { slug: "Bad!", tier: shared }\nenvironment: { name: prod, type: prod }\n')]);
    assert.equal(bad.code, 2);
    assert.equal(bad.out, '');
    assert.match(bad.err, /\/tenant\/slug/);
    assert.equal(bad.err.trim().split('\n').length, 1);
    const foreign = await cli(['render', '-b', bpFile, '-e', envFile(`${spec.replace('values: { logLevel: warn }', 'values: { secrets: { database: { remoteRef: { key: tenants/globex/prod/database } } } }')}`)]);
    assert.equal(foreign.code, 2);
    assert.match(foreign.err, /remoteRef\/key/);
    const missing = await cli(['render', '-b', join(dir, 'nope.yaml'), '-e', envFile(spec)]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read/);
  });
});
