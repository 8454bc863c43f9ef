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
export { default as rolloutPreview } from './rollout-preview.ts';
export { default as scaling } from './scaling.ts';
export { default as vpa } from './vpa.ts';
export { default as fleet } from './fleet.ts';
export { default as dashboards } from './dashboards.ts';
export { default as runbooks } from './runbooks.ts';
export { default as bundles } from './bundles.ts';
export { default as metering } from './metering.ts';
export { default as marketplace } from './marketplace.ts';
