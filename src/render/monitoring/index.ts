// Per-environment monitoring, rendered with every environment by the pure renderer: a ServiceMonitor,
// a PrometheusRule (RED recording rules and multi-window burn-rate SLO alerts, each alert linking to
// its runbook) and a Grafana dashboard ConfigMap, for the components that declare `metrics`
// (docs/observability.md). The control plane's own rules and dashboard are src/observability/.
import type { KubeObject } from '../../domain/types.ts';
import type { RenderContext } from '../types.ts';
import { monitoringContext } from './context.ts';
import { renderMonitoring } from './objects.ts';

export type { MonitoringContext, ObservedService, Objectives } from './types.ts';
export { SERVICE_METRICS } from './types.ts';
export { monitoringContext, validateContext } from './context.ts';
export {
  DASHBOARD_FOLDER_ANNOTATION, DASHBOARD_LABEL, dashboardConfigMap, dashboardFileName, objectName, prometheusRule, renderMonitoring, serviceMonitor,
} from './objects.ts';
export { buildDashboard, dashboardUid, type Dashboard, type Panel } from './dashboard.ts';
export { ALERTS, RECORDED, alertAnnotations, ruleGroups, type AlertingRule, type RecordingRule, type Rule, type RuleGroup } from './rules.ts';
export { BURN_WINDOWS, OBJECTIVES, burnThreshold, objectivesFor, severityFor } from './slo.ts';
export { DEFAULT_RUNBOOK_BASE, RUNBOOK_PAGES, resolveRunbookBase, runbookBaseIssue, runbookUrl, type RunbookPage } from './runbooks.ts';

/** The renderer's builder of the monitoring objects (src/render/index.ts). */
export function monitoringObjects(ctx: RenderContext): KubeObject[] {
  return renderMonitoring(monitoringContext(ctx));
}
