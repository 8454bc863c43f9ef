// Stencil-filled objects (shape.ts) must be exactly what the builders make directly: same canonical
// JSON, same objects (undefined members aside), for random tenants, names, values and overrides.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseBlueprint } from '../../domain/blueprint.ts';
import type { EnvironmentType, Tier } from '../../domain/types.ts';
import { canonicalJson } from '../../domain/canonical.ts';
import { buildContext } from '../context.ts';
import { OBJECT_BUILDERS as BUILDERS } from '../builders.ts';
import { renderShaped } from './shape.ts';
import type { RenderInput } from '../types.ts';

const bps = ['1.4.0', '1.5.0'].map((v) => parseBlueprint(readFileSync(join(import.meta.dirname, `../../../blueprints/default/${v}.yaml`), 'utf8')));
const dnsLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/).filter((s) => s.length <= 40);

function direct(input: RenderInput): string[] {
  const ctx = buildContext(input);
  return BUILDERS.flatMap((b) => b(ctx)).map((o) => canonicalJson(o));
}

function shaped(input: RenderInput): string[] {
  return renderShaped(input, buildContext(input), BUILDERS, buildContext).map(({ object, json }) => {
    assert.equal(json, canonicalJson(object), `${object.kind}/${object.metadata.name}: json is the object's canonical JSON`);
    return json;
  });
}

const inputArb = fc.record({
  bp: fc.constantFrom(...bps),
  slug: dnsLabel,
  name: fc.string({ maxLength: 30 }),
  env: dnsLabel,
  tier: fc.constantFrom<Tier>('shared', 'dedicated', 'hybrid'),
  type: fc.constantFrom<EnvironmentType>('prod', 'staging', 'dev'),
  maxUploadMb: fc.integer({ min: 1, max: 1024 }),
  features: fc.dictionary(fc.stringMatching(/^[a-z"\\]{1,8}$/), fc.boolean(), { maxKeys: 3 }),
  namespace: fc.option(dnsLabel, { nil: undefined }),
  webReplicas: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  existing: fc.option(dnsLabel, { nil: undefined }),
  routing: fc.constantFrom<'gateway' | 'ingress'>('gateway', 'ingress'),
});

describe('shaped rendering', () => {
  it('fills stencils into exactly the directly built objects', () => {
    fc.assert(fc.property(inputArb, (a) => {
      const input: RenderInput = {
        tenant: { slug: a.slug, name: a.name, tier: a.tier },
        environment: {
          name: a.env, type: a.type,
          values: {
            maxUploadMb: a.maxUploadMb, features: a.features,
            ...(a.webReplicas === undefined ? {} : { components: { web: { replicas: a.webReplicas } } }),
            ...(a.existing === undefined ? {} : { secrets: { database: { existingSecret: a.existing } } }),
          },
        },
        blueprint: a.bp,
        placement: { cluster: 'c', namespace: a.namespace },
        platform: { routing: a.routing },
      };
      assert.deepEqual(shaped(input), direct(input));
    }), { numRuns: 300 });
  });

  it('tenant names that need JSON escaping reach the config verbatim', () => {
    const input: RenderInput = {
      tenant: { slug: 'acme', name: 'Ac"me\\ \n\u2028 ☃ 😀', tier: 'shared' },
      environment: { name: 'prod', type: 'prod' },
      blueprint: bps[0]!,
      placement: { cluster: 'c' },
    };
    assert.deepEqual(shaped(input), direct(input));
    const again = { ...input, tenant: { ...input.tenant, slug: 'other', name: 'plain' } };
    assert.deepEqual(shaped(again), direct(again));
  });
});

describe('shape cache', () => {
  it('builds a shape once, then fills it for other environments of that shape', () => {
    let calls = 0;
    const counting = BUILDERS.map((b) => (ctx: Parameters<typeof b>[0]) => { calls++; return b(ctx); });
    const input = (slug: string): RenderInput => ({
      tenant: { slug, name: slug, tier: 'hybrid' }, environment: { name: 'uat', type: 'staging', values: { maxUploadMb: slug.length } },
      blueprint: bps[1]!, placement: { cluster: 'c' },
    });
    const first = renderShaped(input('first'), buildContext(input('first')), counting, buildContext);
    assert.ok(calls > 0);
    calls = 0;
    const second = renderShaped(input('second-tenant'), buildContext(input('second-tenant')), counting, buildContext);
    assert.equal(calls, 0, 'no builder runs for a known shape');
    assert.equal(second.length, first.length);
    assert.deepEqual(second.map((o) => o.json), direct(input('second-tenant')));
  });
});
