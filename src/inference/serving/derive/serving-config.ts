/**
 * The one configuration a model version is served with (STYLE.md habit 12):
 * derived from the ONNX graph, with model.json's members over it
 * (derive-config.ts). The REST, OIP and gRPC doors, the batcher and the
 * explainer read this object, never the graph again. `configView` is what
 * `GET /v2/models/{name}/config` answers (API.md §14).
 */
import type { TensorInfo } from '../../runtime/model-runner.js';
import type { FeatureType } from './feature-types.js';
import type { GraphRewrite } from './graph-rewrite.js';
import {
  DEFAULT_CONFIDENCE, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_DELAY_MS, DEFAULT_THRESHOLD, type ClassifierSpec, type RunnerKind,
} from '../model-config.js';

/** model.json under API.md §14: every member optional, each one overriding what is derived. */
export interface ModelJson {
  description?: string;
  task?: 'classification' | 'regression';
  /** The one 2-D input [N, F] whose columns are the features. */
  input?: string;
  outputs?: { probabilities?: string; prediction?: string };
  features?: FeatureJson[];
  labels?: string[];
  positive_label?: string;
  threshold?: number;
  confidence?: { high: number; medium: number };
  batching?: { max_batch_size?: number; max_delay_ms?: number };
  runner?: RunnerKind;
  default_version?: string;
  warmup?: WarmUpRule;
}

export interface FeatureJson {
  name: string;
  type?: FeatureType;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: string[];
  baseline?: number | string | boolean;
}

/** `required`: a failed warm-up run fails the version; `optional`: it is logged once at warn (API.md §14). */
export type WarmUpRule = 'required' | 'optional';

/** How a features object becomes input tensors. */
export type Layout = 'columns' | 'matrix' | 'tensor';
export type Task = 'classification' | 'regression' | 'tensor';

/** A graph input or output as served; a removed ZipMap's output carries its labels. */
export interface ServedTensor extends TensorInfo {
  labels?: readonly string[];
}

export interface ServingFeature {
  name: string;
  /** The graph input that carries it, and its column there (0 for a per-column input). */
  input: string;
  column: number;
  datatype: string;
  type: FeatureType;
  /** Its JSON Schema: a property of the features object, or the items of the array form. */
  schema: Record<string, unknown>;
  /** Reference value for explanations. */
  baseline: number | string | boolean;
}

/** A classifier: how probabilities become a prediction, and which outputs hold them. */
export interface ClassificationConfig extends ClassifierSpec {
  /** The FP32 [N, C] output (or [N, 1] / [N] p(positive) of a binary model). */
  probabilities: string;
  /** The graph's own label output, when it has one. */
  label?: string;
}

export interface ServingConfig {
  description?: string;
  inputs: readonly ServedTensor[];
  outputs: readonly ServedTensor[];
  rewrites: readonly GraphRewrite[];
  layout: Layout;
  /** In column order; [] for a tensor model. */
  features: readonly ServingFeature[];
  /** False for a matrix without names: `features` is an array of F values, named "0" … "F-1". */
  namedFeatures: boolean;
  /** The JSON Schema a `features` value must satisfy; undefined for a tensor model. */
  featureSchema: Record<string, unknown> | undefined;
  task: Task;
  classification?: ClassificationConfig;
  /** Regression: the output holding the prediction. */
  prediction?: string;
  /**
   * Not known to be a regression yet: the one numeric output, declared with a
   * shape such as [1] that the warm-up run may show to be [N] (settle-by-warm-up.ts).
   */
  regressionCandidate?: string;
  /** max_batch_size 0: batching off. */
  batching: { max_batch_size: number; max_delay_ms: number };
  /** Every input has a dynamic first dimension and batching is on: the warm-up run decides (API.md §14). */
  batchCandidate: boolean;
  /** Set by settleByWarmUp: a candidate whose warm-up run answered 2 rows on every output. */
  batchable?: boolean;
  /**
   * Set by settleByWarmUp: every input's first dimension is dynamic and the
   * warm-up run, fed 2 rows, answered 2 rows on every output, whatever
   * max_batch_size says (a PATCH turning batching back on needs it).
   */
  answersRows?: boolean;
  warmup: WarmUpRule;
  runner?: RunnerKind;
  default_version?: string;
}

/** The serving settings a PATCH or a changed model.json may change without a reload (API.md §11). */
export type ServingSettings = Pick<ModelJson, 'threshold' | 'confidence' | 'batching' | 'default_version'>;

/**
 * The configuration with new serving settings (PATCH, hot reload of
 * model.json): threshold and confidence of a classifier, batching (and so
 * batchability: max_batch_size 0 turns it off), the pinned version. What the
 * graph decided (tensors, features, labels) stays.
 */
export function withSettings(config: ServingConfig, settings: ServingSettings): ServingConfig {
  const batching = {
    max_batch_size: settings.batching?.max_batch_size ?? DEFAULT_MAX_BATCH_SIZE,
    max_delay_ms: settings.batching?.max_delay_ms ?? DEFAULT_MAX_DELAY_MS,
  };
  const batchCandidate = batching.max_batch_size > 0 && config.inputs.length > 0 && config.inputs.every((i) => i.shape[0] === -1);
  const c = config.classification;
  const { default_version: _, ...rest } = config;
  return {
    ...rest,
    ...(c && {
      classification: {
        ...c,
        threshold: c.positiveIndex !== undefined ? settings.threshold ?? DEFAULT_THRESHOLD : c.threshold,
        confidence: settings.confidence ?? DEFAULT_CONFIDENCE,
      },
    }),
    batching,
    batchCandidate,
    ...(config.batchable !== undefined && { batchable: batchCandidate && config.answersRows === true }),
    ...(settings.default_version !== undefined && { default_version: settings.default_version }),
  };
}

const tensorView = (t: ServedTensor) =>
  t.labels ? { name: t.name, datatype: t.datatype, shape: t.shape, labels: t.labels } : { name: t.name, datatype: t.datatype, shape: t.shape };

/** The JSON answered by `GET /v2/models/{name}/config`: the configuration in force (API.md §14). */
export function configView(config: ServingConfig): Record<string, unknown> {
  const c = config.classification;
  return {
    ...(config.description !== undefined && { description: config.description }),
    platform: 'onnxruntime_onnx',
    inputs: config.inputs.map(tensorView),
    outputs: config.outputs.map(tensorView),
    rewrites: config.rewrites,
    task: config.task,
    layout: config.layout,
    ...(config.featureSchema && {
      features: config.featureSchema,
      baselines: Object.fromEntries(config.features.map((f) => [f.name, f.baseline])),
    }),
    ...(c && {
      labels: c.labels,
      ...(c.positiveIndex !== undefined && { positive_label: c.labels[c.positiveIndex], threshold: c.threshold }),
      confidence: c.confidence,
      probabilities_output: c.probabilities,
      ...(c.label !== undefined && { label_output: c.label }),
    }),
    ...(config.prediction !== undefined && { prediction_output: config.prediction }),
    batching: { ...config.batching, dynamic: config.batchable ?? config.batchCandidate },
    warmup: config.warmup,
    ...(config.runner !== undefined && { runner: config.runner }),
    ...(config.default_version !== undefined && { default_version: config.default_version }),
  };
}
