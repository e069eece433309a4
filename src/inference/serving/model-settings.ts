/**
 * A model's serving settings (API.md §11 PATCH): threshold, confidence
 * cut-offs, batching and the pinned default version. They change how
 * predictions are shaped, never the graph, so they apply without a reload.
 */
import type { ErrorDetail } from '../../errors.js';
import type { ModelConfig } from './model-config.js';
import { MODEL_JSON_MISSING } from './repository.js';
import type { ModelEntry } from './registry.js';

/** The body of PATCH /api/v1/models/{name} (schemas/model-patch-request.schema.json). */
export interface ModelSettingsPatch {
  default_version?: string | null;
  threshold?: number;
  confidence?: { high: number; medium: number };
  batching?: { max_batch_size?: number; max_delay_ms?: number };
}

/** The rules of a patch that depend on the model, as validation details. */
export function settingsProblems(entry: ModelEntry, patch: ModelSettingsPatch): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  // What the configuration in force says (derived, or model.json's), else model.json alone (no version ready).
  const serving = entry.representative()?.serving;
  const config = entry.config;
  const classifier = serving ? serving.task === 'classification' : config?.task === 'classification' || config?.labels !== undefined;
  const binary = serving ? serving.classification?.positiveIndex !== undefined : config?.labels?.length === 2;
  if (typeof patch.default_version === 'string' && !entry.versions.has(patch.default_version)) {
    problems.push({ field: '/default_version', message: 'is not a version of this model', received: patch.default_version });
  }
  if (patch.threshold !== undefined && !binary) {
    problems.push({ field: '/threshold', message: 'applies only to binary classifiers', received: patch.threshold });
  }
  if (patch.confidence !== undefined) {
    if (!classifier) {
      problems.push({ field: '/confidence', message: 'applies only to classifiers', received: patch.confidence });
    } else if (patch.confidence.medium > patch.confidence.high) {
      problems.push({ field: '/confidence/medium', message: 'must be <= /confidence/high', received: patch.confidence.medium });
    }
  }
  return problems;
}

/** The config with the patch applied (batching merged member by member; a null default_version unpins). */
export function patchedConfig(config: ModelConfig, patch: ModelSettingsPatch): ModelConfig {
  const next: ModelConfig = structuredClone(config);
  if (patch.default_version === null) delete next.default_version;
  else if (patch.default_version !== undefined) next.default_version = patch.default_version;
  if (patch.threshold !== undefined) next.threshold = patch.threshold;
  if (patch.confidence !== undefined) next.confidence = patch.confidence;
  if (patch.batching !== undefined) next.batching = { ...config.batching, ...patch.batching };
  return next;
}

/** A model's new serving settings, applied to the entry and each of its versions. */
export function applySettings(entry: ModelEntry, config: ModelConfig): void {
  entry.config = config;
  // A model.json now exists (written by PATCH, or found by hot reload).
  if (entry.configError === MODEL_JSON_MISSING) entry.configError = undefined;
  entry.defaultVersion = config.default_version;
  for (const v of entry.versions.values()) v.applySettings(config);
}
