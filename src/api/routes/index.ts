// Route modules, registered in this order. To add routes: write routes/NAME.ts exporting a default
// RouteModule and add ONE line here.
export { default as health } from './health.ts';
export { default as tenants } from './tenants.ts';
export { default as environments } from './environments.ts';
export { default as actions } from './actions.ts';
export { default as clusters } from './clusters.ts';
export { default as blueprints } from './blueprints.ts';
export { default as operations } from './operations.ts';
export { default as events } from './events.ts';
export { default as tokens } from './tokens.ts';
export { default as rollouts } from './rollouts.ts';
export { default as scaling } from './scaling.ts';
export { default as fleet } from './fleet.ts';
export { default as dashboards } from './dashboards.ts';
export { default as runbooks } from './runbooks.ts';
export { default as bundles } from './bundles.ts';
export { default as metering } from './metering.ts';
export { default as marketplace } from './marketplace.ts';
export { default as selfManaged } from './self-managed.ts';
export { default as consoleFleet } from './console-fleet.ts';
export { default as consoleRollouts } from './console-rollouts.ts';
export { default as consoleRevisions } from './console-revisions.ts';
export { default as consoleSlo } from './console-slo.ts';
export { default as eventsStream } from './events-stream.ts';
export { default as consoleStatic } from './console-static.ts';
