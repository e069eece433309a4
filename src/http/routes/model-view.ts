/** How a model is shown by GET /models and /models/{name} (API.md §3), and by the management routes' answers. */
import type { ModelVersion } from '../../inference/serving/model-version.js';
import type { ModelEntry } from '../../inference/serving/registry.js';

const link = (name: string) => `/api/v1/models/${encodeURIComponent(name)}`;

/** The list entry of a model. */
export function modelSummary(entry: ModelEntry) {
  const serving = entry.serving();
  const shown = entry.representative();
  return {
    name: entry.name,
    version: serving?.version ?? shown?.version ?? null,
    versions: entry.versionList(),
    state: entry.state(),
    task: entry.config?.task ?? null,
    description: entry.config?.description ?? '',
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
  const detail: Record<string, unknown> = {
    ...modelSummary(entry),
    version: v?.version ?? null,
    state: v?.state ?? entry.state(),
  };
  const reason = v?.reason ?? entry.configError ?? (v ? undefined : 'the model has no version directories');
  if (detail.state === 'failed' && reason) detail.reason = reason;
  detail.inputs = v?.inputs ?? [];
  detail.outputs = v?.outputs ?? [];
  detail.features = v?.featureSchema ?? null;
  if (v?.classifier) {
    detail.labels = v.classifier.labels;
    if (v.classifier.positiveIndex !== undefined) {
      detail.positive_label = v.classifier.labels[v.classifier.positiveIndex];
      detail.threshold = v.classifier.threshold;
    }
    detail.confidence = v.classifier.confidence;
  }
  detail.execution_provider = v?.executionProvider ?? null;
  detail.batching = v?.batching ?? null;
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
