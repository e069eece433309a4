/**
 * What /api/v1 needs of a model version, worked out once per served
 * configuration (STYLE.md habit 12: read the derived configuration, never the
 * graph): which feed carries which feature, how a row holds each feature
 * (by name, or by column for a matrix without names), which output answers,
 * and the baselines explanations substitute (API.md §14 "Named features,
 * derived"). A tensor model has no plan: 422 UNSUPPORTED_MODEL, use /v2.
 */
import { AppError } from '../../errors.js';
import type { ClassificationConfig, ServingConfig, ServingFeature } from '../serving/derive/serving-config.js';
import type { TensorInfo } from '../runtime/model-runner.js';
import type { FeatureValue } from './tensor.js';

/** One graph input as fed from features: [n, k] (or [n] for a rank-1 input) holding `features` in column order. */
export interface FeedSpec {
  datatype: string;
  /** Indices into the plan's features, in the input's column order. */
  features: readonly number[];
  rank: 1 | 2;
}

/** An FP16 or FP32 feature whose schema does not keep it within its datatype's range. */
export interface RangeGuard {
  feature: number;
  datatype: string;
  max: number;
}

export interface PredictPlan {
  /** The configuration this plan was made from; the classifier settings are read from it per request (PATCH). */
  serving: ServingConfig;
  task: 'classification' | 'regression';
  features: readonly ServingFeature[];
  /** How a row holds feature j: its name, or its column index when `features` is an array. */
  keys: readonly (string | number)[];
  /** Feature names where one is needed (explanations): "0" … "F-1" without names. */
  names: readonly string[];
  /** One per graph input, in feed order. */
  feeds: readonly FeedSpec[];
  /** The answering output's position among the runner's outputs. */
  outputIndex: number;
  rangeGuards: readonly RangeGuard[];
  /** Feature j's baseline, in feature order (explanations). */
  baselines: readonly FeatureValue[];
}

/** What the plan reads of a version. */
export interface PlanSource {
  name: string;
  /** The runner's inputs and outputs, in feed and answer order. */
  inputs: readonly TensorInfo[];
  outputs: readonly TensorInfo[];
}

/** The largest finite value of the float datatypes a JSON number could overflow. */
const FLOAT_MAX: Readonly<Record<string, number>> = { FP16: 65504, FP32: 3.4028234663852886e38 };

/** 422 UNSUPPORTED_MODEL for a model whose inputs are not named features (API.md §1, §14). */
export const unsupportedModel = (name: string): AppError =>
  new AppError(
    'UNSUPPORTED_MODEL',
    `Model '${name}' is a tensor model: its inputs are not named features, so /api/v1 cannot serve it; use POST /v2/models/${name}/infer`,
  );

const plans = new WeakMap<ServingConfig, PredictPlan>();

/** The plan of a version served with `serving`, made once per configuration; throws UNSUPPORTED_MODEL for a tensor model. */
export function planOf(source: PlanSource, serving: ServingConfig): PredictPlan {
  let plan = plans.get(serving);
  if (!plan) {
    plan = makePlan(source, serving);
    plans.set(serving, plan);
  }
  return plan;
}

/** The classifier settings in force (PATCH replaces them), for a classification plan. */
export const classificationOf = (plan: PredictPlan): ClassificationConfig | undefined => plan.serving.classification;

function makePlan(source: PlanSource, serving: ServingConfig): PredictPlan {
  const task = serving.task;
  if (task === 'tensor' || serving.layout === 'tensor') throw unsupportedModel(source.name);
  const output = task === 'classification' ? serving.classification?.probabilities : serving.prediction;
  const outputIndex = source.outputs.findIndex((o) => o.name === output);
  if (outputIndex < 0) throw new Error(`model '${source.name}': output '${output}' is not among the runner's outputs`);
  const features = serving.features;
  const feeds = source.inputs.map((input): FeedSpec => {
    const carried = features.map((f, j) => ({ f, j })).filter(({ f }) => f.input === input.name).sort((a, b) => a.f.column - b.f.column);
    if (carried.length === 0) throw new Error(`model '${source.name}': input '${input.name}' carries no feature`);
    const served = serving.inputs.find((i) => i.name === input.name) ?? input;
    return { datatype: input.datatype, features: carried.map(({ j }) => j), rank: served.shape.length === 1 ? 1 : 2 };
  });
  const rangeGuards: RangeGuard[] = [];
  features.forEach((f, j) => {
    const max = FLOAT_MAX[f.datatype];
    if (max === undefined) return;
    const { maximum, minimum, exclusiveMaximum, exclusiveMinimum } = f.schema as Record<string, number | undefined>;
    const top = maximum ?? exclusiveMaximum;
    const bottom = minimum ?? exclusiveMinimum;
    // Bounded by the schema (every shipped model): nothing to check per request.
    if (top !== undefined && bottom !== undefined && Math.abs(top) <= max && Math.abs(bottom) <= max) return;
    rangeGuards.push({ feature: j, datatype: f.datatype, max });
  });
  return {
    serving,
    task,
    features,
    keys: serving.namedFeatures ? features.map((f) => f.name) : features.map((_, j) => j),
    names: features.map((f) => f.name),
    feeds,
    outputIndex,
    rangeGuards,
    baselines: features.map((f) => f.baseline),
  };
}
