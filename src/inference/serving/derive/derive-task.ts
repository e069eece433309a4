/**
 * The task of a model whose inputs are named features (API.md §14): a
 * classifier when the graph has an ONNX-ML classifier or a ZipMap (labels and
 * probabilities output from them), a regression when it has exactly one
 * numeric output of shape [N] or [N, 1], else a tensor model; model.json's
 * `task`, `outputs`, `labels`, `positive_label`, `threshold` and `confidence`
 * override, and are checked against the graph.
 */
import { DEFAULT_CONFIDENCE, DEFAULT_THRESHOLD } from '../model-config.js';
import { ConfigConflict } from './derive-features.js';
import type { GraphRewrite } from './graph-rewrite.js';
import { classLabels } from './onnx-attributes.js';
import type { GraphInfo, GraphValue } from './onnx-graph.js';
import type { ClassificationConfig, Layout, ModelJson, Task } from './serving-config.js';

export interface TaskPlan {
  task: Task;
  classification?: ClassificationConfig;
  prediction?: string;
  regressionCandidate?: string;
}

const CLASSIFIERS = new Set(['LinearClassifier', 'TreeEnsembleClassifier', 'SVMClassifier']);
const NUMERIC = new Set(['FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64']);
const FLOATS = new Set(['FP16', 'FP32', 'FP64']);

/** The graph's own view: classifier labels and outputs, or the one numeric output. */
function derivedTask(graph: GraphInfo, rewrites: readonly GraphRewrite[]) {
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const identities = new Map(graph.nodes.filter((n) => n.opType === 'Identity' || n.opType === 'Cast').map((n) => [n.input?.[0], n] as const));
  /** The graph output a value reaches through Identity and Cast nodes. */
  const reach = (name: string | undefined): string | undefined => {
    for (let hops = 0; name !== undefined && hops < 100; hops++) {
      if (outputs.has(name)) return name;
      name = identities.get(name)?.output?.[0] ?? undefined;
    }
    return undefined;
  };
  const classifier = graph.nodes.find((n) => n.domain === 'ai.onnx.ml' && CLASSIFIERS.has(n.opType ?? ''));
  const zipMap = rewrites.find((r) => r.kind === 'zipmap-removed');
  if (classifier || zipMap) {
    const labels = zipMap?.labels ?? classLabels(classifier!, 'classlabels_int64s');
    return {
      classifier: true,
      labels: labels.length > 0 ? labels : classLabels(classifier!, 'classlabels_ints'),
      probabilities: zipMap?.output ?? reach(classifier!.output?.[1]),
      label: classifier ? reach(classifier.output?.[0]) : undefined,
    };
  }
  const numeric = graph.outputs.filter((o) => o.kind === 'tensor' && NUMERIC.has(o.datatype));
  const [only] = numeric;
  if (numeric.length !== 1 || !only) return { classifier: false };
  const s = only.shape;
  if (s[0] === -1 && (s.length === 1 || (s.length === 2 && s[1] === 1))) return { classifier: false, prediction: only.name };
  // Declared [1], [1, 1] or without a shape, it may still be [N]: the warm-up run decides (API.md §14).
  const maybe = only.unknownRank || ((s.length === 1 || s.length === 2) && s.every((d) => d === -1 || d === 1));
  return { classifier: false, regressionCandidate: maybe ? only.name : undefined };
}

/** Derives the task, with model.json's members over what the graph says. */
export function deriveTask(graph: GraphInfo, rewrites: readonly GraphRewrite[], layout: Layout, json: ModelJson): TaskPlan {
  const outputs = new Map(graph.outputs.map((o) => [o.name, o] as const));
  const names = graph.outputs.map((o) => o.name).join(', ');
  const output = (member: 'probabilities' | 'prediction'): GraphValue | undefined => {
    const name = json.outputs?.[member];
    if (name === undefined) return undefined;
    const found = outputs.get(name);
    if (!found) throw new ConfigConflict(`model.json /outputs/${member} names '${name}', which is not an output of the graph (it has: ${names})`);
    return found;
  };
  const jsonProbabilities = output('probabilities');
  const jsonPrediction = output('prediction');
  const asked = json.task ?? (json.labels || jsonProbabilities ? 'classification' : jsonPrediction ? 'regression' : undefined);
  if (layout === 'tensor') {
    if (asked) throw new ConfigConflict(`model.json /${json.task ? 'task' : json.labels ? 'labels' : 'outputs'} makes it a ${asked} model, but its inputs are neither per-column inputs nor one [N, F] input`);
    return { task: 'tensor' };
  }
  const derived = derivedTask(graph, rewrites);
  const task = asked ?? (derived.classifier ? (derived.probabilities ? 'classification' : 'tensor') : derived.prediction ? 'regression' : 'tensor');

  if (task === 'classification') {
    const probabilities = jsonProbabilities ?? outputs.get(derived.probabilities ?? '');
    if (!probabilities) throw new ConfigConflict(`model.json /task is classification, but no output of the graph is known to hold the probabilities: set /outputs/probabilities (outputs: ${names})`);
    if (!FLOATS.has(probabilities.datatype)) throw new ConfigConflict(`the probabilities output '${probabilities.name}' is ${probabilities.datatype}, not a float tensor`);
    const labels = json.labels ?? (derived.labels && derived.labels.length > 0 ? derived.labels : undefined);
    if (!labels) throw new ConfigConflict(`model.json /task is classification, but the graph names no labels: set /labels`);
    const columns = probabilities.shape.length === 2 ? probabilities.shape[1]! : -1;
    if (columns !== -1 && columns !== labels.length && !(columns === 1 && labels.length === 2)) {
      const from = json.labels ? 'model.json /labels lists' : 'the graph names';
      throw new ConfigConflict(`${from} ${labels.length} labels, but output '${probabilities.name}' has ${columns} columns`);
    }
    if (json.positive_label !== undefined && !labels.includes(json.positive_label)) {
      throw new ConfigConflict(`model.json /positive_label '${json.positive_label}' is not one of the labels (${labels.join(', ')})`);
    }
    const binary = labels.length === 2;
    if (!binary && json.threshold !== undefined) throw new ConfigConflict(`model.json /threshold only applies to a binary classifier (this one has ${labels.length} labels)`);
    const label = probabilities.name === (derived.probabilities ?? '') ? derived.label : undefined;
    return {
      task,
      classification: {
        labels,
        positiveIndex: binary ? labels.indexOf(json.positive_label ?? labels[1]!) : undefined,
        threshold: json.threshold ?? DEFAULT_THRESHOLD,
        confidence: json.confidence ?? DEFAULT_CONFIDENCE,
        probabilities: probabilities.name,
        ...(label !== undefined && { label }),
      },
    };
  }
  for (const key of ['labels', 'positive_label', 'threshold', 'confidence'] as const) {
    if (json[key] !== undefined) throw new ConfigConflict(`model.json /${key} does not apply to a ${task} model`);
  }
  if (task === 'regression') {
    const prediction = jsonPrediction?.name ?? derived.prediction ?? derived.regressionCandidate;
    if (!prediction) throw new ConfigConflict(`model.json /task is regression, but the graph has no single numeric output: set /outputs/prediction (outputs: ${names})`);
    const out = outputs.get(prediction)!;
    if (!NUMERIC.has(out.datatype)) throw new ConfigConflict(`the prediction output '${prediction}' is ${out.datatype}, not a number`);
    return { task, prediction };
  }
  return { task: 'tensor', ...(derived.regressionCandidate !== undefined && { regressionCandidate: derived.regressionCandidate }) };
}
