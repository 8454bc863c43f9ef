// Helm-chart components: the environment's values override file (canonical YAML) for Argo CD to
// render the chart with. Fleetplane never runs Helm itself; the chart stays the vendor's.
import { assertEncodable, canonicalYaml } from '../domain/canonical.ts';
import { expandValue } from './template.ts';
import type { RenderContext, RenderedHelmValues } from './types.ts';

export function renderHelmValues(ctx: RenderContext): RenderedHelmValues[] {
  const out: RenderedHelmValues[] = [];
  ctx.blueprint.spec.components.forEach((c, i) => {
    if (c.kind !== 'helm-chart' || !c.chart) return;
    const values = expandValue(c.chart.values ?? {}, ctx.scope, `/spec/components/${i}/chart/values`);
    out.push({
      component: c.name,
      chart: c.chart.name,
      chartVersion: c.chart.version,
      repo: c.chart.repo,
      releaseName: c.name,
      namespace: ctx.namespace,
      yaml: canonicalYaml(values),
    });
  });
  return out;
}

/**
 * Fails exactly where renderHelmValues fails (a template error, a value YAML cannot encode) without
 * writing the YAML: for callers that render objects only (the rollout preview), where the text was
 * a fifth of the garbage.
 */
export function checkHelmValues(ctx: RenderContext): void {
  ctx.blueprint.spec.components.forEach((c, i) => {
    if (c.kind !== 'helm-chart' || !c.chart) return;
    assertEncodable(expandValue(c.chart.values ?? {}, ctx.scope, `/spec/components/${i}/chart/values`));
  });
}
