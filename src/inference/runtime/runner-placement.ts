/**
 * Where a model version serves (API.md §15 "A slow model never stalls the
 * others"): every version is first loaded and warmed in a child process
 * (process-runner.ts), and what that warm-up showed decides.
 *
 *   main     the event loop runs the session, as before issue 16: the
 *            fastest path for a small model (no hop), safe because the
 *            graph's cost is bounded by its input and the measured runs are short;
 *   process  the child process that warmed it keeps serving it: a slow run
 *            never holds the event loop, and a run past its deadline can be
 *            killed (a worker thread cannot be: see docs/security.md);
 *   worker   a worker thread, only when model.json asks for it (`runner`).
 *
 * model.json's `runner` ("main" | "worker") still forces the choice.
 */
import type { RunnerKind } from '../serving/model-config.js';

export type Placement = 'main' | 'worker' | 'process';

/** What the warm-up in the child process measured. */
export interface ProbeFacts {
  /** The graph's operators (graph-ops.ts); undefined when the file could not be read. */
  ops: ReadonlySet<string> | undefined;
  /** InferenceSession creation in the child, ms. */
  loadMs: number;
  /** The slowest warm-up run after the first (one row, and a full batch), ms. */
  runMs: number;
}

/**
 * The longest a main-thread load may block the event loop: a hot reload or
 * an upload of a model that serves on the main thread loads it there again.
 * The shipped models load in 2–40 ms.
 */
export const MAIN_THREAD_MAX_LOAD_MS = 250;
/** The longest one run (a full batch) may block the event loop; the shipped models: well under 5 ms. */
export const MAIN_THREAD_MAX_RUN_MS = 50;

/**
 * Operators whose cost is bounded by the size of their inputs and weights.
 * Anything else — control flow (Loop, Scan, If), operators that size their
 * output from a tensor's values (Range, Expand, Tile, ConstantOfShape, Pad,
 * Resize, OneHot, TopK…), custom domains — may run for as long as a value
 * asks, which a one-row warm-up cannot show: such a graph never serves on the main thread.
 */
const BOUNDED_OPS: ReadonlySet<string> = new Set([
  // element-wise
  'Abs', 'Acos', 'Acosh', 'Add', 'And', 'Asin', 'Asinh', 'Atan', 'Atanh', 'BitShift', 'Cast', 'CastLike', 'Ceil', 'Celu',
  'Clip', 'Cos', 'Cosh', 'Div', 'Dropout', 'Elu', 'Equal', 'Erf', 'Exp', 'Floor', 'Gelu', 'Greater', 'GreaterOrEqual',
  'HardSigmoid', 'HardSwish', 'Identity', 'IsInf', 'IsNaN', 'LeakyRelu', 'Less', 'LessOrEqual', 'Log', 'Max', 'Mean',
  'Min', 'Mish', 'Mod', 'Mul', 'Neg', 'Not', 'Or', 'PRelu', 'Pow', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Shrink',
  'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softplus', 'Softsign', 'Sqrt', 'Sub', 'Sum', 'Tan', 'Tanh', 'ThresholdedRelu',
  'Where', 'Xor',
  // linear algebra and normalisation
  'MatMul', 'Gemm', 'BatchNormalization', 'LayerNormalization', 'Softmax', 'LogSoftmax', 'Hardmax',
  // layout: the output is no larger than the inputs
  'Concat', 'Flatten', 'Gather', 'GatherElements', 'Reshape', 'Shape', 'Size', 'Slice', 'Split', 'Squeeze',
  'Transpose', 'Unsqueeze', 'Constant',
  // reductions
  'ArgMax', 'ArgMin', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMean',
  'ReduceMin', 'ReduceProd', 'ReduceSum', 'ReduceSumSquare',
  // classic ML (skl2onnx)
  'ai.onnx.ml:ArrayFeatureExtractor', 'ai.onnx.ml:Binarizer', 'ai.onnx.ml:FeatureVectorizer', 'ai.onnx.ml:Imputer',
  'ai.onnx.ml:LabelEncoder', 'ai.onnx.ml:LinearClassifier', 'ai.onnx.ml:LinearRegressor', 'ai.onnx.ml:Normalizer',
  'ai.onnx.ml:OneHotEncoder', 'ai.onnx.ml:Scaler', 'ai.onnx.ml:SVMClassifier', 'ai.onnx.ml:SVMRegressor',
  'ai.onnx.ml:TreeEnsemble', 'ai.onnx.ml:TreeEnsembleClassifier', 'ai.onnx.ml:TreeEnsembleRegressor', 'ai.onnx.ml:ZipMap',
]);

/** The operators of `ops` whose cost a value of the input may choose. */
export function unboundedOps(ops: ReadonlySet<string>): string[] {
  return [...ops].filter((op) => !BOUNDED_OPS.has(op));
}

/** Where a version serves, and why (for the log line that says where it went). */
export function placeRunner(forced: RunnerKind | undefined, facts: ProbeFacts): { placement: Placement; why: string } {
  if (forced) return { placement: forced, why: 'model.json runner' };
  if (!facts.ops) return { placement: 'process', why: 'the graph could not be read' };
  const unbounded = unboundedOps(facts.ops);
  if (unbounded.length > 0) return { placement: 'process', why: `operators whose cost an input may choose: ${unbounded.join(', ')}` };
  if (facts.loadMs > MAIN_THREAD_MAX_LOAD_MS) return { placement: 'process', why: `load took ${Math.round(facts.loadMs)} ms` };
  if (facts.runMs > MAIN_THREAD_MAX_RUN_MS) return { placement: 'process', why: `a warm-up run took ${Math.round(facts.runMs)} ms` };
  return { placement: 'main', why: 'short load and runs' };
}
