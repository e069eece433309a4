/**
 * How a model is shown by GET /models and /models/{name} (API.md §3, §14),
 * and by the management routes' answers: read from the configuration in
 * force (ModelVersion.serving), never from the graph or model.json again.
 */
import type { TensorInfo } from '../../inference/runtime/model-runner.js';
import type { ModelVersion } from '../../inference/serving/model-version.js';
import type { ModelEntry } from '../../inference/serving/registry.js';
import { MODEL_JSON_MISSING } from '../../inference/serving/repository.js';

const tensorOf = (t: TensorInfo): TensorInfo => ({ name: t.name, datatype: t.datatype, shape: t.shape });
const link = (name: string) => `/api/v1/models/${encodeURIComponent(name)}`;

/** The list entry of a model. */
export function modelSummary(entry: ModelEntry) {
  const serving = entry.serving();
  const shown = entry.representative();
  // classification | regression | tensor (API.md §14); model.json's word until a version is ready.
  const config = shown?.serving;
  return {
    name: entry.name,
    version: serving?.version ?? shown?.version ?? null,
    versions: entry.versionList(),
    state: entry.state(),
    task: config?.task ?? entry.config?.task ?? null,
    description: config?.description ?? entry.config?.description ?? '',
    links: { self: link(entry.name) },
  };
}

/**
 * The detail of a model at one of its versions. `links.self` is the route that
 * answered: the model's own (API.md §11) unless `versionRoute` says it was
 * `…/versions/{version}`.
 */
export function modelDetail(entry: ModelEntry, v: ModelVersion | undefined, versionRoute = false) {
  const config = entry.config;
  const serving = v?.serving;
  const detail: Record<string, unknown> = {
    ...modelSummary(entry),
    version: v?.version ?? null,
    state: v?.state ?? entry.state(),
  };
  const configError = entry.configError === MODEL_JSON_MISSING ? undefined : entry.configError;
  const reason = v?.reason ?? configError ?? (v ? undefined : 'the model has no version directories');
  if (detail.state === 'failed' && reason) detail.reason = reason;
  detail.inputs = (serving?.inputs ?? v?.inputs ?? []).map(tensorOf);
  // A removed ZipMap's output carries its labels (API.md §14); the rest are shown as the graph has them.
  const zipMaps = new Set(serving?.rewrites.map((r) => r.output));
  detail.outputs = (serving?.outputs ?? v?.outputs ?? []).map((t) => (zipMaps.has(t.name) ? t : tensorOf(t)));
  detail.features = serving?.featureSchema ?? null;
  const classifier = serving?.classification;
  if (classifier) {
    detail.labels = classifier.labels;
    if (classifier.positiveIndex !== undefined) {
      detail.positive_label = classifier.labels[classifier.positiveIndex];
      detail.threshold = classifier.threshold;
    }
    detail.confidence = classifier.confidence;
  }
  detail.execution_provider = v?.executionProvider ?? null;
  detail.batching = serving?.batching ?? null;
  if (config?.default_version !== undefined || entry.defaultVersion !== undefined) {
    detail.default_version = entry.defaultVersion ?? null;
  }
  detail.links = {
    self: versionRoute && v ? `${link(entry.name)}/versions/${v.version}` : link(entry.name),
    model: link(entry.name),
    predict: `${link(entry.name)}/predict`,
  };
  return detail;
}
