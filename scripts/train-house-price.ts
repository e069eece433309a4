/**
 * Trains the house-price regression model: a small MLP (4 -> 16 -> 1, ReLU) trained with Adam
 * on synthetic houses, standardised inputs and standardised target; the input standardisation
 * and the de-standardisation of the output are part of the ONNX graph.
 *
 *   npx tsx scripts/train-house-price.ts
 *
 * Writes models/house-price/{model.json,metrics.json} and models/house-price/1/model.onnx.
 */
import { DType, writeModel } from './lib/onnx-writer.js';
import { Rng, trainTestSplit } from './lib/random.js';
import { mae, mean, median, r2, rmse, round, std } from './lib/metrics.js';
import { assertClose, check, openSession, repoPath, sha256, writeJson } from './lib/common.js';

export const SEED = 7_000_003;
const N = 10_000;
const TEST_FRACTION = 0.2;
const FEATURES = ['area_sqm', 'bedrooms', 'age_years', 'distance_to_center_km'] as const;
const NF = FEATURES.length;
const HIDDEN = 16;
const EPOCHS = 300;
const BATCH = 64;
const LR = 3e-3;
const LR_FINAL = 3e-4;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round1 = (x: number) => Math.round(x * 10) / 10;

// ---------------------------------------------------------------------------
// Synthetic data (ground truth documented in models/house-price/README.md)
// ---------------------------------------------------------------------------
/** Noise-free price in thousands. */
export function truePrice(area: number, bedrooms: number, age: number, distance: number): number {
  const size = 5.0 * area ** 0.95; // ~ 5k per m2 for a small flat, slightly concave
  const rooms = 1 + 0.04 * Math.min(bedrooms, 5) - 0.03 * Math.max(bedrooms - 5, 0); // too many rooms for the area hurts
  const ageFactor = 1 - 0.3 * (1 - Math.exp(-age / 40)) + 0.25 / (1 + Math.exp(-(age - 110) / 10)); // depreciation, then "historic" premium
  const location = 0.35 + 0.65 * Math.exp(-distance / 15); // city-centre premium decaying with distance
  return size * rooms * ageFactor * location;
}

function generateHouses(n: number, seed: number): { X: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const area = clamp(round1(Math.exp(rng.normal(Math.log(95), 0.5))), 20, 1000);
    const bedrooms = clamp(Math.round(area / 30 + rng.normal(0, 0.8)), 0, 20);
    const u = rng.uniform();
    const age = Math.round(u < 0.7 ? rng.range(0, 60) : u < 0.95 ? rng.range(60, 120) : rng.range(120, 200));
    const distance = clamp(round1(-Math.log(1 - rng.uniform()) * 12), 0, 100);
    const price = truePrice(area, bedrooms, age, distance) * Math.exp(rng.normal(0, 0.12)); // ~12% multiplicative noise
    X.push([area, bedrooms, age, distance]);
    y.push(Math.round(price * 10) / 10);
  }
  return { X, y };
}

// ---------------------------------------------------------------------------
// MLP
// ---------------------------------------------------------------------------
interface Mlp {
  mu: number[];
  sd: number[];
  W1: number[][]; // [NF][HIDDEN]
  b1: number[]; // [HIDDEN]
  W2: number[]; // [HIDDEN]
  b2: number;
  yMean: number;
  ySd: number;
}

function forward(m: Mlp, x: readonly number[]): number {
  const z = x.map((v, j) => (v - m.mu[j]!) / m.sd[j]!);
  let out = m.b2;
  for (let h = 0; h < HIDDEN; h++) {
    let a = m.b1[h]!;
    for (let j = 0; j < NF; j++) a += z[j]! * m.W1[j]![h]!;
    if (a > 0) out += a * m.W2[h]!;
  }
  // prices are never negative: the graph floors the output at 0 (matters only far outside the data)
  return Math.max(out * m.ySd + m.yMean, 0);
}

function asStored(m: Mlp): Mlp {
  const f = (a: number[]) => a.map((v) => Math.fround(v));
  return {
    mu: f(m.mu), sd: f(m.sd), W1: m.W1.map(f), b1: f(m.b1), W2: f(m.W2),
    b2: Math.fround(m.b2), yMean: Math.fround(m.yMean), ySd: Math.fround(m.ySd),
  };
}

/** Mini-batch Adam on the mean squared error in standardised target units. */
function train(X: number[][], y: number[], seed: number): { model: Mlp; history: number[] } {
  const rng = new Rng(seed);
  const mu = FEATURES.map((_, j) => mean(X.map((x) => x[j]!)));
  const sd = FEATURES.map((_, j) => std(X.map((x) => x[j]!)));
  const yMean = mean(y);
  const ySd = std(y);
  const Z = X.map((x) => x.map((v, j) => (v - mu[j]!) / sd[j]!));
  const T = y.map((v) => (v - yMean) / ySd);

  // parameters flattened: W1 (NF*HIDDEN, index j*HIDDEN+h), b1 (HIDDEN), W2 (HIDDEN), b2 (1)
  const P = NF * HIDDEN + HIDDEN + HIDDEN + 1;
  const oB1 = NF * HIDDEN;
  const oW2 = oB1 + HIDDEN;
  const oB2 = oW2 + HIDDEN;
  const theta = new Float64Array(P);
  for (let i = 0; i < oB1; i++) theta[i] = rng.normal(0, Math.sqrt(2 / NF)); // He init
  for (let h = 0; h < HIDDEN; h++) theta[oB1 + h] = 0.01;
  for (let h = 0; h < HIDDEN; h++) theta[oW2 + h] = rng.normal(0, Math.sqrt(1 / HIDDEN));
  const mAdam = new Float64Array(P);
  const vAdam = new Float64Array(P);
  const grad = new Float64Array(P);
  const hidden = new Float64Array(HIDDEN);
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  let step = 0;
  const order = Array.from({ length: X.length }, (_, i) => i);
  const history: number[] = [];

  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const lr = LR * (LR_FINAL / LR) ** (epoch / (EPOCHS - 1)); // exponential decay
    rng.shuffle(order);
    let sse = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      const end = Math.min(order.length, start + BATCH);
      grad.fill(0);
      for (let k = start; k < end; k++) {
        const i = order[k]!;
        const z = Z[i]!;
        let out = theta[oB2]!;
        for (let h = 0; h < HIDDEN; h++) {
          let a = theta[oB1 + h]!;
          for (let j = 0; j < NF; j++) a += z[j]! * theta[j * HIDDEN + h]!;
          hidden[h] = a > 0 ? a : 0;
          out += hidden[h]! * theta[oW2 + h]!;
        }
        const err = out - T[i]!;
        sse += err * err;
        const g = (2 * err) / (end - start);
        grad[oB2]! += g;
        for (let h = 0; h < HIDDEN; h++) {
          grad[oW2 + h]! += g * hidden[h]!;
          if (hidden[h]! > 0) {
            const gh = g * theta[oW2 + h]!;
            grad[oB1 + h]! += gh;
            for (let j = 0; j < NF; j++) grad[j * HIDDEN + h]! += gh * z[j]!;
          }
        }
      }
      step++;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let p = 0; p < P; p++) {
        mAdam[p] = beta1 * mAdam[p]! + (1 - beta1) * grad[p]!;
        vAdam[p] = beta2 * vAdam[p]! + (1 - beta2) * grad[p]! * grad[p]!;
        theta[p]! -= (lr * (mAdam[p]! / c1)) / (Math.sqrt(vAdam[p]! / c2) + eps);
      }
    }
    if (epoch % (EPOCHS / 10) === 0 || epoch === EPOCHS - 1) history.push(sse / X.length);
  }
  const W1 = Array.from({ length: NF }, (_, j) => Array.from(theta.subarray(j * HIDDEN, (j + 1) * HIDDEN)));
  return {
    model: {
      mu, sd, W1,
      b1: Array.from(theta.subarray(oB1, oB1 + HIDDEN)),
      W2: Array.from(theta.subarray(oW2, oW2 + HIDDEN)),
      b2: theta[oB2]!,
      yMean, ySd,
    },
    history,
  };
}

function writeOnnx(path: string, m: Mlp): Uint8Array {
  return writeModel(path, {
    graphName: 'house_price_v1',
    docString: 'house-price v1: standardisation + MLP 4-16-1 (ReLU) + de-standardisation, floored at 0; price in thousands',
    nodes: [
      { opType: 'Sub', inputs: ['features', 'x_mean'], outputs: ['x_centered'], name: 'standardize_center' },
      { opType: 'Div', inputs: ['x_centered', 'x_scale'], outputs: ['x_std'], name: 'standardize_scale' },
      { opType: 'Gemm', inputs: ['x_std', 'W1', 'b1'], outputs: ['hidden_pre'], name: 'dense1' },
      { opType: 'Relu', inputs: ['hidden_pre'], outputs: ['hidden'], name: 'relu1' },
      { opType: 'Gemm', inputs: ['hidden', 'W2', 'b2'], outputs: ['y_std'], name: 'dense2' },
      { opType: 'Mul', inputs: ['y_std', 'y_scale'], outputs: ['y_scaled'], name: 'destandardize_scale' },
      { opType: 'Add', inputs: ['y_scaled', 'y_mean'], outputs: ['y_raw'], name: 'destandardize_shift' },
      { opType: 'Max', inputs: ['y_raw', 'zero'], outputs: ['prediction'], name: 'floor_at_zero' },
    ],
    initializers: [
      { name: 'x_mean', dims: [NF], values: m.mu },
      { name: 'x_scale', dims: [NF], values: m.sd },
      { name: 'W1', dims: [NF, HIDDEN], values: m.W1.flat() },
      { name: 'b1', dims: [HIDDEN], values: m.b1 },
      { name: 'W2', dims: [HIDDEN, 1], values: m.W2 },
      { name: 'b2', dims: [1], values: [m.b2] },
      { name: 'y_scale', dims: [1], values: [m.ySd] },
      { name: 'y_mean', dims: [1], values: [m.yMean] },
      { name: 'zero', dims: [], values: [0] },
    ],
    inputs: [{ name: 'features', elemType: DType.FLOAT, shape: ['batch', NF] }],
    outputs: [{ name: 'prediction', elemType: DType.FLOAT, shape: ['batch', 1] }],
  });
}

async function main(): Promise<void> {
  const { X, y } = generateHouses(N, SEED);
  const split = trainTestSplit(N, TEST_FRACTION, SEED + 1);
  const Xtr = split.train.map((i) => X[i]!);
  const ytr = split.train.map((i) => y[i]!);
  const Xte = split.test.map((i) => X[i]!);
  const yte = split.test.map((i) => y[i]!);
  console.log(`house-price: ${N} houses (seed ${SEED}), ${Xtr.length} train / ${Xte.length} test; price (k) mean ${mean(y).toFixed(1)}, median ${median(y).toFixed(1)}, sd ${std(y).toFixed(1)}`);

  const { model, history } = train(Xtr, ytr, SEED + 2);
  const m = asStored(model);
  const path = repoPath('models', 'house-price', '1', 'model.onnx');
  writeOnnx(path, m);
  console.log(`  train MSE (standardised) history ${history.map((h) => h.toFixed(4)).join(' ')}`);

  const scores = (Xs: number[][], ys: number[]) => {
    const pred = Xs.map((x) => forward(m, x));
    return { rmse: round(rmse(ys, pred), 3), mae: round(mae(ys, pred), 3), r2: round(r2(ys, pred)) };
  };
  const trainScores = scores(Xtr, ytr);
  const testScores = scores(Xte, yte);
  const trainMean = mean(ytr);
  const baselineRmse = round(rmse(yte, yte.map(() => trainMean)), 3);
  const baselineMae = round(mae(yte, yte.map(() => trainMean)), 3);
  // noise floor: the noise-free ground truth itself as a predictor
  const oracle = Xte.map((x) => truePrice(x[0]!, x[1]!, x[2]!, x[3]!));
  const oracleScores = { rmse: round(rmse(yte, oracle), 3), mae: round(mae(yte, oracle), 3), r2: round(r2(yte, oracle)) };
  console.log(`  train ${JSON.stringify(trainScores)}`);
  console.log(`  test  ${JSON.stringify(testScores)}; predict-the-mean baseline RMSE ${baselineRmse}; noise-free ground truth ${JSON.stringify(oracleScores)}`);

  const defs = [
    { name: 'area_sqm', type: 'number', description: 'Living area in square metres', minimum: 20, maximum: 1000 },
    { name: 'bedrooms', type: 'integer', description: 'Number of bedrooms', minimum: 0, maximum: 20 },
    { name: 'age_years', type: 'number', description: 'Age of the building in years', minimum: 0, maximum: 200 },
    { name: 'distance_to_center_km', type: 'number', description: 'Distance to the city centre in km', minimum: 0, maximum: 100 },
  ];
  writeJson(repoPath('models', 'house-price', 'model.json'), {
    description: 'House price regression (synthetic data): MLP 4-16-1 predicting the price in thousands.',
    task: 'regression',
    input: 'features',
    outputs: { prediction: 'prediction' },
    features: defs.map((d, j) => ({ ...d, baseline: median(Xtr.map((x) => x[j]!)) })),
    batching: { max_batch_size: 1024, max_delay_ms: 1 },
  });
  writeJson(repoPath('models', 'house-price', 'metrics.json'), {
    model: 'house-price',
    dataset: {
      source: `synthetic, generated by scripts/train-house-price.ts with seed ${SEED}`,
      rows: N,
      train_rows: Xtr.length,
      test_rows: Xte.length,
      split_seed: SEED + 1,
      target: 'price in thousands',
      target_mean: round(mean(y), 3),
      target_sd: round(std(y), 3),
    },
    versions: {
      '1': {
        method: `MLP ${NF}-${HIDDEN}-1 (ReLU), Adam (lr ${LR} decaying to ${LR_FINAL}, batch ${BATCH}, ${EPOCHS} epochs, init seed ${SEED + 2}), MSE on standardised inputs and target`,
        train: trainScores,
        test: testScores,
        test_baseline_predict_train_mean: { rmse: baselineRmse, mae: baselineMae, r2: round(r2(yte, yte.map(() => trainMean))) },
        test_noise_free_ground_truth: oracleScores,
      },
    },
  });

  // Verification with onnxruntime-node ------------------------------------------------
  console.log('verification:');
  const { run } = await openSession(path, 'house-price v1');
  const extremes = [
    [20, 0, 0, 0],
    [1000, 20, 200, 100],
    [20, 20, 200, 100],
    [1000, 0, 0, 0],
    [60, 2, 30, 5],
  ];
  const rows = [...Xte, ...extremes];
  const out = (await run(rows)).prediction!;
  check(out.dims.join(',') === `${rows.length},1`, `prediction dims ${out.dims}`);
  check(out.type === 'float32' && out.data.every(Number.isFinite), 'prediction float32 and finite');
  const worst = assertClose('house-price prediction', out.data, rows.map((x) => forward(m, x)), 1e-5);
  console.log(`    ${rows.length} rows, max relative |ORT - TS| = ${worst.toExponential(2)}; sample rows:`);
  for (let i = 0; i < 3; i++) console.log(`      ${JSON.stringify(rows[i])} -> ${out.data[i]!.toFixed(3)} (actual ${yte[i]})`);
  for (let i = 0; i < extremes.length; i++) console.log(`      ${JSON.stringify(extremes[i])} -> ${out.data[Xte.length + i]!.toFixed(3)} (noise-free truth ${truePrice(...(extremes[i] as [number, number, number, number])).toFixed(3)})`);
  console.log(`    sha256 ${sha256(path)}`);
}

if (process.argv[1]?.endsWith('train-house-price.ts')) await main();
export { main };
