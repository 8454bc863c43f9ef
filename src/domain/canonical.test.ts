import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { canonicalJson, canonicalYaml } from './canonical.ts';

describe('canonical bytes', () => {
  it('apiVersion, kind, metadata first, then sorted keys at every level; undefined dropped', () => {
    const o = { spec: { b: 1, a: [{ z: 1, y: undefined, x: 2 }] }, metadata: { name: 'n' }, kind: 'K', apiVersion: 'v1', data: {} };
    assert.equal(canonicalJson(o), '{"apiVersion":"v1","kind":"K","metadata":{"name":"n"},"data":{},"spec":{"a":[{"x":2,"z":1}],"b":1}}');
    assert.equal(canonicalYaml({ b: 1, a: 'x' }), 'a: x\nb: 1\n');
  });

  it('property: key order never changes the bytes, and the native fast path agrees with the JS encoder', () => {
    const sortDeep = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(sortDeep);
      if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]));
      return v;
    };
    const reverseDeep = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(reverseDeep);
      if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reverseDeep((v as Record<string, unknown>)[k])]));
      return v;
    };
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const text = canonicalJson(v);
      assert.equal(canonicalJson(reverseDeep(v)), text);
      assert.equal(canonicalJson(sortDeep(v)), text);
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(v)));
    }), { numRuns: 300 });
  });

  it('property: the yaml parser reads canonical YAML back as exactly the value written', () => {
    const tricky = fc.constantFrom('true', 'no', 'y', '~', 'null', '1.4.0', '0x1F', '-1', '.5', 'a: b', '- x', '#c', 'x #c', ' lead', 'trail ', '', '{a}', '[1]', '*ref', '&a', '!tag', '%x', '@x', '`x', "'q'", '"q"', 'a\nb', 'tab\t', 'é', '10:30', 'http://x.y/z?a=b');
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, tricky, fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
        fc.array(tie('v')), fc.dictionary(fc.oneof(tricky, fc.string()), tie('v'))),
    })).v;
    fc.assert(fc.property(value, (v) => {
      const text = canonicalYaml(v);
      assert.deepEqual(parse(text), JSON.parse(canonicalJson(v)), text);
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.jsonValue(), (v) => assert.deepEqual(parse(canonicalYaml(v)), JSON.parse(canonicalJson(v)))), { numRuns: 300 });
  });

  it('quotes every string a YAML 1.1 reader (kubectl, Argo CD, Helm: go-yaml) would read as something else', () => {
    const words = ['no', 'on', 'yes', 'Off', 'y', 'N', '2026-12-03', '1:20', '1_000', '0b101', '0777', '0o17', '~', 'Null', '.inf', '+12', 'plain', 'x-1'];
    const text = canonicalYaml({ args: words });
    assert.deepEqual(parse(text, { version: '1.1' }), { args: words }, text);
    assert.deepEqual(parse(text), { args: words }, text);
    assert.match(text, /- plain\n/, 'a plain word stays unquoted');
    const strings = fc.oneof(fc.constantFrom(...words), fc.string(), fc.stringMatching(/^[0-9:._+-]{1,8}$/), fc.stringMatching(/^[a-zA-Z]{1,5}$/));
    fc.assert(fc.property(fc.dictionary(strings, strings), (v) => assert.deepEqual(parse(canonicalYaml(v), { version: '1.1' }), JSON.parse(canonicalJson(v)))), { numRuns: 500 });
  });

  it('rejects non-finite numbers instead of printing invalid JSON', () => {
    assert.throws(() => canonicalJson({ a: Number.NaN }), /non-finite/);
  });
});
