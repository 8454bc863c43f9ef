import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../domain/types.ts';
import { applicationProblem, applicationView, syncedHealthyAt } from './argocd-status.ts';

const app = (status: unknown): KubeObject => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a-prod', namespace: 'argocd' }, status });

test('single-source Application: revision, Synced+Healthy at a commit', () => {
  const v = applicationView(app({ sync: { status: 'Synced', revision: 'c1' }, health: { status: 'Healthy' }, operationState: { phase: 'Succeeded', syncResult: { revision: 'c1' } } }));
  assert.deepEqual(v?.revisions, ['c1']);
  assert.deepEqual(v?.operationRevisions, ['c1']);
  assert.equal(syncedHealthyAt(v, 'c1'), true);
  assert.equal(syncedHealthyAt(v, 'c2'), false, 'a newer commit is not synced yet');
  assert.equal(applicationProblem(v), null);
});

test('multi-source Application: the tenant repo commit is one of the revisions', () => {
  const v = applicationView(app({ sync: { status: 'Synced', revisions: ['20.6.2', 'c9'] }, health: { status: 'Healthy' } }));
  assert.equal(syncedHealthyAt(v, 'c9'), true);
  assert.equal(syncedHealthyAt(v), true);
});

test('not synced, progressing, missing status', () => {
  assert.equal(syncedHealthyAt(applicationView(app({ sync: { status: 'OutOfSync', revision: 'c1' }, health: { status: 'Healthy' } })), 'c1'), false);
  assert.equal(syncedHealthyAt(applicationView(app({ sync: { status: 'Synced', revision: 'c1' }, health: { status: 'Progressing' } })), 'c1'), false);
  assert.equal(syncedHealthyAt(applicationView(app(undefined))), false);
  assert.equal(applicationView(null), null);
  assert.equal(applicationProblem(null), 'no Application');
});

test("Argo CD's own message is the problem: conditions first, then a failed operation, then health", () => {
  const refused = applicationView(app({
    sync: { status: 'OutOfSync' }, health: { status: 'Healthy' },
    conditions: [{ type: 'SyncError', message: 'namespace other is not permitted in project acme' }],
    operationState: { phase: 'Failed', message: 'one or more synchronization tasks are not valid' },
  }));
  assert.equal(applicationProblem(refused), 'SyncError: namespace other is not permitted in project acme');
  assert.equal(applicationProblem(applicationView(app({ operationState: { phase: 'Error', message: 'boom' } }))), 'sync Error: boom');
  assert.equal(applicationProblem(applicationView(app({ health: { status: 'Degraded', message: 'Deployment has timed out progressing' } }))), 'health Degraded: Deployment has timed out progressing');
  assert.equal(applicationProblem(applicationView(app({ conditions: [{ type: 'OrphanedResourceWarning', message: 'x' }] }))), null, 'warnings are not problems');
});
