// Scopes a tenant's PromQL to its own environment: every series selector gets namespace="<the
// environment's namespace>" added, the way prom-label-proxy enforces a label. The query is parsed
// with the Prometheus project's own grammar (@prometheus-io/lezer-promql), never pattern-matched, so
// a selector hidden in a subquery, a binary expression or a function argument is scoped too. A
// query that names `namespace` itself is refused: the scope is Fleetplane's to set (issue #14).
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

export class QueryScopeError extends Error {}

interface Insert {
  at: number;
  text: string;
}

function matcherLabel(query: string, m: SyntaxNode): string | null {
  const name = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
  if (!name) return null;
  const raw = query.slice(name.from, name.to);
  return name.name === 'QuotedLabelName' ? raw.slice(1, -1) : raw;
}

function scopeSelector(query: string, sel: SyntaxNode, matcher: string): Insert {
  const matchers = sel.getChild('LabelMatchers');
  if (!matchers) {
    const id = sel.getChild('Identifier');
    if (!id) throw new QueryScopeError('a series selector without a metric name or label matchers');
    return { at: id.to, text: `{${matcher}}` };
  }
  for (let m = matchers.firstChild; m; m = m.nextSibling) {
    if (matcherLabel(query, m) === 'namespace') {
      throw new QueryScopeError('the query must not match on "namespace": Fleetplane adds the environment\'s namespace itself');
    }
  }
  const inner = query.slice(matchers.from + 1, matchers.to - 1).trim();
  const sep = inner === '' || inner.endsWith(',') ? '' : ',';
  return { at: matchers.to - 1, text: `${sep}${matcher}` };
}

/** Every node of the parse tree that is a syntax error, or a selector to scope. */
function walk(query: string): { selectors: SyntaxNode[]; error: number | null } {
  const selectors: SyntaxNode[] = [];
  let error: number | null = null;
  parser.parse(query).iterate({
    enter(n) {
      if (n.type.isError && error === null) error = n.from;
      if (n.name === 'VectorSelector') selectors.push(n.node);
    },
  });
  return { selectors, error };
}

/** Checks `query` parses and has no namespace matcher of its own; throws QueryScopeError otherwise. */
export function checkTenantQuery(query: string): void {
  scopeQuery(query, 'x');
}

/** `query` with namespace="<namespace>" on every series selector. */
export function scopeQuery(query: string, namespace: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) throw new QueryScopeError(`not a namespace name: ${namespace}`);
  const { selectors, error } = walk(query);
  if (error !== null) throw new QueryScopeError(`not valid PromQL (at character ${error + 1})`);
  if (selectors.length === 0) throw new QueryScopeError('the query reads no series');
  const matcher = `namespace="${namespace}"`;
  const inserts = selectors.map((s) => scopeSelector(query, s, matcher)).sort((a, b) => b.at - a.at);
  let out = query;
  for (const ins of inserts) out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  return out;
}
