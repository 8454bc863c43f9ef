// Schemathesis (an outside, schema-driven fuzzer: scripts/schemathesis.sh) over every operation of
// the served OpenAPI document, as fz-alpha's tenant-admin on its own tenant (path parameters
// tenant=fz-alpha env=prod: its real resources). The other passes: api-fuzz-cross.test.ts,
// api-fuzz-admin.test.ts (test/fuzz/schemathesis-pass.ts runs each against its own server).
// Asserts: no 5xx, every status and content type declared, response schemas conform, schema-
// violating input refused, every 4xx problem+json naming the field (400/422), auth not ignored,
// nothing written on a refused write.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzServer, report } from '../fuzz/schemathesis-pass.ts';

describe('Schemathesis over every route: tenant-admin', () => {
  const { fuzz } = fuzzServer();

  test('tenant-admin on its own tenant: every answer declared, no 5xx, refusals named', async () => {
    const r = await fuzz((s) => ({ name: 'tenant', token: s.alpha.token, parameters: { tenant: s.alpha.slug, env: 'prod' }, maxExamples: 5 }));
    assert.equal(r.code, 0, report(r.out));
    assert.ok(r.seen('problem_json_names_the_field') > 500, 'hooks.py judged the answers');
    assert.ok(r.seen('nothing_written_on_refusal') > 50, `refused writes checked against the store: ${r.seen('nothing_written_on_refusal')}`);
    assert.ok(r.tested >= 85, `operations tested: ${r.tested}\n${report(r.out)}`);
  });
});
