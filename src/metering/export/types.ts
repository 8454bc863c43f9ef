// Export rows and the exporter's store port: the repository lives on the Store port
// (src/domain/ports/metering.ts, Store.meteringExports); these names stay for the exporter's modules.
export { EXPORT_STATES } from '../../domain/ports/metering.ts';
export type { ExportQuery, ExportRow, ExportState, MeteringExportRepo as ExportStore, Outcome, PlanOptions, PlanResult } from '../../domain/ports/metering.ts';
