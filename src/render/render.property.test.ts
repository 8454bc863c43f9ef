// Property tests: random valid tenants, environment names and values never produce an invalid
// name or label, and secret-looking strings fed through the secrets config never reach the output.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseBlueprint } from '../domain/blueprint.ts';
import { InputError } from '../domain/errors.ts';
import { isDns1035Label, isDnsLabel, isDnsSubdomain, isLabelValue } from '../domain/naming.ts';
import type { EnvironmentType, Tier } from '../domain/types.ts';
import { canonicalJson } from '../domain/canonical.ts';
import { renderEnvironment } from './index.ts';

const bp = parseBlueprint(readFileSync(join(import.meta.dirname, '../../blueprints/default/1.4.0.yaml'), 'utf8'));

const dnsLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/).filter((s) => s.length <= 63);
const tier = fc.constantFrom<Tier>('shared', 'dedicated', 'hybrid');
const envType = fc.constantFrom<EnvironmentType>('prod', 'staging', 'dev');
const params = fc.record({
  logLevel: fc.constantFrom('debug', 'info', 'warn', 'error'),
  maxUploadMb: fc.integer({ min: 1, max: 1024 }),
  modelName: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
  features: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.boolean(), { maxKeys: 4 }),
}, { requiredKeys: [] });
/** Looks like a credential: long, mixed, unlikely to appear by accident. */
const secretValue = fc.stringMatching(/^[A-Za-z0-9+/]{24,48}$/).map((s) => `sk_${s}`);

function names(objs: ReturnType<typeof renderEnvironment>['objects']): void {
  for (const { object: o } of objs) {
    assert.ok(isDnsLabel(o.metadata.name), `${o.kind} name "${o.metadata.name}"`);
    if (o.metadata.namespace) assert.ok(isDnsLabel(o.metadata.namespace));
    if (o.kind === 'Service') assert.ok(isDns1035Label(o.metadata.name));
    for (const [k, v] of Object.entries(o.metadata.labels ?? {})) assert.ok(isLabelValue(v), `label ${k}="${v}"`);
    for (const h of (o.spec as { hostnames?: string[] } | undefined)?.hostnames ?? []) assert.ok(isDnsSubdomain(h), h);
  }
}

describe('renderer properties', () => {
  it('random valid tenants, environments and values give valid names and labels', () => {
    fc.assert(fc.property(dnsLabel, dnsLabel, tier, envType, params, (slug, env, t, type, values) => {
      const r = renderEnvironment({ tenant: { slug, name: slug, tier: t }, environment: { name: env, type, values }, blueprint: bp, placement: { cluster: 'c' } });
      assert.ok(isDnsLabel(r.namespace));
      names(r.objects);
    }), { numRuns: 150 });
  });

  it('renders are deterministic for random inputs', () => {
    fc.assert(fc.property(dnsLabel, envType, params, (slug, type, values) => {
      const mk = () => renderEnvironment({ tenant: { slug, name: 'x', tier: 'shared' }, environment: { name: 'e', type, values: structuredClone(values) }, blueprint: bp, placement: { cluster: 'c' } });
      const a = mk();
      const b = mk();
      assert.equal(a.revision, b.revision);
      assert.deepEqual(a.objects.map((o) => canonicalJson(o.object)), b.objects.map((o) => canonicalJson(o.object)));
    }), { numRuns: 40 });
  });

  it('a secret value given in the secrets config is refused and never echoed', () => {
    const field = fc.constantFrom('value', 'data', 'stringData', 'password', 'token');
    fc.assert(fc.property(secretValue, field, fc.constantFrom('database', 'cache-auth', 'smtp'), (secret, key, ref) => {
      const input = { tenant: { slug: 'acme', name: 'Acme', tier: 'shared' as Tier }, environment: { name: 'prod', type: 'prod' as EnvironmentType, values: { secrets: { [ref]: { [key]: secret } } } }, blueprint: bp, placement: { cluster: 'c' } };
      assert.throws(() => renderEnvironment(input), (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.ok(!err.message.includes(secret) && !JSON.stringify(err.issues).includes(secret));
        return true;
      });
    }), { numRuns: 60 });
  });

  it('secret references render by name; no Secret object or inline secret data ever does', () => {
    fc.assert(fc.property(dnsLabel, (existing) => {
      const r = renderEnvironment({
        tenant: { slug: 'acme', name: 'Acme', tier: 'shared' },
        environment: { name: 'prod', type: 'prod', values: { secrets: { smtp: { existingSecret: existing }, database: { remoteRef: { key: `tenants/acme/prod/${existing}` } } }, features: { x: true } } },
        blueprint: bp, placement: { cluster: 'c' },
      });
      const text = r.objects.map((o) => canonicalJson(o.object)).join('\n') + r.helmValues.map((h) => h.yaml).join('\n');
      assert.ok(r.objects.every((o) => o.object.kind !== 'Secret'));
      assert.ok(!/"stringData"/.test(text));
      assert.ok(text.includes(`"name":"${existing}"`), 'the customer-provided Secret is referenced by name');
    }), { numRuns: 40 });
  });

  it('arbitrary input is rendered or refused with an InputError, never a crash', () => {
    const anything = fc.oneof(fc.jsonValue(), fc.constant(undefined));
    fc.assert(fc.property(anything, anything, anything, anything, (slug, env, type, values) => {
      const input = { tenant: { slug, name: 'x', tier: 'shared' }, environment: { name: env, type, values }, blueprint: bp, placement: { cluster: 'c' } };
      try {
        renderEnvironment(input as never);
      } catch (err) {
        assert.ok(err instanceof InputError, `not an InputError: ${String(err)}`);
      }
    }), {
      numRuns: 300,
      // Found by a CI run (seed 608970308): a slug whose element has a non-function toString used to throw a TypeError.
      examples: [[[{ toString: false }], undefined, undefined, {}], [{ valueOf: null, toString: null }, 'prod', 'prod', {}]],
    });
    fc.assert(fc.property(fc.dictionary(fc.constantFrom('logLevel', 'maxUploadMb', 'features', 'components', 'secrets', 'modelName', 'x'), fc.jsonValue()), (values) => {
      try {
        renderEnvironment({ tenant: { slug: 'acme', name: 'x', tier: 'shared' }, environment: { name: 'prod', type: 'prod', values }, blueprint: bp, placement: { cluster: 'c' } });
      } catch (err) {
        assert.ok(err instanceof InputError, `not an InputError: ${String(err)}`);
      }
    }), { numRuns: 300 });
  });
});
