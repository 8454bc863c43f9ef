// Reading product code as code, for the tests that enforce the layers (test/architecture.test.ts,
// src/adapters/store/sql-boundary.test.ts): the product's .ts files below a folder, and a walk over
// one file's syntax tree that collects "path:line: what" for every node a check names.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** Every .ts file below dir that is not a test. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** "path:line: what" for each node where check returns a description. */
export function findings(path: string, text: string, check: (node: ts.Node, file: ts.SourceFile) => string | undefined): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    const what = check(node, file);
    if (what !== undefined) out.push(`${path}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: ${what}`);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}
