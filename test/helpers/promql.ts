// Just enough PromQL reading to list the metric names an expression uses, so tests can prove that
// dashboards and alerts only query series the platform produces (test support; nothing at run time).
//
// Why not a parser (this note replaces ADR 0703): a full PromQL parser exists in Go (Prometheus) and
// in a few JS packages that are large or unmaintained, and these tests only need the names. This
// strips strings, label matchers, ranges, numbers/durations and grouping clauses, then drops known
// functions and keywords: what remains are metric names. It only has to handle the expressions
// Fleetplane itself generates, which unit tests pin. Not a validator: syntax is checked by
// `promtool check rules` on the real rules (test/integration/observability-promtool.test.ts). A new
// PromQL function used in generated queries must be added to FUNCTIONS: until then it shows up as a
// "metric name", so the tests fail rather than skip it.
const FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min',
  'count_over_time', 'delta', 'deriv', 'exp', 'floor', 'histogram_quantile', 'idelta', 'increase', 'irate',
  'label_join', 'label_replace', 'last_over_time', 'ln', 'log2', 'log10', 'max_over_time', 'min_over_time',
  'predict_linear', 'quantile_over_time', 'rate', 'resets', 'round', 'scalar', 'sort', 'sort_desc', 'sqrt',
  'stddev_over_time', 'sum_over_time', 'time', 'timestamp', 'vector', 'label_values',
]);
const KEYWORDS = new Set([
  'sum', 'avg', 'min', 'max', 'count', 'count_values', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/(^|[^a-zA-Z0-9_:])\d+(?:\.\d+)?(?:[eE][-+]?\d+|ms|s|m|h|d|w|y)?(?![a-zA-Z0-9_:])/g, '$1 ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // label_values(metric, label): the second argument is a label name
    .replace(/(label_values\s*\([^,()]*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)/g, '$1)');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    if (FUNCTIONS.has(word) || KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names].sort();
}
