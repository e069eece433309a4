/**
 * Explanations (API.md §5): occlusion, a model-agnostic attribution that works
 * for any model the service can run. Each feature in turn is replaced by its
 * baseline (model.json `baseline`, the training mean or median) and the
 * importance is how much the answer moves: the predicted label's probability
 * for a classifier, the prediction for a regression model. All n_features
 * occluded copies of a row (of every row, for a batch) go through the model
 * in one batched run (more only when they exceed the model's batch limit), so
 * the cost is bounded and the answer deterministic.
 */
import type { ModelVersion } from '../serving/model-version.js';
import { warmUpValue } from '../serving/model-version.js';
import { AS_SENT } from '../runtime/model-runner.js';
import type { Classification, Features, FloatOutput } from './tensor.js';
import { packRows } from './tensor.js';

export const EXPLANATION_METHOD = 'occlusion';

export interface Explanation {
  method: string;
  top_features: Array<{ feature: string; importance: number }>;
}

/** What explain needs of a row's answer: a classification or a regression value. */
type Answer = Classification | { prediction: number };

const baselineCache = new WeakMap<ModelVersion, Float32Array>();

/** Each feature's baseline: model.json's `baseline`, else a value inside its range. */
export function baselinesOf(version: ModelVersion): Float32Array {
  let baselines = baselineCache.get(version);
  if (!baselines) {
    baselines = new Float32Array(version.config!.features.map(warmUpValue));
    baselineCache.set(version, baselines);
  }
  return baselines;
}

/** The score an answer is explained by, read from row `row` of an output. */
function scoreOf(version: ModelVersion, answer: Answer, output: FloatOutput, row: number): number {
  const width = version.outputWidth;
  const spec = version.classifier;
  if (!spec) return output.data[row * width]!;
  const label = spec.labels.indexOf((answer as Classification).prediction);
  if (width === 1) {
    const p = output.data[row]!;
    return label === spec.positiveIndex ? p : Math.fround(1 - p);
  }
  return output.data[row * width + label]!;
}

/** The occluded copies of every row: row r, feature i at index r * n + i holds the baseline in column i. */
function occlude(version: ModelVersion, rows: readonly Features[]): Float32Array {
  const n = version.featureNames.length;
  const packed = packRows(rows, version.featureNames);
  const baselines = baselinesOf(version);
  const out = new Float32Array(rows.length * n * n);
  for (let r = 0; r < rows.length; r++) {
    const source = packed.subarray(r * n, (r + 1) * n);
    for (let i = 0; i < n; i++) {
      const at = (r * n + i) * n;
      out.set(source, at);
      out[at + i] = baselines[i]!;
    }
  }
  return out;
}

/** Explains each row's answer; `topK` features, largest importance first (ties in feature order). */
export async function explainRows(
  version: ModelVersion,
  rows: readonly Features[],
  answers: readonly Answer[],
  topK: number,
): Promise<Explanation[]> {
  const n = version.featureNames.length;
  const input = occlude(version, rows);
  const total = rows.length * n;
  const scores = new Float64Array(total);
  const batchable = version.batchable;
  const chunk = batchable ? version.maxBatchSize : total;
  for (let start = 0; start < total; start += chunk) {
    const count = Math.min(chunk, total - start);
    const feed = { datatype: 'FP32', dims: [count, n], data: input.subarray(start * n, (start + count) * n) };
    const outputs = await version.runner!.run([feed], batchable ? count : AS_SENT);
    const output = outputs[version.outputIndex] as FloatOutput;
    for (let j = 0; j < count; j++) {
      const answer = answers[Math.floor((start + j) / n)]!;
      scores[start + j] = scoreOf(version, answer, output, j);
    }
  }
  return answers.map((answer, r) => {
    // The answer holds the shortest decimal of a float32 (float32-decimal.ts): back to the model's exact value.
    const original = Math.fround('probability' in answer ? answer.probability : answer.prediction);
    const ranked = version.featureNames.map((feature, i) => ({
      feature,
      importance: Math.abs(original - scores[r * n + i]!),
    }));
    // Array.prototype.sort is stable: equal importances keep the model's feature order.
    ranked.sort((a, b) => b.importance - a.importance);
    return { method: EXPLANATION_METHOD, top_features: ranked.slice(0, topK) };
  });
}
