/**
 * Explanations (API.md §5, §14): occlusion, a model-agnostic attribution that
 * works for any model with named features, string and boolean ones included.
 * Each feature in turn is replaced by its baseline (model.json's `baseline`;
 * else the graph's mean for a number, the encoder's first category or '' for
 * a string, false for a boolean: derive-features.ts) and the importance is
 * how much the answer moves: the predicted label's probability for a
 * classifier, the prediction for a regression model. All F occluded copies
 * of a row (of every row, for a batch) go through the model in one batched
 * run (more only when they exceed the model's batch limit), so the cost is
 * bounded and the answer deterministic.
 */
import type { ModelRunner, TensorValue } from '../runtime/model-runner.js';
import { AS_SENT } from '../runtime/model-runner.js';
import { occludedFeeds, sliceFeeds } from './feature-feeds.js';
import { readOutput } from './output-answers.js';
import type { PredictPlan } from './predict-plan.js';

export const EXPLANATION_METHOD = 'occlusion';

export interface Explanation {
  method: string;
  top_features: Array<{ feature: string; importance: number }>;
}

/** How the explained rows run: the version's runner and batch limit. */
export interface ExplainRun {
  runner: ModelRunner;
  batchable: boolean;
  maxBatchSize: number;
}

/**
 * Explains each row; `feeds` are the rows as fed (encodeRows), `scores` the
 * score each answer is explained by, `labels` the predicted label's index
 * (classifier) per row. `topK` features, largest importance first (ties in
 * feature order).
 */
export async function explainRows(
  plan: PredictPlan,
  run: ExplainRun,
  feeds: readonly TensorValue[],
  scores: Float64Array,
  labels: Int32Array,
  topK: number,
): Promise<Explanation[]> {
  const n = plan.features.length;
  const rows = scores.length;
  const occluded = occludedFeeds(plan, feeds);
  const total = rows * n;
  const moved = new Float64Array(total);
  const chunk = run.batchable ? run.maxBatchSize : total;
  for (let start = 0; start < total; start += chunk) {
    const count = Math.min(chunk, total - start);
    const outputs = await run.runner.run(sliceFeeds(occluded, start, count), run.batchable ? count : AS_SENT);
    const reader = readOutput(plan, outputs, count);
    for (let j = 0; j < count; j++) moved[start + j] = reader.score(j, labels[Math.floor((start + j) / n)]!);
  }
  const explanations = new Array<Explanation>(rows);
  for (let r = 0; r < rows; r++) {
    const ranked = plan.names.map((feature, i) => ({ feature, importance: Math.abs(scores[r]! - moved[r * n + i]!) }));
    // Array.prototype.sort is stable: equal importances keep the model's feature order.
    ranked.sort((a, b) => b.importance - a.importance);
    explanations[r] = { method: EXPLANATION_METHOD, top_features: ranked.slice(0, topK) };
  }
  return explanations;
}
