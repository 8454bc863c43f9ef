import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultNamespace, dns1035Label, dnsLabel, environmentHostname, isDns1035Label, isDnsLabel, isDnsSubdomain, isLabelValue, labelValue } from './naming.ts';

describe('naming', () => {
  const table: Array<[string, string, string]> = [
    ['acme', 'prod', 'acme-prod'],
    ['acme-corp', 'staging', 'acme-corp-staging'],
  ];
  for (const [t, e, want] of table) it(`namespace ${t}/${e} -> ${want}`, () => assert.equal(defaultNamespace(t, e), want));

  it('environment names with "-" get a hash so tenant/env splits never collide', () => {
    const a = defaultNamespace('a', 'b-c');
    const b = defaultNamespace('a-b', 'c');
    assert.equal(b, 'a-b-c');
    assert.notEqual(a, b);
    assert.match(a, /^a-b-c-[0-9a-f]{8}$/);
  });

  it('long names are cut to 63 with a hash suffix, deterministically', () => {
    const long = 'x'.repeat(60);
    const ns = defaultNamespace(long, 'production');
    assert.equal(ns.length, 63);
    assert.ok(isDnsLabel(ns));
    assert.equal(ns, defaultNamespace(long, 'production'));
    assert.notEqual(ns, defaultNamespace(long, 'productiom'));
  });

  it('dnsLabel keeps valid names and repairs invalid ones', () => {
    assert.equal(dnsLabel(['web', 'config']), 'web-config');
    assert.ok(isDnsLabel(dnsLabel(['Web_Server', '--x'])));
    assert.ok(isDns1035Label(dns1035Label(['9lives'])));
  });

  it('label values stay within 63 and alphanumeric at the ends', () => {
    assert.equal(labelValue('1.4.0'), '1.4.0');
    assert.ok(isLabelValue(labelValue(`-${'a'.repeat(80)}-`)));
  });

  it('hostnames: prod on the tenant apex, others below it', () => {
    assert.equal(environmentHostname('acme', 'prod', 'example.com'), 'acme.example.com');
    assert.equal(environmentHostname('acme', 'staging', 'example.com'), 'staging.acme.example.com');
  });

  it('property: any input gives valid, deterministic names', () => {
    fc.assert(fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 4 }), (parts) => {
      const n = dnsLabel(parts);
      assert.ok(isDnsLabel(n), n);
      assert.equal(n, dnsLabel(parts));
      assert.ok(isLabelValue(labelValue(parts.join('/'))));
    }));
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/), fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/), (t, e) => {
      assert.ok(isDnsLabel(defaultNamespace(t, e)));
    }));
  });
});

it('the name predicates answer false for values that are not strings, never throw', () => {
  const hostile = [undefined, null, 42, ['a'], [{ toString: false }], { toString: null, valueOf: null }, Object.create(null)];
  for (const v of hostile) {
    for (const check of [isDnsLabel, isDns1035Label, isDnsSubdomain, isLabelValue]) assert.equal(check(v), false, `${check.name}(${typeof v})`);
  }
  assert.equal(isDnsLabel('acme'), true);
});
