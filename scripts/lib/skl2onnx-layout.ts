/**
 * The graph skl2onnx writes for
 *   Pipeline([('columns', ColumnTransformer([('cat', OneHotEncoder(handle_unknown='error'), <string columns>),
 *                                            ('num', StandardScaler(), <number columns>)])),
 *             ('classifier', LogisticRegression())])
 * converted with one initial type per column (StringTensorType([None, 1]) / FloatTensorType([None, 1])),
 * and the same forward pass in TypeScript, on the float32 parameters the file holds.
 *
 * Read from skl2onnx's own converters (onnx/sklearn-onnx):
 * - _parse.py: ColumnTransformer feeds OneHotEncoder every string column unmerged (it is in
 *   do_not_merge_columns), concatenates the number columns ('merged_columns') before StandardScaler,
 *   and joins the transformers' outputs ('transformed_column'); a classifier's outputs go through a
 *   ZipMap whose outputs are `output_label` and `output_probability` (sequence of maps).
 * - operator_converters/one_hot_encoder.py: one ai.onnx.ml OneHotEncoder per [N, 1] column
 *   (no Gather), `zeros = 0` for handle_unknown='error', `cats_strings`; Concat(axis=-1) then
 *   Reshape to [-1, total categories] (the encoder answers [N, 1, C]).
 * - operator_converters/scaler_op.py: ai.onnx.ml Scaler with offset = mean_, scale = 1 / scale_.
 * - operator_converters/linear_classifier.py: ai.onnx.ml LinearClassifier; binary:
 *   coefficients [-w, w], intercepts [-b, b], multi_class 0, post_transform LOGISTIC;
 *   multinomial: multi_class 1, SOFTMAX, then Normalizer(norm='L1').
 * - operator_converters/zip_map.py: string labels reach output_label through an Identity that
 *   skl2onnx's remove_identity pass folds away, so LinearClassifier writes output_label itself.
 * - onnx.helper.make_node sorts attributes by name; node names are the op type plus a counter.
 * Opsets: skl2onnx 1.16's default target (19) gives ai.onnx 19 (Reshape/Identity 19, Concat 13),
 * ai.onnx.ml 1 (all five ML ops exist only in version 1), IR version 9.
 */
import { attr, sequenceOfMapsType, TensorType, type ModelSpec, type NodeSpec } from './onnx-writer.js';

export interface CategoricalColumn {
  name: string;
  /** In sklearn's order (sorted), as OneHotEncoder.categories_ holds them. */
  categories: readonly string[];
}

export interface NumericColumn {
  name: string;
  mean: number;
  /** The standard deviation (StandardScaler.scale_); the graph stores its reciprocal. */
  scale: number;
}

export interface LogisticPipeline {
  graphName: string;
  docString?: string;
  /** Graph input order (the DataFrame's column order). */
  inputOrder: readonly string[];
  categorical: readonly CategoricalColumn[];
  numeric: readonly NumericColumn[];
  /** Class labels, sorted as sklearn's classes_. */
  classes: readonly string[];
  /** Binary: one row (coef_[0]); multinomial: one row per class. Columns: one-hot block, then numbers. */
  coef: readonly (readonly number[])[];
  intercept: readonly number[];
}

const f32 = (values: readonly number[]) => values.map((v) => Math.fround(v));

/** The skl2onnx-shaped ModelSpec of a fitted one-hot + scaler + logistic-regression pipeline. */
export function logisticPipelineSpec(p: LogisticPipeline): ModelSpec {
  const binary = p.classes.length === 2;
  const nCats = p.categorical.reduce((s, c) => s + c.categories.length, 0);
  const nodes: NodeSpec[] = p.categorical.map((c, i) => ({
    opType: 'OneHotEncoder',
    domain: 'ai.onnx.ml',
    name: i === 0 ? 'OneHotEncoder' : `OneHotEncoder${i}`,
    inputs: [c.name],
    outputs: [`${c.name}out`],
    attributes: { cats_strings: attr.strings(c.categories), zeros: attr.int(0) },
  }));
  nodes.push(
    { opType: 'Concat', name: 'Concat', inputs: p.categorical.map((c) => `${c.name}out`), outputs: ['concat_result'], attributes: { axis: attr.int(-1) } },
    { opType: 'Reshape', name: 'Reshape', inputs: ['concat_result', 'shape_tensor'], outputs: ['variable'] },
    { opType: 'Concat', name: 'Concat1', inputs: p.numeric.map((c) => c.name), outputs: ['merged_columns'], attributes: { axis: attr.int(1) } },
    {
      opType: 'Scaler',
      domain: 'ai.onnx.ml',
      name: 'Scaler',
      inputs: ['merged_columns'],
      outputs: ['variable1'],
      attributes: { offset: attr.floats(p.numeric.map((c) => c.mean)), scale: attr.floats(p.numeric.map((c) => 1 / c.scale)) },
    },
    { opType: 'Concat', name: 'Concat2', inputs: ['variable', 'variable1'], outputs: ['transformed_column'], attributes: { axis: attr.int(1) } },
  );
  const w = p.coef.flat();
  const probabilities = binary ? 'probabilities' : 'probability_tensor';
  nodes.push({
    opType: 'LinearClassifier',
    domain: 'ai.onnx.ml',
    name: 'LinearClassifier',
    inputs: ['transformed_column'],
    outputs: ['output_label', probabilities],
    attributes: {
      classlabels_strings: attr.strings(p.classes),
      coefficients: attr.floats(binary ? [...w.map((v) => -v), ...w] : w),
      intercepts: attr.floats(binary ? [-p.intercept[0]!, p.intercept[0]!] : p.intercept),
      multi_class: attr.int(binary ? 0 : 1),
      post_transform: attr.string(binary ? 'LOGISTIC' : 'SOFTMAX'),
    },
  });
  if (!binary) {
    nodes.push({ opType: 'Normalizer', domain: 'ai.onnx.ml', name: 'Normalizer', inputs: [probabilities], outputs: ['probabilities'], attributes: { norm: attr.string('L1') } });
  }
  nodes.push({
    opType: 'ZipMap',
    domain: 'ai.onnx.ml',
    name: 'ZipMap',
    inputs: ['probabilities'],
    outputs: ['output_probability'],
    attributes: { classlabels_strings: attr.strings(p.classes) },
  });
  const isCategorical = new Set(p.categorical.map((c) => c.name));
  return {
    graphName: p.graphName,
    docString: p.docString,
    opsets: { '': 19, 'ai.onnx.ml': 1 },
    irVersion: 9,
    nodes,
    initializers: [{ name: 'shape_tensor', dims: [2], elemType: TensorType.INT64, values: [-1, nCats] }],
    inputs: p.inputOrder.map((name) => ({ name, elemType: isCategorical.has(name) ? TensorType.STRING : TensorType.FLOAT, shape: [null, 1] })),
    outputs: [
      { name: 'output_label', elemType: TensorType.STRING, shape: [null] },
      { name: 'output_probability', type: sequenceOfMapsType(TensorType.STRING, TensorType.FLOAT) },
    ],
  };
}

/** One row: a string per categorical column, a number per numeric column, by name. */
export type PipelineRow = Readonly<Record<string, string | number>>;

/** The features the classifier sees (one-hot block, then standardised numbers), in float64. */
export function transformRow(p: LogisticPipeline, row: PipelineRow): number[] {
  const out: number[] = [];
  for (const c of p.categorical) {
    const v = String(row[c.name]);
    const k = c.categories.indexOf(v);
    if (k < 0) throw new Error(`${c.name}: unknown category ${JSON.stringify(v)}`);
    c.categories.forEach((_, j) => out.push(j === k ? 1 : 0));
  }
  for (const c of p.numeric) {
    // ORT: float32 input, (x - offset) * scale with float32 attributes
    out.push((Math.fround(Number(row[c.name])) - Math.fround(c.mean)) * Math.fround(1 / c.scale));
  }
  return out;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Class probabilities as the graph computes them (from the float32 parameters it stores). */
export function predictProba(p: LogisticPipeline, row: PipelineRow): number[] {
  const x = transformRow(p, row);
  const score = (w: readonly number[], b: number) => f32(w).reduce((s, wj, j) => s + wj * x[j]!, Math.fround(b));
  if (p.classes.length === 2) {
    const z = score(p.coef[0]!, p.intercept[0]!);
    return [sigmoid(-z), sigmoid(z)];
  }
  const z = p.coef.map((w, k) => score(w, p.intercept[k]!));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** The label the graph answers: the class of the highest probability (the first on a tie). */
export function predictLabel(p: LogisticPipeline, row: PipelineRow): string {
  const prob = predictProba(p, row);
  return p.classes[prob.reduce((best, v, i) => (v > prob[best]! ? i : best), 0)]!;
}
