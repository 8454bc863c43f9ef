// Cost of Fleetplane's secret redaction (any key, any depth; ADR 0701) per log line, against pino's
// own path-based redaction of the same object as the baseline, measured in the same run.
// Target: at most 3x the baseline per line (logging must stay cheap next to the work it records).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createLogger, forOperation } from '../src/logging.ts';

const LINES = 20_000;
const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });

// A typical line of work: ids from the child, a small payload with a nested secret.
const payload = {
  step: 'apply',
  objects: 42,
  cluster: { name: 'east-1', apiServer: 'https://10.0.0.1:6443', credentials: 'apiVersion: v1 …' },
  headers: { authorization: 'Bearer fpt_xxx', 'x-request-id': 'req-1' },
  result: { applied: 40, unchanged: 2, warnings: ['deprecated API'] },
};
const ids = { operationId: 'op-123', tenant: 'acme', environment: 'prod', cluster: 'east-1', requestId: 'req-1' };

const ours = forOperation(createLogger({ level: 'info', destination: sink() }), ids);
const baseline = pino({
  level: 'info',
  redact: ['headers.authorization', 'cluster.credentials', '*.password', '*.token', '*.kubeconfig'],
}, sink()).child(ids);

function run(log: { info(o: object, msg: string): void }): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) log.info(payload, 'step applied');
  return Number(process.hrtime.bigint() - t0) / LINES; // ns per line
}

run(ours);
run(baseline);
const best = (f: () => number) => Math.min(f(), f(), f());
const o = best(() => run(ours));
const b = best(() => run(baseline));
console.log(JSON.stringify({
  bench: 'logging', metric: 'ns per log line with key-name redaction at any depth', value: Math.round(o), unit: 'ns',
  baseline: 'pino path-based redact (same object)', baseline_value: Math.round(b), ratio: Number((o / b).toFixed(2)),
}));
