// Builds the Helm chart the render benchmark compares against: the same objects Fleetplane renders
// for one environment of the default blueprint, as a chart whose per-environment fields are Helm
// templates (tenant, environment, namespace, hostname, image tag, revision) and whose pod templates
// carry the usual `include ... | sha256sum` config checksum. Regenerate the committed copy with
//   npx tsx bench/helm-chart/generate.ts      (writes bench/helm-chart/chart/)
// (the benchmark regenerates it into a temp dir on every run, so it always matches the renderer).
//
// Why generated (this note replaces ADR 0403): a hand-written "equivalent chart" drifts from the
// renderer whenever either changes, and a drifted chart makes the ratio meaningless. Generated from
// one reference environment, helm renders the same objects Fleetplane does; Helm is the testbed's
// Go-built binary (binaryPath('helm')), run over a sample of environments in the same process run as
// the Fleetplane renders, its output hashed like ours. The chart is flatter than a hand-written one
// (no loops over components), which if anything flatters Helm: its per-environment cost is mostly
// process start, chart loading and template execution.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBlueprint } from '../../src/domain/blueprint.ts';
import { canonicalYaml } from '../../src/domain/canonical.ts';
import { renderEnvironment } from '../../src/render/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

// Distinctive reference values, replaced by template expressions below.
const REF = { tenant: 'reftnt', env: 'refenv', name: 'Reference Tenant', tag: '1.4.0' };

function escapeBraces(text: string): string {
  return text.replaceAll('{{', '\u0001').replaceAll('}}', '\u0002');
}

function restoreBraces(text: string): string {
  return text.replaceAll('\u0001', '{{ "{{" }}').replaceAll('\u0002', '{{ "}}" }}');
}

function templatize(yaml: string, facts: { namespace: string; hostname: string; revision: string }): string {
  let t = escapeBraces(yaml);
  t = t.replaceAll(facts.hostname, '{{ .Values.hostname }}');
  t = t.replaceAll(facts.namespace, '{{ .Release.Namespace }}');
  t = t.replaceAll(`"${facts.revision}"`, facts.revision).replaceAll(facts.revision, '{{ .Values.revision | quote }}');
  t = t.replaceAll(REF.name, '{{ .Values.tenantName }}');
  t = t.replaceAll(REF.tenant, '{{ .Values.tenant }}');
  t = t.replaceAll(REF.env, '{{ .Values.environment }}');
  t = t.replace(/(image: \S+):1\.4\.0$/gm, '$1:{{ .Values.image.tag }}');
  t = t.replace(/^(\s+app\.kubernetes\.io\/version: )1\.4\.0$/gm, '$1{{ .Values.image.tag | quote }}');
  return restoreBraces(t);
}

/** Writes the chart into `dir`; returns how many objects (templates) it holds. */
export function generateChart(dir: string): number {
  const bp = parseBlueprint(readFileSync(join(root, 'blueprints/default/1.4.0.yaml'), 'utf8'));
  const r = renderEnvironment({
    tenant: { slug: REF.tenant, name: REF.name, tier: 'shared' },
    environment: { name: REF.env, type: 'prod', values: { features: { beta: true } } },
    blueprint: bp,
    placement: { cluster: 'bench' },
  });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: acme-insights\ndescription: The default blueprint as a Helm chart (render benchmark baseline)\ntype: application\nversion: 1.4.0\nappVersion: "1.4.0"\n');
  writeFileSync(join(dir, 'values.yaml'), `tenant: ${REF.tenant}\ntenantName: ${REF.name}\nenvironment: ${REF.env}\nhostname: ${r.hostname}\nrevision: "0000000000000000"\nimage:\n  tag: "1.4.0"\n`);
  const files = r.objects.map((o, i) => ({ o: o.object, file: `${String(i).padStart(3, '0')}-${o.object.kind.toLowerCase()}-${o.object.metadata.name}.yaml` }));
  const configFile = new Map(files.filter((f) => f.o.kind === 'ConfigMap').map((f) => [f.o.metadata.name, f.file]));
  for (const { o, file } of files) {
    let text = templatize(canonicalYaml(o), { namespace: r.namespace, hostname: r.hostname, revision: r.revision });
    // Helm's idiom for "roll pods when config changes", the same job as fleetplane.io/config-hash.
    const cm = configFile.get(`${o.metadata.name}-config`);
    if (cm) text = text.replace(/(fleetplane\.io\/config-hash: ).*/, `$1{{ include (print $.Template.BasePath "/${cm}") . | sha256sum | trunc 16 | quote }}`);
    writeFileSync(join(dir, 'templates', file), text);
  }
  return files.length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = generateChart(join(here, 'chart'));
  console.log(`wrote ${n} templates to ${join(here, 'chart')}`);
}
