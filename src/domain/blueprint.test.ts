/* eslint-disable @typescript-eslint/no-explicit-any -- tests mutate parsed YAML freely */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { parseBlueprint } from './blueprint.ts';
import { InputError } from './errors.ts';
import { renderEnvironment } from '../render/index.ts';

const text = readFileSync(join(import.meta.dirname, '../../blueprints/default/1.4.0.yaml'), 'utf8');

function issueFields(mutate: (doc: Record<string, any>) => void): string[] {
  const doc = parse(text) as Record<string, any>;
  mutate(doc);
  try {
    parseBlueprint(doc);
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err.issues.map((i) => i.field);
  }
  assert.fail('expected an InputError');
}

describe('parseBlueprint', () => {
  it('parses the shipped blueprints with a stable digest', () => {
    const a = parseBlueprint(text);
    assert.equal(a.metadata.version, '1.4.0');
    assert.equal(a.spec.components.length, 6);
    assert.match(a.digest, /^[0-9a-f]{64}$/);
    assert.equal(parseBlueprint(parse(text) as Record<string, unknown>).digest, a.digest, 'YAML vs object: same digest');
    assert.notEqual(parseBlueprint(readFileSync(join(import.meta.dirname, '../../blueprints/default/1.5.0.yaml'), 'utf8')).digest, a.digest);
  });

  const table: Array<[string, (d: Record<string, any>) => void, string]> = [
    ['wrong apiVersion', (d) => { d.apiVersion = 'v1'; }, '/apiVersion'],
    ['missing version', (d) => { delete d.metadata.version; }, '/metadata/version'],
    ['non-semver version', (d) => { d.metadata.version = 'latest'; }, '/metadata/version'],
    ['unknown component kind', (d) => { d.spec.components[0].kind = 'database'; }, '/spec/components/0/kind'],
    ['bad component name', (d) => { d.spec.components[0].name = 'Web_1'; }, '/spec/components/0/name'],
    ['duplicate component', (d) => { d.spec.components[1].name = 'web'; }, '/spec/components/1/name'],
    ['talksTo unknown', (d) => { d.spec.components[0].talksTo = ['nope']; }, '/spec/components/0/talksTo/0'],
    ['expose unknown port', (d) => { d.spec.components[0].expose.port = 'grpc'; }, '/spec/components/0/expose/port'],
    ['cron without schedule', (d) => { delete d.spec.components[3].schedule; }, '/spec/components/3/schedule'],
    ['model without gpu', (d) => { delete d.spec.components[4].gpu; }, '/spec/components/4/gpu'],
    ['secret with both sources', (d) => { d.spec.components[3].secrets[0].remoteRef = { store: 's', key: 'k' }; }, '/spec/components/3/secrets/0'],
    ['unknown field', (d) => { d.spec.components[0].replica = 3; }, '/spec/components/0/replica'],
    ['missing env type', (d) => { delete d.spec.environmentTypes.dev; }, '/spec/environmentTypes/dev'],
    ['reserved parameter name', (d) => { d.spec.parameters.schema.properties.secrets = { type: 'object' }; }, '/spec/parameters/schema/properties/secrets'],
    ['invalid parameter schema', (d) => { d.spec.parameters.schema.properties.logLevel.type = 'text'; }, '/spec/parameters/schema'],
  ];
  for (const [name, mutate, field] of table) {
    it(`rejects ${name}, naming ${field}`, () => assert.ok(issueFields(mutate).includes(field), `${issueFields(mutate).join(', ')}`));
  }

  it('rejects YAML that is not a mapping, or not YAML', () => {
    assert.throws(() => parseBlueprint('- a\n- b'), InputError);
    assert.throws(() => parseBlueprint('a: [1, 2'), /not valid YAML/);
  });

  it('property: any document, or the default one with a random field replaced, parses and renders or is an InputError', () => {
    // A document that parses must also render (or be refused as input): never a crash later.
    const refuseOrParse = (doc: unknown): void => {
      try {
        const blueprint = parseBlueprint(doc as Record<string, unknown>);
        for (const tier of ['shared', 'hybrid'] as const) {
          renderEnvironment({ tenant: { slug: 'acme', name: 'Acme', tier }, environment: { name: 'prod', type: 'prod' }, blueprint, placement: { cluster: 'c' } });
        }
      } catch (err) {
        assert.ok(err instanceof InputError, String(err));
      }
    };
    fc.assert(fc.property(fc.jsonValue(), refuseOrParse), { numRuns: 200 });
    const fields = ['name', 'kind', 'ports', 'probes', 'config', 'secrets', 'talksTo', 'scaling', 'gpu', 'chart', 'schedule', 'environmentTypes', 'expose', 'metrics'];
    fc.assert(fc.property(fc.nat(5), fc.constantFrom(...fields), fc.jsonValue(), (i, field, value) => {
      const doc = parse(text) as Record<string, any>;
      doc.spec.components[i][field] = value;
      refuseOrParse(doc);
    }), { numRuns: 300 });
  });
});
