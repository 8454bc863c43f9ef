// Schemathesis over every operation with the admin token, every parameter generated (validation,
// 404s, creations, 405s): no 5xx, every answer declared, bad input refused and named, and nothing
// written on any refused write (hooks.py's nothing_written_on_refusal against this file's own
// server). The other passes: api-fuzz-tenant.test.ts, api-fuzz-cross.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzServer, report } from '../fuzz/schemathesis-pass.ts';

describe('Schemathesis over every route: admin', () => {
  const { fuzz } = fuzzServer();

  test('admin, every parameter generated: no 5xx, every answer declared, bad input refused and named', async () => {
    const r = await fuzz((s) => ({ name: 'admin', token: s.adminToken }));
    assert.equal(r.code, 0, report(r.out));
    assert.ok(r.seen('problem_json_names_the_field') > 1000, 'hooks.py judged the answers');
    assert.ok(r.seen('nothing_written_on_refusal') > 300, `refused writes checked against the store: ${r.seen('nothing_written_on_refusal')}`);
    assert.ok(r.tested >= 90, `operations tested: ${r.tested}\n${report(r.out)}`);
  });
});
