// Checks a body's text before it is parsed, in one linear pass: nesting deeper than the limit (JSON
// nested ~10,000 deep used to overflow the stack later, a 500), a key given twice in one object
// (JSON.parse keeps the last silently; YAML already refuses), and NUL characters, which PostgreSQL
// cannot store (a 500 from any stored string). The finding names the field as a JSON pointer.
// Hand-written (docs/adr/0310): JSON.parse exposes neither depth nor duplicates, and the parsers
// that do (streaming tokenizers) are larger dependencies than these sixty lines.
import type { FieldIssue } from '../domain/errors.ts';

interface Frame {
  kind: 'object' | 'array';
  keys: Set<string>;
  /** Object: the key being read next is a key (true) or a value follows (false). Array: index. */
  expectKey: boolean;
  index: number;
  key: string;
}

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

function pointer(stack: Frame[]): string {
  return stack.map((f) => `/${f.kind === 'array' ? f.index : escapePointer(f.key)}`).join('');
}

/** Reads the JSON string starting at text[i] (a quote); returns its decoded value and the index after it. */
function readString(text: string, i: number): { value: string; end: number; nul: boolean } {
  let j = i + 1;
  let nul = false;
  while (j < text.length && text[j] !== '"') {
    if (text[j] === '\\') {
      if (text.startsWith('u0000', j + 1)) nul = true;
      j += 2;
    } else {
      if (text.charCodeAt(j) === 0) nul = true;
      j += 1;
    }
  }
  const raw = text.slice(i, j + 1);
  let value = raw;
  try {
    value = JSON.parse(raw) as string;
  } catch {
    // malformed: JSON.parse of the whole body reports it
  }
  return { value, end: j + 1, nul };
}

/** A string token: a key (checked for repeats) or a value; the issue it raises, if any. */
function onString(stack: Frame[], s: { value: string; nul: boolean }): FieldIssue | null {
  const top = stack[stack.length - 1];
  if (top?.kind !== 'object' || !top.expectKey) return s.nul ? { field: pointer(stack) || '/', message: 'contains a NUL character (\\u0000), which cannot be stored' } : null;
  if (top.keys.has(s.value)) return { field: `${pointer(stack.slice(0, -1))}/${escapePointer(s.value)}`, message: 'key given twice' };
  top.keys.add(s.value);
  top.key = s.value;
  top.expectKey = false;
  return s.nul ? { field: pointer(stack), message: 'a key contains a NUL character' } : null;
}

function onComma(top: Frame | undefined): void {
  if (top?.kind === 'array') top.index += 1;
  else if (top) top.expectKey = true;
}

/** The first reason `text` (JSON) may not be parsed, or null. */
export function scanJson(text: string, maxDepth: number): FieldIssue | null {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      if (stack.length >= maxDepth) return { field: pointer(stack) || '/', message: `nested deeper than ${maxDepth} levels` };
      stack.push({ kind: c === '{' ? 'object' : 'array', keys: new Set(), expectKey: c === '{', index: 0, key: '' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      onComma(stack[stack.length - 1]);
    } else if (c === '"') {
      const s = readString(text, i);
      const issue = onString(stack, s);
      if (issue) return issue;
      i = s.end - 1;
    }
  }
  return null;
}

/** The first nesting or NUL problem of an already parsed value (YAML bodies), iteratively. */
export function scanValue(value: unknown, maxDepth: number): FieldIssue | null {
  const todo: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: '', depth: 0 }];
  while (todo.length > 0) {
    const { v, path, depth } = todo.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { field: path || '/', message: 'contains a NUL character (\\u0000), which cannot be stored' };
    } else if (v !== null && typeof v === 'object') {
      if (depth >= maxDepth) return { field: path || '/', message: `nested deeper than ${maxDepth} levels` };
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\u0000')) return { field: path || '/', message: 'a key contains a NUL character' };
        todo.push({ v: child, path: `${path}/${escapePointer(k)}`, depth: depth + 1 });
      }
    }
  }
  return null;
}

const lineEnd = (text: string, i: number): number => {
  const n = text.indexOf('\n', i);
  return n < 0 ? text.length : n;
};

/** The nesting depth of YAML flow collections ([...] and {...}) outside quotes, capped at `cap`. */
export function flowDepth(text: string, cap: number): number {
  let depth = 0;
  let max = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length && max <= cap; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) i = lineEnd(text, i);
  }
  return max;
}
