/**
 * A model's model.json (models/<name>/model.json, checked against
 * schemas/model-config.schema.json): every member optional under API.md §14,
 * each overriding what derive-config.ts reads from the graph; and the
 * defaults both share. featureSchema and classifierSpec are today's form of
 * a complete model.json (derive-config-shipped.test.ts proves the derived
 * configuration equal to them for the shipped models).
 */
import { schemaValidator } from '../../validation/ajv.js';

export interface FeatureSpec {
  name: string;
  type: 'number' | 'integer';
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  baseline?: number;
}

export interface ModelConfig {
  description?: string;
  task: 'classification' | 'regression';
  input: string;
  outputs: { probabilities?: string; prediction?: string };
  features: FeatureSpec[];
  labels?: string[];
  positive_label?: string;
  threshold?: number;
  confidence?: { high: number; medium: number };
  batching?: { max_batch_size?: number; max_delay_ms?: number };
  /** Where session.run() runs: on the main thread or in a worker thread (else placed by runner-placement.ts). */
  runner?: RunnerKind;
  default_version?: string;
}

export type RunnerKind = 'main' | 'worker';

export const DEFAULT_THRESHOLD = 0.5;
export const DEFAULT_CONFIDENCE = Object.freeze({ high: 0.8, medium: 0.6 });
export const DEFAULT_MAX_BATCH_SIZE = 1024;
export const DEFAULT_MAX_DELAY_MS = 1;

/** Checks a parsed model.json: the schema, then what a schema cannot say. Returns the problems. */
export function checkModelConfig(value: unknown): string[] {
  const validate = schemaValidator<ModelConfig>('model-config.schema.json');
  if (!validate(value)) {
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  }
  const config = value;
  const problems: string[] = [];
  // Every member is optional (API.md §14); what contradicts the graph is derive-config.ts's to say.
  const names = (config.features ?? []).map((f) => f.name);
  if (new Set(names).size !== names.length) problems.push('/features has duplicate names');
  if (config.labels && config.positive_label !== undefined && !config.labels.includes(config.positive_label)) {
    problems.push('/positive_label must be one of /labels');
  }
  if (config.labels && config.labels.length > 2 && config.threshold !== undefined) {
    problems.push('/threshold only applies to binary classifiers');
  }
  if (config.task === 'regression') {
    for (const key of ['labels', 'positive_label', 'threshold', 'confidence'] as const) {
      if (config[key] !== undefined) problems.push(`/${key} does not apply to regression`);
    }
  }
  if (config.confidence && config.confidence.medium > config.confidence.high) {
    problems.push('/confidence/medium must be <= /confidence/high');
  }
  return problems;
}

/** The JSON Schema a `features` object must satisfy, built from the ordered feature specs. */
export function featureSchema(config: ModelConfig): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of config.features) {
    const p: Record<string, unknown> = { type: f.type };
    if (f.description !== undefined) p.description = f.description;
    for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
      if (f[k] !== undefined) p[k] = f[k];
    }
    properties[f.name] = p;
  }
  return {
    type: 'object',
    additionalProperties: false,
    required: config.features.map((f) => f.name),
    properties,
  };
}

/** How a classifier turns probabilities into a prediction. */
export interface ClassifierSpec {
  labels: readonly string[];
  /** Index of the positive label of a binary model; undefined for multi-class. */
  positiveIndex: number | undefined;
  threshold: number;
  confidence: { high: number; medium: number };
}

export function classifierSpec(config: ModelConfig): ClassifierSpec | undefined {
  if (config.task !== 'classification' || !config.labels) return undefined;
  const labels = config.labels;
  const binary = labels.length === 2;
  return {
    labels,
    positiveIndex: binary ? labels.indexOf(config.positive_label ?? labels[1]!) : undefined,
    threshold: config.threshold ?? DEFAULT_THRESHOLD,
    confidence: config.confidence ?? DEFAULT_CONFIDENCE,
  };
}

/** The batching settings with defaults filled in. */
export function batchingOf(config: ModelConfig): { max_batch_size: number; max_delay_ms: number } {
  return {
    max_batch_size: config.batching?.max_batch_size ?? DEFAULT_MAX_BATCH_SIZE,
    max_delay_ms: config.batching?.max_delay_ms ?? DEFAULT_MAX_DELAY_MS,
  };
}
