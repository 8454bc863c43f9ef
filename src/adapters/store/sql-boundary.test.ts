// "All SQL lives in src/adapters/store/" (docs/adr/0204), enforced: every product source file under
// src/ outside this folder is parsed with the TypeScript compiler, and any string or template literal
// that reads as SQL, or any `.query(` call, fails the test with file:line. Tests are left out: they
// may inspect the database directly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import ts from 'typescript';
import { findings, sourceFiles } from '../../../test/helpers/ts-scan.ts';

const SRC = fileURLToPath(new URL('../../', import.meta.url));
const STORE = fileURLToPath(new URL('./', import.meta.url));

/** SQL as this code base writes it (keywords in capitals). */
const SQL = /\bSELECT\s+(?:\*|[\w"$(]+)[\s\S]*\bFROM\b|\bSELECT\s+\d|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\b(?:CREATE|ALTER|DROP)\s+(?:TABLE|INDEX|DATABASE)\b|\bpg_(?:try_)?advisory|\bON\s+CONFLICT\b|\bFOR\s+UPDATE\b|^\s*(?:LISTEN|NOTIFY)\s/m;

/** Where a file's code holds SQL or calls `.query(`: "path:line: what". */
export function sqlFindings(path: string, text: string): string[] {
  return findings(path, text, (node, file) => {
    if ((ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) && SQL.test(node.text)) {
      return `SQL text ${JSON.stringify(node.text.trim().slice(0, 60))}`;
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'query') {
      return `${node.expression.getText(file)}(…) call`;
    }
    return undefined;
  });
}

test('the detector sees SQL and query calls, and nothing in plain code', () => {
  const found = sqlFindings('x.ts', [
    "const a = await db.query<Row>('SELECT id FROM rollouts WHERE id = $1', [id]);",
    'const b = `UPDATE environments SET held_by = ${x} WHERE tenant = $1`;',
    "await q.query('SELECT pg_try_advisory_xact_lock($1) AS ok');",
    "const c = 'INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING';",
  ].join('\n'));
  assert.equal(found.filter((f) => f.includes('SQL text')).length, 4, found.join('\n'));
  assert.equal(found.filter((f) => f.includes('call')).length, 2, found.join('\n'));
  const plain = sqlFindings('y.ts', [
    '// SELECT id FROM rollouts: a comment is not code',
    "const m = /^Bearer\\s+(\\S+)$/.exec(header); const s = 'select a cluster from the list'; prom.instant('sum(up)');",
    "const msg = 'the rollout could not update its targets';",
  ].join('\n'));
  assert.deepEqual(plain, []);
});

test('src/adapters/store holds SQL (the detector finds the real thing)', () => {
  const inside = sourceFiles(STORE).flatMap((f) => sqlFindings(relative(SRC, f), readFileSync(f, 'utf8')));
  assert.ok(inside.length > 50, `only ${inside.length} findings in src/adapters/store`);
});

test('no SQL outside src/adapters/store', () => {
  const outside = sourceFiles(SRC).filter((f) => !f.startsWith(STORE.endsWith(sep) ? STORE : `${STORE}${sep}`));
  assert.ok(outside.length > 100, `scanned ${outside.length} files`);
  const findings = outside.flatMap((f) => sqlFindings(relative(SRC, f), readFileSync(f, 'utf8')));
  assert.deepEqual(findings, [], `SQL belongs in src/adapters/store (put it behind the Store port):\n${findings.join('\n')}`);
});
