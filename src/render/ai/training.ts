// training-job components (docs/ai-workloads.md). The revision carries, where Kubeflow Trainer is
// installed, a namespaced TrainingRuntime (trainer.kubeflow.org/v1alpha1, Trainer v2.3.0's CRD) with
// the component's pod; each run, started through the API, is a TrainJob of that runtime, or else a
// batch/v1 Job with the same pod. Runs are not part of the revision: a rollout never restarts one.
import { InputError } from '../../domain/errors.ts';
import { LABELS, type KubeObject } from '../../domain/types.ts';
import { buildContext } from '../context.ts';
import { componentLabels, meta, obj, podLabels, sortedMap } from '../meta.ts';
import type { RenderChoice, RenderContext, RenderInput, ResolvedComponent } from '../types.ts';
import { DEFAULT_ACTIVE_DEADLINE_SECONDS, podSpec, template } from '../workloads.ts';

export const TRAINER_API_VERSION = 'trainer.kubeflow.org/v1alpha1';
export const TRAINING_RUN_LABEL = 'fleetplane.io/training-run';
/** The container Trainer's runtimes name `node` (a TrainJob's trainer overrides apply to it). */
const TRAINER_CONTAINER = 'node';

const numNodes = (c: ResolvedComponent): number => c.spec.training?.numNodes ?? 1;

function trainerPod(ctx: RenderContext, c: ResolvedComponent, rename: boolean): Record<string, unknown> {
  const pod = podSpec(ctx, c, 'Never') as Record<string, unknown> & { containers: Array<Record<string, unknown>> };
  return rename ? { ...pod, containers: pod.containers.map((x) => ({ ...x, name: TRAINER_CONTAINER })) } : pod;
}

export function trainingRuntime(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const job = {
    name: TRAINER_CONTAINER,
    replicas: 1,
    template: {
      metadata: { labels: { ...podLabels(ctx, c), 'trainer.kubeflow.org/trainjob-ancestor-step': 'trainer' } },
      spec: {
        activeDeadlineSeconds: c.spec.activeDeadlineSeconds ?? DEFAULT_ACTIVE_DEADLINE_SECONDS,
        backoffLimit: c.spec.training?.backoffLimit ?? 0,
        template: { metadata: template(ctx, c), spec: trainerPod(ctx, c, true) },
      },
    },
  };
  return obj(TRAINER_API_VERSION, 'TrainingRuntime', meta(ctx, c.spec.name, componentLabels(ctx, c)), {
    spec: { mlPolicy: { numNodes: numNodes(c) }, template: { spec: { replicatedJobs: [job] } } },
  });
}

export interface TrainingRunRequest {
  /** Unique per environment and component: a DNS label of at most 20 characters. */
  id: string;
  args?: string[];
  /**
   * The environment revision the run is started from (its applied one): set as the run's revision
   * label, so `fleetplane.io/revision` says what it ran with. Absent: no revision label.
   */
  revision?: string;
}

export interface RenderedTrainingRun {
  object: KubeObject;
  form: RenderChoice['form'];
  reason: string;
  /** GPUs the run holds while it runs: per node, times the nodes. */
  gpus: number;
  nodes: number;
  name: string;
}

const bad = (field: string, message: string): never => {
  throw new InputError(`invalid training run: ${field} ${message}`, [{ field, message }]);
};

/** A run is not part of a revision, so the renderer's empty revision placeholder is the revision it started from, or no label. */
function withRevision(labels: Record<string, string>, revision: string | undefined): Record<string, string> {
  const { [LABELS.revision]: _placeholder, ...rest } = labels;
  return revision ? sortedMap({ ...rest, [LABELS.revision]: revision }) : rest;
}

export const trainingRunName = (component: string, id: string): string => `${component}-${id}`;

/** One run of a training-job component in an environment, as a TrainJob or a batch Job by what the cluster has. Pure. */
export function renderTrainingRun(input: RenderInput, component: string, run: TrainingRunRequest): RenderedTrainingRun {
  if (!/^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/.test(run.id)) bad('/id', 'must be a DNS label of at most 20 characters');
  if (run.args !== undefined && (!Array.isArray(run.args) || run.args.some((a) => typeof a !== 'string' || a.length > 4096) || run.args.length > 64)) bad('/args', 'must be at most 64 strings');
  const ctx = buildContext(input);
  const c = ctx.components.find((x) => x.spec.name === component);
  if (!c) return bad('/component', `no component "${component}" in ${ctx.blueprint.metadata.name}@${ctx.blueprint.metadata.version}`);
  if (c.spec.kind !== 'training-job') return bad('/component', `"${component}" is a ${c.spec.kind}, not a training-job`);
  const name = trainingRunName(component, run.id);
  const labels = withRevision(sortedMap({ ...componentLabels(ctx, c), [TRAINING_RUN_LABEL]: run.id }), run.revision);
  const nodes = numNodes(c);
  const gpus = (c.spec.gpu?.count ?? 0) * nodes;
  const args = run.args ?? c.spec.args;
  if (c.choice.form === 'TrainingRuntime') {
    const trainer = { args, command: c.spec.command, numNodes: nodes };
    const object = obj(TRAINER_API_VERSION, 'TrainJob', meta(ctx, name, labels), {
      spec: { runtimeRef: { apiGroup: 'trainer.kubeflow.org', kind: 'TrainingRuntime', name: c.spec.name }, trainer },
    });
    return { object, form: 'TrainingRuntime', reason: c.choice.reason, gpus, nodes, name };
  }
  const pod = trainerPod(ctx, { ...c, spec: { ...c.spec, ...(args ? { args } : {}) } }, false);
  const tmpl = template(ctx, c) as { annotations: Record<string, string>; labels: Record<string, string> };
  const object = obj('batch/v1', 'Job', meta(ctx, name, labels), {
    spec: {
      activeDeadlineSeconds: c.spec.activeDeadlineSeconds ?? DEFAULT_ACTIVE_DEADLINE_SECONDS,
      backoffLimit: c.spec.training?.backoffLimit ?? 0,
      completionMode: 'Indexed',
      completions: nodes,
      parallelism: nodes,
      template: { metadata: { annotations: tmpl.annotations, labels: withRevision(sortedMap({ ...tmpl.labels, [TRAINING_RUN_LABEL]: run.id }), run.revision) }, spec: pod },
    },
  });
  return { object, form: 'Job', reason: c.choice.reason, gpus, nodes, name };
}
