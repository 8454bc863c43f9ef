-- AI workloads, second step (docs/ai-workloads.md, ADR 2001).
-- Declared cluster capabilities: the renderer's choice of KServe / Knative / KEDA / Kubeflow Trainer
-- forms follows a cluster's API discovery unless its registration declares the list (a cluster whose
-- CRDs are installed without their controllers, or one reached through a proxy that hides discovery).
-- NULL: discover; a JSON array (possibly empty): exactly those.
ALTER TABLE clusters ADD COLUMN capabilities jsonb;

-- What hibernation saved, metered like what runs: each sample of a hibernated environment carries the
-- replicas and GPUs its open hibernation period holds back, integrated per hour into the
-- saved-replica-hours and saved-gpu-hours dimensions (reported, not billed unless mapped).
ALTER TABLE metering_samples ADD COLUMN saved_replicas integer NOT NULL DEFAULT 0;
ALTER TABLE metering_samples ADD COLUMN saved_gpus integer NOT NULL DEFAULT 0;
ALTER TABLE metering_hour_inputs ADD COLUMN saved_replica_seconds bigint NOT NULL DEFAULT 0;
ALTER TABLE metering_hour_inputs ADD COLUMN saved_gpu_seconds bigint NOT NULL DEFAULT 0;
