/** The README of models/customer-churn, filled in with the figures of the run that wrote it. */
import type { LogisticPipeline } from './lib/skl2onnx-layout.js';

interface Quality {
  accuracy: number;
  auc: number;
  log_loss: number;
}

interface ChurnMetrics {
  dataset: { rows: number; train_rows: number; test_rows: number; churn_rate: number; split_seed: number };
  test_reference: { majority_class_accuracy: number; ground_truth_probabilities: Quality };
  versions: { '1': { test: Quality; train: Quality } };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const fmt = (q: Quality) => `${q.accuracy.toFixed(4)} | ${q.auc.toFixed(4)} | ${q.log_loss.toFixed(4)}`;

/** Markdown for models/customer-churn/README.md. */
export function churnReadme(m: ChurnMetrics, p: LogisticPipeline): string {
  const v = m.versions['1'];
  const cats = p.categorical.map((c) => `\`${c.name}\` (${c.categories.map((x) => `\`${x}\``).join(', ')})`).join(', ');
  return `# customer-churn

Binary classifier giving p(churn) for a subscriber: will this customer leave within the quarter?
Labels \`no\` / \`yes\` (sklearn's sorted order; \`yes\` is the positive label).

The first shipped model with **categorical string columns** and **one input per column**, written in
the layout skl2onnx gives a scikit-learn pipeline, and served **without \`model.json\`**: the service
derives the inputs, their JSON Schema (the encoder's categories as an \`enum\`), the task and the
labels from the graph (API.md §14).

Regenerate with \`npx tsx scripts/train-customer-churn.ts [outDir]\` (default \`models/customer-churn\`);
the script is deterministic (same bytes every run) and ends by checking the file with onnxruntime-node.

## Columns

| input | type | meaning |
| --- | --- | --- |
| \`age\` | float32 [N, 1] | age in years (18–90 in the data) |
| \`plan\` | string [N, 1] | subscription plan: \`basic\`, \`standard\` or \`premium\` |
| \`contract\` | string [N, 1] | \`month-to-month\`, \`one-year\` or \`two-year\` |
| \`region\` | string [N, 1] | \`north\`, \`south\`, \`east\` or \`west\` |
| \`tenure_months\` | float32 [N, 1] | months as a customer (0–72) |
| \`monthly_charges\` | float32 [N, 1] | current monthly bill |
| \`support_calls\` | float32 [N, 1] | support calls in the last quarter |

Any other category is an error inside the graph (\`OneHotEncoder\` with \`zeros = 0\`, as
\`handle_unknown='error'\` converts), so the service answers it with a 422 before running the model.

## Data

Synthetic: ${m.dataset.rows.toLocaleString('en')} subscribers from \`scripts/train-customer-churn.ts\` (seed in \`metrics.json\`):
plan 45 / 35 / 20 % basic / standard / premium; contract 55 / 25 / 20 % month-to-month / one-year / two-year;
region 30 / 25 / 25 / 20 % north / south / east / west; age round(N(42, 14)) in 18–90; tenure
exponential with mean 14 / 30 / 45 months by contract, capped at 72; monthly charge 30 / 60 / 95 by plan
plus N(0, 8); support calls Poisson(1.5) on basic, Poisson(1.0) otherwise.

\`\`\`
logit = −1.0 + {month-to-month +1.1, one-year −0.4, two-year −1.6}
             + {basic +0.2, standard 0, premium −0.3} + {north 0, south +0.25, east −0.15, west +0.4}
             − 0.035 · tenure_months + 0.018 · (monthly_charges − 60) + 0.35 · support_calls − 0.012 · (age − 42)
churn ~ Bernoulli(sigmoid(logit)), then 2 % of labels flipped
\`\`\`

Churn rate ${pct(m.dataset.churn_rate)}. Split: ${m.dataset.train_rows.toLocaleString('en')} train / ${m.dataset.test_rows.toLocaleString('en')} test (shuffled, seed ${m.dataset.split_seed}).

## Model

One-hot encoding of ${cats}; standardisation of the four numbers (training mean and standard
deviation); binary logistic regression trained by full-batch gradient descent on the mean log-loss
with a small L2 penalty. Coefficients and scaler parameters are in \`metrics.json\`.

## Layout (what skl2onnx writes)

\`Pipeline(ColumnTransformer([OneHotEncoder(handle_unknown='error') on the string columns,
StandardScaler() on the numbers]), LogisticRegression())\` converted with one initial type per column:
opsets \`ai.onnx\` 19 and \`ai.onnx.ml\` 1, IR version 9.

\`\`\`
plan, contract, region ─ OneHotEncoder (ai.onnx.ml, cats_strings, zeros=0) each → [N,1,C]
  → Concat(axis=-1) → Reshape([-1, 10]) → variable [N,10]
age, tenure_months, monthly_charges, support_calls ─ Concat(axis=1) → merged_columns [N,4]
  → Scaler (ai.onnx.ml, offset = mean, scale = 1/sd) → variable1 [N,4]
Concat(variable, variable1) → transformed_column [N,14]
  → LinearClassifier (ai.onnx.ml, coefficients [−w, w], intercepts [−b, b], LOGISTIC, classlabels_strings [no, yes])
  → output_label string [N]  and  probabilities float32 [N,2]
  → ZipMap (classlabels_strings [no, yes]) → output_probability: sequence of map(string → float)
\`\`\`

onnxruntime-node cannot return \`output_probability\`; the service removes the ZipMap when loading
and serves \`probabilities\` under that name (API.md §14).

## Held-out quality (test split, ${m.dataset.test_rows.toLocaleString('en')} customers)

| | accuracy | ROC AUC | log-loss |
| --- | --- | --- | --- |
| model (test) | ${fmt(v.test)} |
| model (train) | ${fmt(v.train)} |
| the generator's own probabilities | ${fmt(m.test_reference.ground_truth_probabilities)} |
| always "no" (majority class) | ${m.test_reference.majority_class_accuracy.toFixed(4)} | – | – |

Threshold 0.5 for accuracy. The model is as good as the generating process allows: on ${m.dataset.test_rows.toLocaleString('en')} rows
it matches the generator's own probabilities within sampling noise (the label noise and the
randomness of churn set the ceiling).
`;
}
