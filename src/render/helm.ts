// Helm-chart components: the environment's values override file (canonical YAML) for Argo CD to
// render the chart with. Fleetplane never runs Helm itself; the chart stays the vendor's.
import { assertEncodable, canonicalYaml } from '../domain/canonical.ts';
import { expandValue } from './template.ts';
import type { RenderContext, RenderedHelmValues } from './types.ts';

/** Each Helm-chart component with its values expanded for this environment. */
function* chartValues(ctx: RenderContext) {
  for (const [i, c] of ctx.blueprint.spec.components.entries()) {
    if (c.kind !== 'helm-chart' || !c.chart) continue;
    yield { c, chart: c.chart, values: expandValue(c.chart.values ?? {}, ctx.scope, `/spec/components/${i}/chart/values`) };
  }
}

export function renderHelmValues(ctx: RenderContext): RenderedHelmValues[] {
  const out: RenderedHelmValues[] = [];
  // One component at a time (expanded, then written), so the first failing component is the one named.
  for (const { c, chart, values } of chartValues(ctx)) {
    out.push({ component: c.name, chart: chart.name, chartVersion: chart.version, repo: chart.repo, releaseName: c.name, namespace: ctx.namespace, yaml: canonicalYaml(values) });
  }
  return out;
}

/**
 * Fails exactly where renderHelmValues fails (a template error, a value YAML cannot encode) without
 * writing the YAML: for callers that render objects only (the rollout preview), where the text was
 * a fifth of the garbage.
 */
export function checkHelmValues(ctx: RenderContext): void {
  for (const { values } of chartValues(ctx)) assertEncodable(values);
}
