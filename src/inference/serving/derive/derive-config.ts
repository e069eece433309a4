/**
 * The graph → ONE typed configuration (STYLE.md habit 12, Triton's
 * `AutoCompleteConfig`; API.md §14): tensors, layout and named features,
 * task and labels, batching, warm-up rule, with model.json's members over
 * what is derived. A member that contradicts the graph gives a `reason`
 * naming it, and the version is `failed`. The warm-up run settles the rest
 * (settle-by-warm-up.ts).
 */
import { ConfigConflict, deriveFeatures } from './derive-features.js';
import { deriveTask } from './derive-task.js';
import { rewriteForServing, type GraphRewrite } from './graph-rewrite.js';
import { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_DELAY_MS } from '../model-config.js';
import { SERVABLE_DATATYPES, decodeModel, readGraph, type GraphInfo, type ModelProto } from './onnx-graph.js';
import type { ModelJson, ServedTensor, ServingConfig, WarmUpRule } from './serving-config.js';

export type Derived = { config: ServingConfig } | { reason: string };

/**
 * Today's model.json (all four members the old schema required): it keeps
 * today's rule that a failed warm-up fails the version, unless it says
 * otherwise with `warmup`. A model.json without them is a §14 override file,
 * and its model is ready even when the warm-up run fails.
 */
function warmUpRule(json: ModelJson): WarmUpRule {
  if (json.warmup) return json.warmup;
  const complete = json.task !== undefined && json.input !== undefined && json.outputs !== undefined && json.features !== undefined;
  return complete ? 'required' : 'optional';
}

/**
 * Derives the configuration of a graph, already rewritten (graph-rewrite.ts),
 * and its model.json, already checked against its schema (checkModelConfig).
 */
export function deriveServingConfig(graph: GraphInfo, json: ModelJson = {}, rewrites: readonly GraphRewrite[] = []): Derived {
  for (const [side, values] of [['input', graph.inputs], ['output', graph.outputs]] as const) {
    for (const v of values) {
      if (v.kind !== 'tensor') return { reason: `${side} '${v.name}' is ${v.description}, not a tensor` };
      if (!SERVABLE_DATATYPES.has(v.datatype)) return { reason: `${side} '${v.name}' is ${v.datatype}, which onnxruntime-node cannot feed or fetch` };
    }
  }
  try {
    const features = deriveFeatures(graph, json);
    const task = deriveTask(graph, rewrites, features.layout, json);
    const labelsOf = new Map<string, readonly string[]>(rewrites.map((r) => [r.output, r.labels]));
    // The probabilities output shows the labels in force (model.json's when it names them).
    if (task.classification) labelsOf.set(task.classification.probabilities, task.classification.labels);
    const tensor = (v: { name: string; datatype: string; shape: number[] }): ServedTensor => {
      const labels = labelsOf.get(v.name);
      return { name: v.name, datatype: v.datatype, shape: v.shape, ...(labels && { labels }) };
    };
    const batching = {
      max_batch_size: json.batching?.max_batch_size ?? DEFAULT_MAX_BATCH_SIZE,
      max_delay_ms: json.batching?.max_delay_ms ?? DEFAULT_MAX_DELAY_MS,
    };
    const config: ServingConfig = {
      ...(json.description !== undefined && { description: json.description }),
      inputs: graph.inputs.map(tensor),
      outputs: graph.outputs.map(tensor),
      rewrites,
      ...features,
      ...task,
      batching,
      batchCandidate: batching.max_batch_size > 0 && graph.inputs.length > 0 && graph.inputs.every((i) => i.shape[0] === -1),
      warmup: warmUpRule(json),
      ...(json.runner !== undefined && { runner: json.runner }),
      ...(json.default_version !== undefined && { default_version: json.default_version }),
    };
    return { config };
  } catch (err) {
    if (err instanceof ConfigConflict) return { reason: err.message };
    throw err;
  }
}

/** What loading needs from model.onnx: the bytes ONNX Runtime is given (rewritten), and the configuration. */
export type LoadedConfig = { config: ServingConfig; bytes: Uint8Array; model: ModelProto } | { reason: string };

/** Decodes, rewrites and derives in one step: model.onnx's bytes and model.json (parsed, checked) → configuration. */
export function configFromOnnx(bytes: Uint8Array, json?: ModelJson): LoadedConfig {
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch {
    return { reason: 'model.onnx is not a valid ONNX model' };
  }
  const rewritten = rewriteForServing(bytes, model);
  if (rewritten.problems.length > 0) return { reason: rewritten.problems.join('; ') };
  const derived = deriveServingConfig(readGraph(rewritten.model), json, rewritten.rewrites);
  return 'reason' in derived ? derived : { config: derived.config, bytes: rewritten.bytes, model: rewritten.model };
}
