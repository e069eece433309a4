/**
 * Trains the iris model: multinomial (softmax) logistic regression by full-batch gradient descent
 * on the real Iris data (Fisher 1936, via UCI), shipped as scripts/data/iris.csv.
 *
 *   npx tsx scripts/train-iris.ts
 *
 * Writes models/iris/{model.json,metrics.json} and models/iris/1/model.onnx.
 * The graph standardises the input (Sub/Div) and then uses the ONNX-ML operator
 * ai.onnx.ml.LinearClassifier (post_transform SOFTMAX), which yields "label" (int64 [batch])
 * and "probabilities" (float32 [batch, 3]).
 */
import { readFileSync } from 'node:fs';
import { attr, DType, writeModel } from './lib/onnx-writer.js';
import { Rng, stratifiedSplit } from './lib/random.js';
import { accuracy, confusionMatrix, mean, median, round, std } from './lib/metrics.js';
import { assertClose, check, openSession, repoPath, sha256, writeJson } from './lib/common.js';

export const SEED = 150;
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
const LABELS = ['setosa', 'versicolor', 'virginica'] as const;
const NF = FEATURES.length;
const K = LABELS.length;
const EPOCHS = 2000;
const LR = 0.5;
const L2 = 1e-3;

interface SoftmaxModel {
  mu: number[];
  sd: number[];
  W: number[][]; // [K][NF], standardised space
  b: number[]; // [K]
}

function loadIris(): { X: number[][]; y: number[] } {
  const lines = readFileSync(repoPath('scripts', 'data', 'iris.csv'), 'utf8').trim().split('\n');
  const header = lines.shift()!.split(',');
  check(header.join(',') === [...FEATURES, 'species'].join(','), `iris.csv header ${header}`);
  const X: number[][] = [];
  const y: number[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    X.push(cells.slice(0, NF).map(Number));
    const label = LABELS.indexOf(cells[NF] as (typeof LABELS)[number]);
    check(label >= 0, `unknown species ${cells[NF]}`);
    y.push(label);
  }
  check(X.length === 150 && X.every((r) => r.every(Number.isFinite)), 'iris.csv has 150 numeric rows');
  return { X, y };
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function predictProba(m: SoftmaxModel, x: readonly number[]): number[] {
  const z = x.map((v, j) => (v - m.mu[j]!) / m.sd[j]!);
  return softmax(m.W.map((w, k) => m.b[k]! + w.reduce((s, wj, j) => s + wj * z[j]!, 0)));
}

const argmax = (p: readonly number[]) => p.reduce((best, v, i) => (v > p[best]! ? i : best), 0);

function train(X: number[][], y: number[]): { model: SoftmaxModel; history: number[] } {
  const mu = FEATURES.map((_, j) => mean(X.map((x) => x[j]!)));
  const sd = FEATURES.map((_, j) => std(X.map((x) => x[j]!)));
  const Z = X.map((x) => x.map((v, j) => (v - mu[j]!) / sd[j]!));
  const W = Array.from({ length: K }, () => new Array<number>(NF).fill(0));
  const b = new Array<number>(K).fill(0);
  const n = X.length;
  const history: number[] = [];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const gW = Array.from({ length: K }, () => new Array<number>(NF).fill(0));
    const gb = new Array<number>(K).fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const p = softmax(W.map((w, k) => b[k]! + w.reduce((s, wj, j) => s + wj * Z[i]![j]!, 0)));
      loss -= Math.log(Math.max(p[y[i]!]!, 1e-15));
      for (let k = 0; k < K; k++) {
        const err = p[k]! - (y[i] === k ? 1 : 0);
        for (let j = 0; j < NF; j++) gW[k]![j]! += err * Z[i]![j]!;
        gb[k]! += err;
      }
    }
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < NF; j++) W[k]![j]! -= LR * (gW[k]![j]! / n + L2 * W[k]![j]!);
      b[k]! -= LR * (gb[k]! / n);
    }
    if (epoch % (EPOCHS / 10) === 0 || epoch === EPOCHS - 1) history.push(loss / n);
  }
  return { model: { mu, sd, W, b }, history };
}

function asStored(m: SoftmaxModel): SoftmaxModel {
  const f = (a: number[]) => a.map((v) => Math.fround(v));
  return { mu: f(m.mu), sd: f(m.sd), W: m.W.map(f), b: f(m.b) };
}

function writeOnnx(path: string, m: SoftmaxModel): Uint8Array {
  return writeModel(path, {
    graphName: 'iris_v1',
    docString: 'iris v1: standardisation + ai.onnx.ml.LinearClassifier (softmax), labels [setosa, versicolor, virginica]',
    nodes: [
      { opType: 'Sub', inputs: ['features', 'mean'], outputs: ['x_centered'], name: 'standardize_center' },
      { opType: 'Div', inputs: ['x_centered', 'scale'], outputs: ['x_std'], name: 'standardize_scale' },
      {
        opType: 'LinearClassifier',
        domain: 'ai.onnx.ml',
        inputs: ['x_std'],
        outputs: ['label', 'probabilities'],
        name: 'linear_classifier',
        attributes: {
          classlabels_ints: attr.ints([0, 1, 2]),
          coefficients: attr.floats(m.W.flat()), // row-major [class][feature]
          intercepts: attr.floats(m.b),
          multi_class: attr.int(0),
          post_transform: attr.string('SOFTMAX'),
        },
      },
    ],
    initializers: [
      { name: 'mean', dims: [NF], values: m.mu },
      { name: 'scale', dims: [NF], values: m.sd },
    ],
    inputs: [{ name: 'features', elemType: DType.FLOAT, shape: ['batch', NF] }],
    outputs: [
      { name: 'label', elemType: DType.INT64, shape: ['batch'] },
      { name: 'probabilities', elemType: DType.FLOAT, shape: ['batch', K] },
    ],
  });
}

async function main(): Promise<void> {
  const { X, y } = loadIris();
  const split = stratifiedSplit(y, 0.2, SEED);
  const Xtr = split.train.map((i) => X[i]!);
  const ytr = split.train.map((i) => y[i]!);
  const Xte = split.test.map((i) => X[i]!);
  const yte = split.test.map((i) => y[i]!);
  console.log(`iris: 150 rows, stratified split (seed ${SEED}): ${Xtr.length} train / ${Xte.length} test`);

  const { model, history } = train(Xtr, ytr);
  const m = asStored(model);
  const path = repoPath('models', 'iris', '1', 'model.onnx');
  writeOnnx(path, m);
  console.log(`  loss history ${history.map((h) => h.toFixed(4)).join(' ')}`);

  const evalSet = (Xs: number[][], ys: number[]) => {
    const P = Xs.map((x) => predictProba(m, x));
    const pred = P.map(argmax);
    // multiclass log-loss = mean -log p(true class)
    const ll = mean(ys.map((c, i) => -Math.log(Math.max(P[i]![c]!, 1e-15))));
    return { accuracy: round(accuracy(ys, pred)), log_loss: round(ll), confusion_matrix: confusionMatrix(ys, pred, K) };
  };
  const trainEval = evalSet(Xtr, ytr);
  const testEval = evalSet(Xte, yte);
  console.log(`  train accuracy ${trainEval.accuracy}, test accuracy ${testEval.accuracy}, test log-loss ${testEval.log_loss}`);
  console.log(`  test confusion matrix (rows = true, cols = predicted, order ${LABELS.join('/')}): ${JSON.stringify(testEval.confusion_matrix)}`);

  // 5-fold stratified cross-validation on all 150 rows (same recipe), as a less noisy estimate than 30 test rows
  const CV_FOLDS = 5;
  const fold = new Array<number>(y.length);
  const cvRng = new Rng(SEED + 1);
  for (let c = 0; c < K; c++) {
    cvRng.shuffle(y.flatMap((l, i) => (l === c ? [i] : []))).forEach((i, pos) => (fold[i] = pos % CV_FOLDS));
  }
  let cvCorrect = 0;
  for (let f = 0; f < CV_FOLDS; f++) {
    const tr = y.flatMap((_, i) => (fold[i] !== f ? [i] : []));
    const te = y.flatMap((_, i) => (fold[i] === f ? [i] : []));
    const mf = asStored(train(tr.map((i) => X[i]!), tr.map((i) => y[i]!)).model);
    cvCorrect += te.filter((i) => argmax(predictProba(mf, X[i]!)) === y[i]).length;
  }
  const cvAccuracy = round(cvCorrect / y.length);
  console.log(`  ${CV_FOLDS}-fold stratified CV accuracy ${cvAccuracy} (${cvCorrect}/${y.length})`);

  const featureDescriptions = ['Sepal length (cm)', 'Sepal width (cm)', 'Petal length (cm)', 'Petal width (cm)'];
  writeJson(repoPath('models', 'iris', 'model.json'), {
    description: 'Iris species classifier (Fisher 1936 / UCI): softmax logistic regression as an ONNX-ML LinearClassifier.',
    task: 'classification',
    input: 'features',
    outputs: { probabilities: 'probabilities' },
    features: FEATURES.map((name, j) => ({
      name,
      type: 'number',
      description: featureDescriptions[j],
      exclusiveMinimum: 0,
      exclusiveMaximum: 100,
      baseline: median(Xtr.map((x) => x[j]!)),
    })),
    labels: [...LABELS],
    confidence: { high: 0.8, medium: 0.6 },
    batching: { max_batch_size: 1024, max_delay_ms: 1 },
  });
  writeJson(repoPath('models', 'iris', 'metrics.json'), {
    model: 'iris',
    dataset: {
      source: 'Iris flower data set (R. A. Fisher, 1936), UCI Machine Learning Repository; scripts/data/iris.csv',
      rows: 150,
      train_rows: Xtr.length,
      test_rows: Xte.length,
      split: `stratified, 20% of each class held out, seed ${SEED}`,
    },
    versions: {
      '1': {
        method: `multinomial logistic regression on standardised features, full-batch gradient descent (lr ${LR}, L2 ${L2}, ${EPOCHS} epochs)`,
        train: { accuracy: trainEval.accuracy, log_loss: trainEval.log_loss },
        test: testEval,
        confusion_matrix_axes: { rows: 'true label', columns: 'predicted label', order: [...LABELS] },
        cross_validation: { folds: CV_FOLDS, seed: SEED + 1, accuracy: cvAccuracy, misclassified: y.length - cvCorrect },
      },
    },
  });

  // Verification with onnxruntime-node ------------------------------------------------
  console.log('verification:');
  const { run } = await openSession(path, 'iris v1');
  const rows = [...Xte, ...Xtr, [0.001, 0.001, 0.001, 0.001], [99.99, 99.99, 99.99, 99.99]];
  const out = await run(rows);
  const probs = out.probabilities!;
  const labels = out.label!;
  check(probs.dims.join(',') === `${rows.length},${K}`, `probabilities dims ${probs.dims}`);
  check(labels.dims.join(',') === `${rows.length}`, `label dims ${labels.dims}`);
  check(labels.type === 'int64' && probs.type === 'float32', `output types ${labels.type}/${probs.type}`);
  check(probs.data.every(Number.isFinite), 'probabilities finite');
  const want = rows.flatMap((x) => predictProba(m, x));
  const worst = assertClose('iris probabilities', probs.data, want, 1e-5);
  const wantLabels = rows.map((x) => argmax(predictProba(m, x)));
  check(labels.data.every((l, i) => l === wantLabels[i]), 'ORT labels == argmax of TypeScript probabilities');
  for (let i = 0; i < rows.length; i++) {
    const s = probs.data.slice(i * K, i * K + K).reduce((a, b) => a + b, 0);
    check(Math.abs(s - 1) < 1e-5, `row ${i} probabilities sum to 1 (${s})`);
  }
  console.log(`    ${rows.length} rows, max |ORT - TS| = ${worst.toExponential(2)}, labels identical; first rows:`);
  for (let i = 0; i < 3; i++) {
    console.log(`      ${JSON.stringify(rows[i])} -> label ${labels.data[i]} probabilities [${probs.data.slice(i * K, i * K + K).map((v) => v.toFixed(6)).join(', ')}]`);
  }
  console.log(`    sha256 ${sha256(path)}`);
}

if (process.argv[1]?.endsWith('train-iris.ts')) await main();
export { main };
