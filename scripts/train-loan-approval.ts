/**
 * Trains the loan-approval models (versions 1 and 2) on synthetic applicants.
 *
 *   npx tsx scripts/train-loan-approval.ts
 *
 * Writes models/loan-approval/{model.json,metrics.json} and models/loan-approval/{1,2}/model.onnx.
 * Deterministic: the same seed gives byte-identical files.
 *
 * Both versions are logistic regressions trained by projected (sign-constrained) full-batch
 * gradient descent, so that p(approved) is monotone: non-decreasing in credit_score, income and
 * employment_years, non-increasing in loan_amount (age is unconstrained).
 */
import { attr, DType, writeModel, type Float32Initializer, type NodeSpec } from './lib/onnx-writer.js';
import { Rng, trainTestSplit } from './lib/random.js';
import { accuracy, logLoss, mean, median, rocAuc, round, std } from './lib/metrics.js';
import { assertClose, check, openSession, repoPath, sha256, writeJson } from './lib/common.js';

export const SEED = 20240611;
const N = 20_000;
const TEST_FRACTION = 0.2;
const LABEL_NOISE = 0.03;

export const FEATURES = ['age', 'income', 'credit_score', 'employment_years', 'loan_amount'] as const;
const NF = FEATURES.length;
/** +1: weight must be >= 0, -1: weight must be <= 0, 0: free. */
const SIGNS = [0, +1, +1, +1, -1];

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

// ---------------------------------------------------------------------------
// Synthetic data: documented ground truth (also described in models/loan-approval/README.md)
// ---------------------------------------------------------------------------
export interface Applicant {
  x: number[]; // [age, income, credit_score, employment_years, loan_amount]
  y: number; // 1 = approved
  pTrue: number;
}

/** Ground-truth log-odds of approval (monotone in the four constrained features). */
export function trueLogit(age: number, income: number, creditScore: number, employmentYears: number, loanAmount: number): number {
  return (
    0.3 +
    0.02 * (creditScore - 680) + //                         better credit history
    2.2 * Math.log(income / 50_000) - //                    higher income
    1.8 * Math.log(loanAmount / 20_000) + //                  bigger loans are riskier
    0.35 * Math.log1p(employmentYears) - //                  job stability, diminishing returns
    0.0008 * (age - 45) ** 2 //                             mild, non-monotone age effect
  );
}

export function generateApplicants(n: number, seed: number): Applicant[] {
  const rng = new Rng(seed);
  const out: Applicant[] = [];
  for (let i = 0; i < n; i++) {
    // age: mostly 21-75, a thin tail of older applicants, hard limits 18..120
    const age = rng.bernoulli(0.01) ? rng.int(76, 100) : clamp(Math.round(rng.normal(43, 12)), 18, 95);
    // employment years: 4% currently not employed, otherwise a share of the working life
    const employmentYears = rng.bernoulli(0.04)
      ? 0
      : clamp(Math.round((age - 18) * 0.9 * rng.uniform() ** 0.7 * 10) / 10, 0, 60);
    // income: log-normal, rising with experience
    const income = clamp(
      Math.round(Math.exp(Math.log(30_000) + 0.25 * Math.log1p(employmentYears) + rng.normal(0, 0.5))),
      3_000,
      10_000_000,
    );
    // credit score: roughly normal, slightly better with experience
    const creditScore = clamp(Math.round(rng.normal(640 + 3 * Math.min(employmentYears, 20), 70)), 300, 850);
    // loan amount: proportional to income with wide spread, rounded to 100
    const loanAmount = clamp(Math.round((income * Math.exp(rng.normal(Math.log(0.4), 0.6))) / 100) * 100, 500, 10_000_000);
    const pTrue = sigmoid(trueLogit(age, income, creditScore, employmentYears, loanAmount));
    let y = rng.bernoulli(pTrue) ? 1 : 0;
    if (rng.bernoulli(LABEL_NOISE)) y = 1 - y; // label noise: clerical errors, overrides
    out.push({ x: [age, income, creditScore, employmentYears, loanAmount], y, pTrue });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Model: preprocessing (optional log per column) + standardisation + logistic regression
// ---------------------------------------------------------------------------
interface LogisticModel {
  useLog: boolean[]; // per column: log(max(x, 1)) before standardising
  mu: number[];
  sd: number[];
  w: number[]; // standardised-space weights (0 for unused features)
  b: number;
}

function transform(x: readonly number[], m: Pick<LogisticModel, 'useLog'>): number[] {
  return x.map((v, j) => (m.useLog[j] ? Math.log(Math.max(v, 1)) : v));
}

/** Forward pass in float64 (used for training-time evaluation). */
function predict(m: LogisticModel, x: readonly number[]): number {
  const t = transform(x, m);
  let z = m.b;
  for (let j = 0; j < NF; j++) z += m.w[j]! * ((t[j]! - m.mu[j]!) / m.sd[j]!);
  return sigmoid(z);
}

/** The model with every parameter rounded to float32, exactly as stored in the ONNX file. */
function asStored(m: LogisticModel): LogisticModel {
  const f = (a: number[]) => a.map((v) => Math.fround(v));
  return { useLog: m.useLog, mu: f(m.mu), sd: f(m.sd), w: f(m.w), b: Math.fround(m.b) };
}

interface TrainOptions {
  useLog: boolean[];
  active: boolean[]; // features the model may use (others keep weight 0)
  epochs: number;
  lr: number;
  l2: number;
}

/** Full-batch projected gradient descent on the mean log-loss (+ L2 on weights). */
function train(rows: Applicant[], o: TrainOptions): { model: LogisticModel; history: number[] } {
  const T = rows.map((r) => transform(r.x, o));
  const mu = FEATURES.map((_, j) => mean(T.map((t) => t[j]!)));
  const sd = FEATURES.map((_, j) => std(T.map((t) => t[j]!)));
  const Z = T.map((t) => t.map((v, j) => (v - mu[j]!) / sd[j]!));
  const y = rows.map((r) => r.y);
  const n = rows.length;
  const w = new Array<number>(NF).fill(0);
  let b = 0;
  const history: number[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const gw = new Array<number>(NF).fill(0);
    let gb = 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const zi = Z[i]!;
      let s = b;
      for (let j = 0; j < NF; j++) s += w[j]! * zi[j]!;
      const p = sigmoid(s);
      const err = p - y[i]!;
      for (let j = 0; j < NF; j++) gw[j]! += err * zi[j]!;
      gb += err;
      const q = Math.min(Math.max(p, 1e-15), 1 - 1e-15);
      loss -= y[i] ? Math.log(q) : Math.log(1 - q);
    }
    for (let j = 0; j < NF; j++) {
      if (!o.active[j]) continue;
      w[j]! -= o.lr * (gw[j]! / n + o.l2 * w[j]!);
      // projection onto the sign constraints (monotonicity)
      if (SIGNS[j]! > 0 && w[j]! < 0) w[j] = 0;
      if (SIGNS[j]! < 0 && w[j]! > 0) w[j] = 0;
    }
    b -= o.lr * (gb / n);
    if (epoch % Math.max(1, Math.floor(o.epochs / 10)) === 0 || epoch === o.epochs - 1) history.push(loss / n);
  }
  return { model: { useLog: o.useLog, mu, sd, w, b }, history };
}

// ---------------------------------------------------------------------------
// ONNX graph
// ---------------------------------------------------------------------------
function writeOnnx(path: string, m: LogisticModel, version: number): Uint8Array {
  const nodes: NodeSpec[] = [];
  const inits: Float32Initializer[] = [
    { name: 'one', dims: [], values: [1] },
    { name: 'mean', dims: [NF], values: m.mu },
    { name: 'scale', dims: [NF], values: m.sd },
    { name: 'coef', dims: [NF, 1], values: m.w },
    { name: 'intercept', dims: [1], values: [m.b] },
  ];
  let pre = 'features';
  if (m.useLog.some(Boolean)) {
    inits.push(
      { name: 'log_mask', dims: [NF], values: m.useLog.map((u) => (u ? 1 : 0)) },
      { name: 'lin_mask', dims: [NF], values: m.useLog.map((u) => (u ? 0 : 1)) },
    );
    nodes.push(
      // log(max(x, 1)): finite for every valid (and every non-NaN) input
      { opType: 'Max', inputs: ['features', 'one'], outputs: ['x_clipped'], name: 'clip_for_log' },
      { opType: 'Log', inputs: ['x_clipped'], outputs: ['x_log'], name: 'log' },
      { opType: 'Mul', inputs: ['x_log', 'log_mask'], outputs: ['x_log_part'], name: 'select_log_columns' },
      { opType: 'Mul', inputs: ['features', 'lin_mask'], outputs: ['x_lin_part'], name: 'select_linear_columns' },
      { opType: 'Add', inputs: ['x_log_part', 'x_lin_part'], outputs: ['x_transformed'], name: 'combine_columns' },
    );
    pre = 'x_transformed';
  }
  nodes.push(
    { opType: 'Sub', inputs: [pre, 'mean'], outputs: ['x_centered'], name: 'standardize_center' },
    { opType: 'Div', inputs: ['x_centered', 'scale'], outputs: ['x_std'], name: 'standardize_scale' },
    { opType: 'MatMul', inputs: ['x_std', 'coef'], outputs: ['linear'], name: 'linear' },
    { opType: 'Add', inputs: ['linear', 'intercept'], outputs: ['logit'], name: 'add_intercept' },
    { opType: 'Sigmoid', inputs: ['logit'], outputs: ['p_approved'], name: 'sigmoid' },
    { opType: 'Sub', inputs: ['one', 'p_approved'], outputs: ['p_denied'], name: 'complement' },
    {
      opType: 'Concat',
      inputs: ['p_denied', 'p_approved'],
      outputs: ['probabilities'],
      name: 'probabilities',
      attributes: { axis: attr.int(1) },
    },
  );
  return writeModel(path, {
    graphName: `loan_approval_v${version}`,
    docString: `loan-approval v${version}: logistic regression, columns [denied, approved]`,
    nodes,
    initializers: inits,
    inputs: [{ name: 'features', elemType: DType.FLOAT, shape: ['batch', NF] }],
    outputs: [{ name: 'probabilities', elemType: DType.FLOAT, shape: ['batch', 2] }],
  });
}

function evaluate(m: LogisticModel, rows: Applicant[]) {
  const y = rows.map((r) => r.y);
  const p = rows.map((r) => predict(m, r.x));
  return {
    accuracy: round(accuracy(y, p.map((v) => (v >= 0.5 ? 1 : 0)))),
    auc: round(rocAuc(y, p)),
    log_loss: round(logLoss(y, p)),
  };
}

// ---------------------------------------------------------------------------
async function main(): Promise<void> {
  const t0 = Date.now();
  const data = generateApplicants(N, SEED);
  const split = trainTestSplit(N, TEST_FRACTION, SEED + 1);
  const trainRows = split.train.map((i) => data[i]!);
  const testRows = split.test.map((i) => data[i]!);
  const approvalRate = mean(data.map((r) => r.y));
  console.log(`loan-approval: ${N} applicants (seed ${SEED}), ${trainRows.length} train / ${testRows.length} test, approval rate ${approvalRate.toFixed(3)}`);

  const specs: Record<'1' | '2', TrainOptions & { summary: string }> = {
    // v1: plain model: raw (un-logged) income/loan_amount/credit_score only, short training
    '1': {
      summary: 'credit_score, income and loan_amount only (raw scale, no log transform); age and employment_years unused (weight 0); 60 epochs',
      useLog: [false, false, false, false, false],
      active: [false, true, true, false, true],
      epochs: 60,
      lr: 0.5,
      l2: 1e-4,
    },
    // v2: all features, log(income) and log(loan_amount), trained to convergence
    '2': {
      summary: 'all five features; log(income) and log(loan_amount); 3000 epochs',
      useLog: [false, true, false, false, true],
      active: [true, true, true, true, true],
      epochs: 3000,
      lr: 0.5,
      l2: 1e-4,
    },
  };

  const versions: Record<string, unknown> = {};
  const stored: Record<string, LogisticModel> = {};
  for (const v of ['1', '2'] as const) {
    const o = specs[v];
    const { model, history } = train(trainRows, o);
    const m = asStored(model);
    stored[v] = m;
    const path = repoPath('models', 'loan-approval', v, 'model.onnx');
    writeOnnx(path, m, Number(v));
    const rawWeights = Object.fromEntries(
      FEATURES.map((f, j) => [f, round(m.w[j]! / m.sd[j]!, 8)]),
    );
    versions[v] = {
      method: `logistic regression, projected full-batch gradient descent (lr ${o.lr}, L2 ${o.l2}, ${o.epochs} epochs) with sign constraints`,
      features_used: o.summary,
      train: evaluate(m, trainRows),
      test: evaluate(m, testRows),
      standardized_coefficients: Object.fromEntries(FEATURES.map((f, j) => [f, round(m.w[j]!, 6)])),
      coefficients_per_unit_of_transformed_feature: rawWeights,
      intercept: round(m.b, 6),
    };
    console.log(`  v${v}: loss history ${history.map((h) => h.toFixed(4)).join(' ')}`);
    console.log(`  v${v}: test ${JSON.stringify((versions[v] as { test: unknown }).test)}  weights ${JSON.stringify((versions[v] as { standardized_coefficients: unknown }).standardized_coefficients)}`);
  }

  // reference: the ground-truth probabilities themselves (best achievable without label noise knowledge)
  const yTest = testRows.map((r) => r.y);
  const pOracle = testRows.map((r) => r.pTrue);
  const oracle = {
    accuracy: round(accuracy(yTest, pOracle.map((p) => (p >= 0.5 ? 1 : 0)))),
    auc: round(rocAuc(yTest, pOracle)),
    log_loss: round(logLoss(yTest, pOracle)),
  };
  const majority = round(Math.max(mean(yTest), 1 - mean(yTest)));

  const trainX = trainRows.map((r) => r.x);
  const col = (j: number) => trainX.map((x) => x[j]!);
  const featureDefs = [
    { name: 'age', type: 'integer', description: 'Applicant age in years', minimum: 18, maximum: 120 },
    { name: 'income', type: 'number', description: 'Gross annual income', exclusiveMinimum: 0, maximum: 10_000_000 },
    { name: 'credit_score', type: 'integer', description: 'Credit score (FICO-like scale)', minimum: 300, maximum: 850 },
    { name: 'employment_years', type: 'number', description: 'Years in employment', minimum: 0, maximum: 60 },
    { name: 'loan_amount', type: 'number', description: 'Requested loan amount', exclusiveMinimum: 0, maximum: 10_000_000 },
  ];
  const config = {
    description:
      'Loan approval (synthetic data): monotone logistic regression giving p(approved); rises with credit_score, income and employment_years, falls with loan_amount. Version 1 is a plainer baseline, version 2 the production model.',
    task: 'classification',
    input: 'features',
    outputs: { probabilities: 'probabilities' },
    features: featureDefs.map((f, j) => ({ ...f, baseline: median(col(j)) })),
    labels: ['denied', 'approved'],
    positive_label: 'approved',
    threshold: 0.5,
    confidence: { high: 0.8, medium: 0.6 },
    // No default_version: the latest ready version serves (API.md §11), so an
    // uploaded version 3 serves as soon as it is ready.
    batching: { max_batch_size: 1024, max_delay_ms: 1 },
  };
  writeJson(repoPath('models', 'loan-approval', 'model.json'), config);

  const metrics = {
    model: 'loan-approval',
    dataset: {
      source: `synthetic, generated by scripts/train-loan-approval.ts with seed ${SEED}`,
      rows: N,
      train_rows: trainRows.length,
      test_rows: testRows.length,
      split_seed: SEED + 1,
      label_noise: LABEL_NOISE,
      approval_rate: round(approvalRate),
    },
    test_reference: { majority_class_accuracy: majority, ground_truth_probabilities: oracle },
    versions,
  };
  writeJson(repoPath('models', 'loan-approval', 'metrics.json'), metrics);

  // -------------------------------------------------------------------------
  // Verification with onnxruntime-node
  // -------------------------------------------------------------------------
  console.log('verification:');
  const extremes = [
    [18, 1e-6, 300, 0, 10_000_000],
    [120, 10_000_000, 850, 60, 1e-6],
    [18, 0.5, 300, 0, 0.5],
    [120, 10_000_000, 850, 60, 10_000_000],
  ];
  const probeRows = [...testRows.slice(0, 8).map((r) => r.x), ...extremes];
  for (const v of ['1', '2'] as const) {
    const m = stored[v]!;
    const path = repoPath('models', 'loan-approval', v, 'model.onnx');
    const { run } = await openSession(path, `loan-approval v${v}`);
    // 1) ORT == TypeScript forward pass, on probe rows and on the whole test split
    const all = [...probeRows, ...testRows.map((r) => r.x)];
    const out = (await run(all)).probabilities!;
    check(out.dims.join(',') === `${all.length},2`, `v${v} output dims ${out.dims}`);
    check(out.data.every(Number.isFinite), `v${v} all outputs finite (incl. extreme inputs)`);
    const want = all.flatMap((x) => {
      const p = predict(m, x);
      return [1 - p, p];
    });
    const worst = assertClose(`v${v} probabilities`, out.data, want, 1e-5);
    console.log(`    v${v}: ${all.length} rows, max |ORT - TS| = ${worst.toExponential(2)}; first rows:`);
    for (let i = 0; i < 3; i++) console.log(`      ${JSON.stringify(all[i])} -> [${out.data[2 * i]!.toFixed(6)}, ${out.data[2 * i + 1]!.toFixed(6)}]`);

    // 2) monotonicity on a grid: vary one feature across its whole range, others at grid points
    const grids: number[][] = [
      [18, 21, 30, 45, 60, 75, 90, 120],
      [1, 1000, 10_000, 30_000, 60_000, 120_000, 500_000, 2_000_000, 10_000_000],
      [300, 400, 500, 580, 650, 700, 750, 800, 850],
      [0, 0.5, 1, 2, 5, 10, 20, 40, 60],
      [1, 500, 5_000, 20_000, 50_000, 200_000, 1_000_000, 10_000_000],
    ];
    let checked = 0;
    let maxViolation = 0;
    for (const j of [1, 2, 3, 4]) {
      const sweep = Array.from({ length: 41 }, (_, k) => {
        const lo = grids[j]![0]!;
        const hi = grids[j]!.at(-1)!;
        // geometric sweep for the money features, linear otherwise
        return j === 1 || j === 4 ? lo * (hi / lo) ** (k / 40) : lo + ((hi - lo) * k) / 40;
      });
      const others = [0, 1, 2, 3, 4].filter((k) => k !== j);
      // all combinations of 3 grid points per other feature
      const pick = (g: number[]) => [g[1]!, g[Math.floor(g.length / 2)]!, g[g.length - 2]!];
      const combos: number[][] = [[]];
      for (const k of others) {
        const next: number[][] = [];
        for (const c of combos) for (const val of pick(grids[k]!)) next.push([...c, val]);
        combos.splice(0, combos.length, ...next);
      }
      const batch: number[][] = [];
      for (const c of combos) {
        for (const s of sweep) {
          const x = new Array<number>(NF);
          others.forEach((k, i) => (x[k] = c[i]!));
          x[j] = s;
          batch.push(x);
        }
      }
      const pa = (await run(batch)).probabilities!.data.filter((_, i) => i % 2 === 1);
      const dir = SIGNS[j]!;
      for (let c = 0; c < combos.length; c++) {
        for (let k = 1; k < sweep.length; k++) {
          const d = dir * (pa[c * sweep.length + k]! - pa[c * sweep.length + k - 1]!);
          // exact float64 check on the TypeScript forward pass
          const dt = dir * (predict(m, batch[c * sweep.length + k]!) - predict(m, batch[c * sweep.length + k - 1]!));
          check(dt >= 0, `v${v} monotone in ${FEATURES[j]} (TS)`);
          maxViolation = Math.max(maxViolation, -d);
          checked++;
        }
      }
    }
    check(maxViolation <= 1e-6, `v${v} ORT monotonicity violation ${maxViolation}`);
    console.log(`    v${v}: monotonicity OK on ${checked} adjacent grid pairs (max ORT float32 reversal ${maxViolation.toExponential(2)})`);
    console.log(`    v${v}: sha256 ${sha256(path)}`);
  }
  console.log(`loan-approval done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

if (process.argv[1]?.endsWith('train-loan-approval.ts')) {
  await main();
}
export { main };
