// Lint: the pure core (domain, render, plan, forecast, observability) may not touch I/O, clocks or
// process state, the same rule Temporal's samples use for workflow code; and the core's floors only
// import downwards (render never imports observability, which sits above it). The layers above the
// core, and that no rule here is silently dead, are checked by test/architecture.test.ts.
import tseslint from 'typescript-eslint';

const ioModules = ['fs', 'fs/promises', 'net', 'http', 'https', 'child_process', 'os', 'dgram', 'worker_threads', 'pg', '@electric-sql/pglite', '@kubernetes/client-node', 'simple-git', 'fastify', 'pino']
  .flatMap((m) => [m, `node:${m}`]);
const above = ['**/adapters/**', '**/engine/**', '**/api/**', '**/cli/**', '**/demo/**', '**/scaling/**', '**/metrics/**'];

/** The pure-core rules for `files`, which may not import from the folders in `higher` either. */
const pureCore = (files, higher) => ({
  files,
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': ['error', { paths: ioModules, patterns: [...above, ...higher] }],
    'no-restricted-globals': ['error', { name: 'fetch', message: 'pure core: no I/O' }, { name: 'setTimeout', message: 'pure core: pass time in' }, { name: 'process', message: 'pure core: no process state (configuration is passed in)' }],
    'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'pure core: inject the clock' }, { object: 'Math', property: 'random', message: 'pure core: inject randomness' }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '**/*.js', '!eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      complexity: ['warn', 12],
      'max-depth': ['warn', 4],
      'max-params': ['warn', 5],
    },
  },
  pureCore(['src/domain/**/*.ts'], ['**/render/**', '**/plan/**', '**/forecast/**', '**/observability/**']),
  pureCore(['src/render/**/*.ts', 'src/plan/**/*.ts', 'src/forecast/**/*.ts'], ['**/observability/**']),
  pureCore(['src/observability/**/*.ts'], []),
);
