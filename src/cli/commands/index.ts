// CLI commands, registered in this order. To add one: write commands/NAME.ts exporting a function
// (program: Command) => void and add ONE line here.
export { default as serve } from './serve.ts';
export { default as tenants } from './tenants.ts';
export { default as envs } from './envs.ts';
export { default as clusters } from './clusters.ts';
export { default as blueprints } from './blueprints.ts';
export { default as ops } from './ops.ts';
export { default as tokens } from './tokens.ts';
export { register as forecast } from './forecast.ts';
export { default as rollouts } from './rollouts.ts';
export { default as fleet } from './fleet.ts';
export { default as metering } from './metering.ts';
export { default as bundle } from './bundle.ts';
export { default as render } from './render.ts';
export { default as lifecycle } from './lifecycle.ts';
export { default as license } from './license.ts';
