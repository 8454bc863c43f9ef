// Grafana dashboard for one customer environment: SLO overview on top, then one row per service
// with RED panels (rate, error ratio, latency quantiles). Queries use only recorded series from
// rules.ts, so dashboards stay cheap on a Prometheus holding hundreds of environments.
import { RECORDED } from './rules.ts';
import { objectivesFor } from './slo.ts';
import { shortHash } from '../../domain/naming.ts';
import type { MonitoringContext, ObservedService } from './types.ts';

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  [k: string]: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  panels: Panel[];
  [k: string]: unknown;
}

const DS = { type: 'prometheus', uid: '${datasource}' };

function target(expr: string, legendFormat: string, refId: string): Record<string, unknown> {
  return { datasource: DS, expr, legendFormat, refId };
}

function sel(ctx: MonitoringContext, service?: string): string {
  const svc = service ? `,service="${service}"` : '';
  return `{namespace="$namespace",tenant="${ctx.tenant}",environment="${ctx.environment}"${svc}}`;
}

class Layout {
  private id = 0;
  private y = 0;
  readonly panels: Panel[] = [];

  row(title: string): void {
    this.panels.push({ id: ++this.id, type: 'row', title, collapsed: false, panels: [], gridPos: { h: 1, w: 24, x: 0, y: this.y } });
    this.y += 1;
  }

  /** Places panels side by side in one band of height h. */
  band(h: number, panels: Array<Omit<Panel, 'id' | 'gridPos'>>): void {
    const w = Math.floor(24 / panels.length);
    panels.forEach((p, i) => this.panels.push({ ...p, id: ++this.id, gridPos: { h, w, x: i * w, y: this.y } } as Panel));
    this.y += h;
  }
}

function timeseries(title: string, unit: string, targets: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Omit<Panel, 'id' | 'gridPos'> {
  return {
    type: 'timeseries',
    title,
    datasource: DS,
    fieldConfig: { defaults: { unit, min: 0 }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets,
    ...extra,
  };
}

function stat(title: string, unit: string, expr: string, thresholds: Array<{ color: string; value: number | null }>): Omit<Panel, 'id' | 'gridPos'> {
  return {
    type: 'stat',
    title,
    datasource: DS,
    fieldConfig: { defaults: { unit, thresholds: { mode: 'absolute', steps: thresholds } }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', textMode: 'value_and_name' },
    targets: [target(expr, '{{service}}', 'A')],
  };
}

function sloBand(ctx: MonitoringContext, layout: Layout): void {
  const o = objectivesFor(ctx.tier);
  layout.row(`SLOs (${ctx.tier}: availability ${o.availability * 100}%, ${o.latency * 100}% < ${o.latencyThresholdSeconds * 1000}ms)`);
  layout.band(5, [
    stat('Availability, 3d', 'percentunit', `1 - ${RECORDED.errorRatio('3d')}${sel(ctx)}`,
      [{ color: 'red', value: null }, { color: 'green', value: o.availability }]),
    stat('Fast requests, 3d', 'percentunit', `1 - ${RECORDED.slowRatio('3d')}${sel(ctx)}`,
      [{ color: 'red', value: null }, { color: 'green', value: o.latency }]),
    stat('Availability burn rate, 1h', 'none', `${RECORDED.errorRatio('1h')}${sel(ctx)} / ${Number((1 - o.availability).toPrecision(6))}`,
      [{ color: 'green', value: null }, { color: 'orange', value: 6 }, { color: 'red', value: 14.4 }]),
    stat('Latency burn rate, 1h', 'none', `${RECORDED.slowRatio('1h')}${sel(ctx)} / ${Number((1 - o.latency).toPrecision(6))}`,
      [{ color: 'green', value: null }, { color: 'orange', value: 6 }, { color: 'red', value: 14.4 }]),
  ]);
}

function serviceBand(ctx: MonitoringContext, svc: ObservedService, layout: Layout): void {
  const s = sel(ctx, svc.name);
  layout.row(`${svc.name} (${svc.component})`);
  layout.band(8, [
    timeseries(`${svc.name}: request rate`, 'reqps', [target(`${RECORDED.requestRate}${s}`, 'requests/s', 'A')]),
    timeseries(`${svc.name}: error ratio`, 'percentunit', [target(`${RECORDED.errorRatio('5m')}${s}`, '5xx ratio', 'A')]),
    timeseries(`${svc.name}: latency`, 's', [
      target(`${RECORDED.quantile('p50')}${s}`, 'p50', 'A'),
      target(`${RECORDED.quantile('p90')}${s}`, 'p90', 'B'),
      target(`${RECORDED.quantile('p99')}${s}`, 'p99', 'C'),
    ]),
  ]);
}

function templating(ctx: MonitoringContext): Record<string, unknown> {
  const query = `label_values(${RECORDED.requestRate}{tenant="${ctx.tenant}",environment="${ctx.environment}"}, namespace)`;
  return {
    list: [
      { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
      {
        name: 'namespace', label: 'Namespace', type: 'query', datasource: DS,
        query: { query, refId: 'namespace' }, definition: query, refresh: 2,
        current: { selected: true, text: ctx.namespace, value: ctx.namespace },
        options: [], includeAll: false, multi: false, hide: 0, sort: 1,
      },
    ],
  };
}

/** Grafana uid: stable per tenant/environment, within Grafana's 40-character limit. */
export function dashboardUid(tenant: string, environment: string): string {
  return `fp-${shortHash(`${tenant}/${environment}`, 16)}`;
}

/** The dashboard of one environment; `uid` is passed in when building a stencil (../bulk/monitoring.ts). */
export function buildDashboard(ctx: MonitoringContext, uid = dashboardUid(ctx.tenant, ctx.environment)): Dashboard {
  const layout = new Layout();
  sloBand(ctx, layout);
  const services = [...ctx.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const svc of services) serviceBand(ctx, svc, layout);
  return {
    uid,
    title: `${ctx.tenant} / ${ctx.environment}`,
    description: `RED and SLO overview of ${ctx.tenant}/${ctx.environment} (${ctx.envType}, ${ctx.tier} tier). Generated by Fleetplane.`,
    tags: ['fleetplane', `tenant:${ctx.tenant}`, `env:${ctx.envType}`],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    timezone: 'utc',
    templating: templating(ctx),
    annotations: { list: [] },
    links: [],
    panels: layout.panels,
  };
}
