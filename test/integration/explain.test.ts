import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ModelRunner, TensorValue } from '../../src/inference/runtime/model-runner.js';
import { DOMINANT, EXPLAIN_MODELS_DIR, LINEAR } from '../fixtures/build-explain-models.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';
import { shippedConfig } from '../helpers/repository.js';

let t: TestServer;
let fixtures: TestServer;
before(async () => {
  t = await startServer({ env: { CACHE_SIZE: '0' } });
  fixtures = await startServer({ env: { MODEL_REPOSITORY: EXPLAIN_MODELS_DIR, CACHE_SIZE: '0' } });
});
after(async () => {
  await t.close();
  await fixtures.close();
});

const f32 = Math.fround;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-5, `${what}: ${actual} is not ${expected}`);

describe('POST /api/v1/predict with options.explain', () => {
  describe('on a classifier where one feature dominates', () => {
    it('ranks that feature first, with the change in the predicted label’s probability as importance', async () => {
      const x = [1, 1, 1];
      const r = await fixtures.call('POST', '/api/v1/predict', { body: { model: 'dominant', features: { a: 1, b: 1, c: 1 }, options: { explain: true } } });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.prediction, 'yes');
      const z = (v: number[]) => v.reduce((s, xi, i) => s + DOMINANT.weights[i]! * xi, DOMINANT.bias);
      const p = sigmoid(z(x));
      const expected = ['a', 'b', 'c'].map((feature, i) => {
        const occluded = x.map((v, j) => (j === i ? DOMINANT.baseline : v));
        return { feature, importance: Math.abs(p - sigmoid(z(occluded))) };
      });
      const e = r.body.data.explanation;
      assert.equal(e.method, 'occlusion');
      assert.deepEqual(e.top_features.map((f: { feature: string }) => f.feature), ['a', 'b', 'c']);
      for (let i = 0; i < 3; i++) close(e.top_features[i].importance, expected[i]!.importance, expected[i]!.feature);
    });
    it('explains the label that was predicted, also when it is the negative one', async () => {
      const r = await fixtures.call('POST', '/api/v1/predict', { body: { model: 'dominant', features: { a: -1, b: 0, c: 0 }, options: { explain: true, top_k: 1 } } });
      assert.equal(r.body.data.prediction, 'no');
      const pNo = 1 - sigmoid(-5);
      const pNoAtBaseline = 1 - sigmoid(-1);
      assert.deepEqual(r.body.data.explanation.top_features.map((f: { feature: string }) => f.feature), ['a']);
      close(r.body.data.explanation.top_features[0].importance, Math.abs(pNo - pNoAtBaseline), 'a');
    });
  });

  describe('on a regression model', () => {
    it('gives |w|·|x − baseline| for a linear model, negative weights as positive importance', async () => {
      const r = await fixtures.call('POST', '/api/v1/predict', { body: { model: 'linear', features: { a: 2, b: 3, c: 4 }, options: { explain: true } } });
      assert.equal(r.status, 200);
      const got = r.body.data.explanation.top_features as Array<{ feature: string; importance: number }>;
      // a: 10·|2−1| = 10, c: 3·|4−1| = 9, b: 2·|3−1| = 4
      assert.deepEqual(got.map((f) => f.feature), ['a', 'c', 'b']);
      for (const [i, want] of [10, 9, 4].entries()) close(got[i]!.importance, want, got[i]!.feature);
      close(r.body.data.prediction, f32(10 * 2 + 2 * 3 - 3 * 4 + LINEAR.bias), 'prediction');
    });
  });

  describe('on loan-approval with every feature at its baseline but one', () => {
    it('gives every other feature importance 0 and that one the whole change from the baseline applicant', async () => {
      const baselines = Object.fromEntries(
        (shippedConfig('loan-approval').features as Array<{ name: string; baseline: number }>).map((f) => [f.name, f.baseline]),
      );
      const at = (features: Record<string, number>, options?: unknown) =>
        t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features, ...(options ? { options } : {}) } });
      const base = (await at(baselines)).body.data;
      const r = await at({ ...baselines, credit_score: 800 }, { explain: true, top_k: 5 });
      const data = r.body.data;
      const top = data.explanation.top_features as Array<{ feature: string; importance: number }>;
      assert.equal(top.length, 5);
      assert.equal(top[0]!.feature, 'credit_score');
      // Probabilities are printed as the shortest decimals of float32 values; the importance is their exact difference.
      assert.equal(top[0]!.importance, Math.abs(Math.fround(data.probability) - Math.fround(base.probabilities[data.prediction])));
      assert.ok(top[0]!.importance > 0);
      for (const f of top.slice(1)) assert.equal(f.importance, 0, f.feature);
      // Ties keep the model's feature order.
      assert.deepEqual(top.slice(1).map((f) => f.feature), ['age', 'income', 'employment_years', 'loan_amount']);
    });
  });

  describe('on iris', () => {
    it('answers top_k features (3 by default), largest first, importance ≥ 0, the same every time', async () => {
      const body = { model: 'iris', features: { sepal_length: 6.3, sepal_width: 2.8, petal_length: 5.1, petal_width: 1.5 }, options: { explain: true } };
      const a = await t.call('POST', '/api/v1/predict', { body });
      const b = await t.call('POST', '/api/v1/predict', { body });
      const top = a.body.data.explanation.top_features as Array<{ feature: string; importance: number }>;
      assert.equal(top.length, 3);
      for (let i = 0; i < top.length; i++) {
        assert.ok(top[i]!.importance >= 0);
        if (i > 0) assert.ok(top[i - 1]!.importance >= top[i]!.importance);
        assert.deepEqual(Object.keys(top[i]!).sort(), ['feature', 'importance']);
      }
      assert.deepEqual(b.body.data.explanation, a.body.data.explanation);
    });
  });

  describe('its cost', () => {
    it('is one extra ONNX run of n_features rows', async () => {
      const version = t.service.registry.resolve('loan-approval');
      const runner = version.runner!;
      const runs: number[] = [];
      const counting: ModelRunner = Object.create(runner, {
        run: { value: (feeds: readonly TensorValue[], rows: number) => (runs.push(rows), runner.run(feeds, rows)) },
      });
      version.runner = counting;
      try {
        await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: { ...SAMPLES['loan-approval'], age: 77 }, options: { explain: true } } });
      } finally {
        version.runner = runner;
      }
      assert.deepEqual(runs, [1, 5]);
    });
  });

  describe('without options.explain', () => {
    it('answers no explanation', async () => {
      const r = await t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris, options: { explain: false, top_k: 2 } } });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.explanation, undefined);
    });
  });

  describe('with top_k above the number of features', () => {
    it('answers 422 at /options/top_k', async () => {
      const r = await t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris, options: { explain: true, top_k: 5 } } });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/options/top_k');
    });
  });
});

describe('POST /api/v1/predict/batch with options.explain', () => {
  it('explains every instance as a single prediction would', async () => {
    const rows = [SAMPLES.iris, { sepal_length: 7.7, sepal_width: 3.0, petal_length: 6.1, petal_width: 2.3 }];
    const r = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'iris', instances: rows, options: { explain: true, top_k: 2 } } });
    assert.equal(r.status, 200);
    for (let i = 0; i < rows.length; i++) {
      const one = await t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: rows[i], options: { explain: true, top_k: 2 } } });
      assert.deepEqual(r.body.data.predictions[i].explanation, one.body.data.explanation);
    }
  });
});
