// Schemathesis over every operation with fz-alpha's token at fz-beta's paths: well-formed foreign
// requests get 403/404 and no answer carries fz-beta's data (hooks.py's cross_tenant check, with
// fz-beta's markers). The other passes: api-fuzz-tenant.test.ts, api-fuzz-admin.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzServer, report } from '../fuzz/schemathesis-pass.ts';

describe('Schemathesis over every route: cross-tenant', () => {
  const { fuzz } = fuzzServer();

  test("cross-tenant: fz-alpha's token at fz-beta's paths gets 403/404, never fz-beta's data", async () => {
    const r = await fuzz((s) => ({
      name: 'cross', token: s.alpha.token, parameters: { tenant: s.beta.slug, env: 'prod' },
      // Valid requests only: the point is what a well-formed foreign request gets back.
      positiveOnly: true, maxExamples: 5,
      env: { FP_FUZZ_FOREIGN: s.beta.slug, FP_FUZZ_FOREIGN_MARKERS: [`${s.beta.slug} Inc`, `${s.beta.slug}-config`, s.beta.tokenId, s.beta.operation, `${s.beta.slug}-prod`].join(',') },
    }));
    assert.equal(r.code, 0, report(r.out));
    assert.ok(r.tested >= 85, `operations tested: ${r.tested}\n${report(r.out)}`);
    assert.ok(r.seen('cross_tenant') > 200, `the cross-tenant check judged ${r.seen('cross_tenant')} answers`);
  });
});
