/**
 * Trains the customer-churn model: binary logistic regression over three categorical string
 * columns and four numbers, written in the layout skl2onnx gives
 * Pipeline(ColumnTransformer(OneHotEncoder(handle_unknown='error'), StandardScaler), LogisticRegression)
 * (scripts/lib/skl2onnx-layout.ts): one graph input per column, ending in a ZipMap.
 *
 *   npx tsx scripts/train-customer-churn.ts [outDir]      (default models/customer-churn)
 *
 * Writes <outDir>/1/model.onnx, <outDir>/metrics.json and <outDir>/README.md, and no model.json:
 * the service derives this model's configuration from the graph (API.md §14).
 * Deterministic: the same seed gives byte-identical files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TensorType, writeModel } from './lib/onnx-writer.js';
import { exposeValues } from './lib/onnx-expose.js';
import { logisticPipelineSpec, predictLabel, predictProba, type LogisticPipeline, type PipelineRow } from './lib/skl2onnx-layout.js';
import { Rng, trainTestSplit } from './lib/random.js';
import { accuracy, logLoss, mean, rocAuc, round, std } from './lib/metrics.js';
import { assertClose, check, loadOrt, repoPath, sha256, writeJson } from './lib/common.js';
import { churnReadme } from './customer-churn-readme.js';

export const SEED = 20240917;
const N = 10_000;
const TEST_FRACTION = 0.2;
const LABEL_NOISE = 0.02;
const EPOCHS = 1500;
const LR = 0.5;
const L2 = 1e-4;

export const PLANS = ['basic', 'premium', 'standard'] as const;
export const CONTRACTS = ['month-to-month', 'one-year', 'two-year'] as const;
export const REGIONS = ['east', 'north', 'south', 'west'] as const;
export const CLASSES = ['no', 'yes'] as const; // churned? sklearn sorts the labels; "yes" is the positive one
/** The DataFrame's columns, in graph-input order. */
export const COLUMNS = ['age', 'plan', 'contract', 'region', 'tenure_months', 'monthly_charges', 'support_calls'] as const;
const CATEGORICAL = { plan: PLANS, contract: CONTRACTS, region: REGIONS } as const;
const NUMERIC = ['age', 'tenure_months', 'monthly_charges', 'support_calls'] as const;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const pick = <T>(rng: Rng, items: readonly T[], weights: readonly number[]): T => {
  let u = rng.uniform() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < items.length; i++) if ((u -= weights[i]!) < 0) return items[i]!;
  return items.at(-1)!;
};

export interface Customer {
  row: PipelineRow;
  y: number; // 1 = churned within the quarter
  pTrue: number;
}

/** Ground-truth log-odds of churn (also in the README). */
export function trueLogit(r: { age: number; plan: string; contract: string; region: string; tenure_months: number; monthly_charges: number; support_calls: number }): number {
  const contract = { 'month-to-month': 1.1, 'one-year': -0.4, 'two-year': -1.6 }[r.contract]!;
  const plan = { basic: 0.2, standard: 0, premium: -0.3 }[r.plan]!;
  const region = { north: 0, south: 0.25, east: -0.15, west: 0.4 }[r.region]!;
  return -1.0 + contract + plan + region - 0.035 * r.tenure_months + 0.018 * (r.monthly_charges - 60) + 0.35 * r.support_calls - 0.012 * (r.age - 42);
}

/** Synthetic subscribers: contract drives tenure, plan drives the monthly charge. */
export function generateCustomers(n: number, seed: number): Customer[] {
  const rng = new Rng(seed);
  const out: Customer[] = [];
  for (let i = 0; i < n; i++) {
    const age = clamp(Math.round(rng.normal(42, 14)), 18, 90);
    const plan = pick(rng, ['basic', 'standard', 'premium'], [0.45, 0.35, 0.2]);
    const contract = pick(rng, ['month-to-month', 'one-year', 'two-year'], [0.55, 0.25, 0.2]);
    const region = pick(rng, ['north', 'south', 'east', 'west'], [0.3, 0.25, 0.25, 0.2]);
    const meanTenure = { 'month-to-month': 14, 'one-year': 30, 'two-year': 45 }[contract]!;
    const tenure_months = clamp(Math.round(-meanTenure * Math.log(1 - rng.uniform())), 0, 72);
    const base = { basic: 30, standard: 60, premium: 95 }[plan]!;
    const monthly_charges = Math.round(clamp(base + rng.normal(0, 8), 10, 200) * 100) / 100;
    const support_calls = rng.poisson(plan === 'basic' ? 1.5 : 1.0);
    const r = { age, plan, contract, region, tenure_months, monthly_charges, support_calls };
    const pTrue = sigmoid(trueLogit(r));
    let y = rng.bernoulli(pTrue) ? 1 : 0;
    if (rng.bernoulli(LABEL_NOISE)) y = 1 - y;
    out.push({ row: r, y, pTrue });
  }
  return out;
}

/** Full-batch gradient descent on the mean log-loss (+ L2) over one-hot + standardised features. */
function fit(rows: Customer[]): { pipeline: LogisticPipeline; history: number[] } {
  const numeric = NUMERIC.map((name) => {
    const x = rows.map((r) => Number(r.row[name]));
    return { name, mean: mean(x), scale: std(x) };
  });
  const categorical = Object.entries(CATEGORICAL).map(([name, categories]) => ({ name, categories: [...categories] }));
  const shell: LogisticPipeline = {
    graphName: 'customer_churn',
    inputOrder: COLUMNS,
    categorical,
    numeric,
    classes: CLASSES,
    coef: [[]],
    intercept: [0],
  };
  const nf = categorical.reduce((s, c) => s + c.categories.length, 0) + numeric.length;
  // exact (float64) features for training; the stored model is evaluated through predictProba
  const X = rows.map((r) => [
    ...categorical.flatMap((c) => c.categories.map((v) => (r.row[c.name] === v ? 1 : 0))),
    ...numeric.map((c) => (Number(r.row[c.name]) - c.mean) / c.scale),
  ]);
  const y = rows.map((r) => r.y);
  const w = new Array<number>(nf).fill(0);
  let b = 0;
  const history: number[] = [];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const gw = new Array<number>(nf).fill(0);
    let gb = 0;
    let loss = 0;
    for (let i = 0; i < X.length; i++) {
      const xi = X[i]!;
      let z = b;
      for (let j = 0; j < nf; j++) z += w[j]! * xi[j]!;
      const p = sigmoid(z);
      const err = p - y[i]!;
      for (let j = 0; j < nf; j++) gw[j]! += err * xi[j]!;
      gb += err;
      loss -= Math.log(Math.min(Math.max(y[i] ? p : 1 - p, 1e-15), 1));
    }
    for (let j = 0; j < nf; j++) w[j]! -= LR * (gw[j]! / X.length + L2 * w[j]!);
    b -= LR * (gb / X.length);
    if (epoch % (EPOCHS / 10) === 0 || epoch === EPOCHS - 1) history.push(loss / X.length);
  }
  return { pipeline: { ...shell, coef: [w], intercept: [b] }, history };
}

function evaluate(p: LogisticPipeline, rows: Customer[]) {
  const y = rows.map((r) => r.y);
  const prob = rows.map((r) => predictProba(p, r.row)[1]!);
  return { accuracy: round(accuracy(y, prob.map((v) => (v >= 0.5 ? 1 : 0)))), auc: round(rocAuc(y, prob)), log_loss: round(logLoss(y, prob)) };
}

export interface ChurnResult {
  modelPath: string;
  pipeline: LogisticPipeline;
  heldOut: Customer[];
  metrics: ReturnType<typeof buildMetrics>;
}

function buildMetrics(p: LogisticPipeline, trainRows: Customer[], testRows: Customer[], churnRate: number) {
  const yTest = testRows.map((r) => r.y);
  const pOracle = testRows.map((r) => r.pTrue);
  const names = p.categorical.flatMap((c) => c.categories.map((v) => `${c.name}=${v}`)).concat(p.numeric.map((c) => c.name));
  return {
    model: 'customer-churn',
    dataset: {
      source: `synthetic, generated by scripts/train-customer-churn.ts with seed ${SEED}`,
      rows: N,
      train_rows: trainRows.length,
      test_rows: testRows.length,
      split_seed: SEED + 1,
      label_noise: LABEL_NOISE,
      churn_rate: round(churnRate),
    },
    test_reference: {
      majority_class_accuracy: round(Math.max(mean(yTest), 1 - mean(yTest))),
      ground_truth_probabilities: {
        accuracy: round(accuracy(yTest, pOracle.map((v) => (v >= 0.5 ? 1 : 0)))),
        auc: round(rocAuc(yTest, pOracle)),
        log_loss: round(logLoss(yTest, pOracle)),
      },
    },
    versions: {
      '1': {
        method: `one-hot (plan, contract, region) + standardised numbers, binary logistic regression by full-batch gradient descent (lr ${LR}, L2 ${L2}, ${EPOCHS} epochs)`,
        train: evaluate(p, trainRows),
        test: evaluate(p, testRows),
        coefficients: Object.fromEntries(names.map((n, j) => [n, round(p.coef[0]![j]!, 6)])),
        intercept: round(p.intercept[0]!, 6),
        standardisation: Object.fromEntries(p.numeric.map((c) => [c.name, { mean: round(c.mean, 6), scale: round(c.scale, 6) }])),
      },
    },
  };
}

/** Checks the written file with onnxruntime: labels, the ZipMap's input, and an unknown category. */
async function verify(r: ChurnResult): Promise<void> {
  const { InferenceSession, Tensor } = await loadOrt();
  const bytes = readFileSync(r.modelPath);
  // severity 4: the unknown-category run below is meant to fail, ORT need not log it
  const session = await InferenceSession.create(exposeValues(bytes, [{ name: 'probabilities', elemType: TensorType.FLOAT, shape: [null, 2] }]), { logSeverityLevel: 4 });
  const feeds = churnFeeds(Tensor, r.heldOut.map((c) => c.row));
  const out = await session.run(feeds, ['output_label', 'probabilities']);
  const labels = out.output_label!.data as string[];
  const want = r.heldOut.map((c) => predictLabel(r.pipeline, c.row));
  check(labels.every((l, i) => l === want[i]), 'ORT output_label == TypeScript labels');
  const worst = assertClose('probabilities', Array.from(out.probabilities!.data as Float32Array), r.heldOut.flatMap((c) => predictProba(r.pipeline, c.row)), 1e-5);
  const bad = churnFeeds(Tensor, [{ ...r.heldOut[0]!.row, plan: 'platinum' }]);
  const failed = await session.run(bad, ['output_label']).then(() => false, () => true);
  check(failed, 'an unknown category makes ORT fail (OneHotEncoder zeros=0)');
  console.log(`  [ort] ${r.heldOut.length} held-out rows: labels identical, max |ORT - TS| = ${worst.toExponential(2)}; unknown plan refused`);
}

/** ORT feeds for rows: one [N, 1] tensor per column, strings or float32. */
export function churnFeeds(T: typeof import('onnxruntime-node').Tensor, rows: readonly PipelineRow[]) {
  const feeds: Record<string, InstanceType<typeof T>> = {};
  for (const name of COLUMNS) {
    feeds[name] = name in CATEGORICAL
      ? new T('string', rows.map((r) => String(r[name])), [rows.length, 1])
      : new T('float32', Float32Array.from(rows, (r) => Number(r[name])), [rows.length, 1]);
  }
  return feeds;
}

/** Generates the data, trains, writes <outDir>/{1/model.onnx,metrics.json,README.md}; verifies with ORT unless told not to. */
export async function main(outDir = repoPath('models', 'customer-churn'), options: { verify?: boolean; log?: boolean } = {}): Promise<ChurnResult> {
  const log = options.log === false ? () => {} : console.log;
  const data = generateCustomers(N, SEED);
  const split = trainTestSplit(N, TEST_FRACTION, SEED + 1);
  const trainRows = split.train.map((i) => data[i]!);
  const testRows = split.test.map((i) => data[i]!);
  const churnRate = mean(data.map((c) => c.y));
  log(`customer-churn: ${N} customers (seed ${SEED}), ${trainRows.length} train / ${testRows.length} test, churn rate ${churnRate.toFixed(3)}`);
  const { pipeline, history } = fit(trainRows);
  log(`  loss history ${history.map((h) => h.toFixed(4)).join(' ')}`);
  const modelPath = join(outDir, '1', 'model.onnx');
  writeModel(modelPath, logisticPipelineSpec({ ...pipeline, docString: 'customer-churn v1: skl2onnx layout of OneHotEncoder + StandardScaler + LogisticRegression; labels [no, yes]' }));
  const metrics = buildMetrics(pipeline, trainRows, testRows, churnRate);
  writeJson(join(outDir, 'metrics.json'), metrics);
  writeFileSync(join(outDir, 'README.md'), churnReadme(metrics, pipeline));
  log(`  test ${JSON.stringify(metrics.versions['1'].test)}; sha256 ${sha256(modelPath)}`);
  const result = { modelPath, pipeline, heldOut: testRows, metrics };
  if (options.verify !== false) await verify(result);
  return result;
}

if (process.argv[1]?.endsWith('train-customer-churn.ts')) {
  await main(process.argv[2] ? resolve(process.argv[2]) : undefined);
}
