import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { shippedModel } from '../helpers/repository.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.close());

const predict = (body: unknown) => t.call('POST', '/api/v1/predict', { body });
const loan = (features: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  predict({ model: 'loan-approval', features: { ...SAMPLES['loan-approval'], ...features }, ...extra });

describe('POST /api/v1/predict', () => {
  describe('its probabilities', () => {
    it("are the shortest decimals (≤ 9 significant digits) that read back as ONNX Runtime's own float32 outputs", async () => {
      const r = await loan();
      const text = /"probabilities":\{"denied":([^,]+),"approved":([^}]+)\}/.exec(r.text);
      assert.ok(text, r.text);
      const session = await ort.InferenceSession.create(shippedModel('loan-approval', '2'));
      const f = SAMPLES['loan-approval'];
      const input = new Float32Array([f.age, f.income, f.credit_score, f.employment_years, f.loan_amount, ...new Array(35).fill(0)]);
      const out = await session.run({ features: new ort.Tensor('float32', input, [8, 5]) });
      const [denied, approved] = (out.probabilities!.data as Float32Array).subarray(0, 2);
      await session.release();
      assert.equal(Math.fround(Number(text[1])), denied);
      assert.equal(Math.fround(Number(text[2])), approved);
      for (const t of [text[1]!, text[2]!]) {
        const digits = t.replace('.', '').replace(/^0+/, '').length;
        assert.ok(digits <= 9, `${t} has ${digits} significant digits`);
        for (let p = 1; p < digits; p++) {
          assert.notEqual(Math.fround(Number(Number(t).toPrecision(p))), Math.fround(Number(t)), `${t} is not the shortest`);
        }
      }
    });
  });

  describe('with valid loan-approval features', () => {
    it('answers 200 with a binary prediction from the latest version', async () => {
      const r = await loan();
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'success');
      const d = r.body.data;
      assert.match(d.id, /^pred_[A-Za-z0-9_-]{16,}$/);
      assert.equal(d.model, 'loan-approval');
      assert.equal(d.model_version, '2');
      assert.ok(['approved', 'denied'].includes(d.prediction));
      assert.ok(Math.abs(d.probabilities.approved + d.probabilities.denied - 1) < 1e-6);
      assert.equal(d.probability, d.probabilities[d.prediction]);
      assert.ok(['high', 'medium', 'low'].includes(d.confidence));
      assert.equal(r.body.meta.model, 'loan-approval');
      assert.equal(r.body.meta.model_version, '2');
      assert.equal(r.body.meta.request_id, r.headers.get('x-request-id'));
      assert.match(r.headers.get('content-type')!, /^application\/json; charset=utf-8$/);
    });
    it('gives every prediction a new id', async () => {
      const [a, b] = await Promise.all([loan(), loan()]);
      assert.notEqual(a.body.data.id, b.body.data.id);
    });
    it('answers from the version asked for', async () => {
      const r = await loan({}, { version: '1' });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.model_version, '1');
    });
    it('is monotone: p(approved) rises with credit_score, income, employment_years and falls with loan_amount', async () => {
      const p = async (f: Record<string, number>) => (await loan(f)).body.data.probabilities.approved as number;
      assert.ok((await p({ credit_score: 780 })) > (await p({ credit_score: 600 })));
      assert.ok((await p({ income: 150000 })) > (await p({ income: 30000 })));
      assert.ok((await p({ employment_years: 30 })) > (await p({ employment_years: 1 })));
      assert.ok((await p({ loan_amount: 200000 })) < (await p({ loan_amount: 5000 })));
    });
    it('applies options.threshold to the positive label', async () => {
      const base = (await loan()).body.data;
      const p = base.probabilities.approved as number;
      const above = await loan({}, { options: { threshold: Math.min(1, p + 0.01) } });
      const below = await loan({}, { options: { threshold: Math.max(0, p - 0.01) } });
      assert.equal(above.body.data.prediction, 'denied');
      assert.equal(below.body.data.prediction, 'approved');
      assert.equal(above.body.data.probability, above.body.data.probabilities.denied);
    });
    it('accepts an integer written as 35.0 and -0 as 0', async () => {
      const r = await t.call('POST', '/api/v1/predict', {
        raw: '{"model":"loan-approval","features":{"age":35.0,"income":55000,"credit_score":720,"employment_years":-0,"loan_amount":25000}}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 200);
    });
  });

  describe('with iris (an ONNX-ML LinearClassifier)', () => {
    it('predicts setosa for a typical setosa flower, with three probabilities', async () => {
      const r = await predict({ model: 'iris', features: SAMPLES.iris });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.prediction, 'setosa');
      assert.deepEqual(Object.keys(r.body.data.probabilities), ['setosa', 'versicolor', 'virginica']);
      assert.equal(r.body.data.probability, Math.max(...Object.values(r.body.data.probabilities as Record<string, number>)));
    });
    it('predicts virginica for a large-petal flower', async () => {
      const r = await predict({ model: 'iris', features: { sepal_length: 7.7, sepal_width: 3.0, petal_length: 6.1, petal_width: 2.3 } });
      assert.equal(r.body.data.prediction, 'virginica');
    });
    it('answers 422 for options.threshold on a multi-class model', async () => {
      const r = await predict({ model: 'iris', features: SAMPLES.iris, options: { threshold: 0.5 } });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/options/threshold');
    });
  });

  describe('with the regression model', () => {
    it('answers a number and nothing of a classifier', async () => {
      const r = await predict({ model: 'house-price', features: SAMPLES['house-price'] });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body.data).sort(), ['id', 'model', 'model_version', 'prediction']);
      assert.equal(typeof r.body.data.prediction, 'number');
      assert.ok(Number.isFinite(r.body.data.prediction));
    });
  });

  describe('with invalid features', () => {
    const cases: Array<[string, Record<string, unknown>, string, unknown]> = [
      ['a string where a number belongs', { age: '35' }, '/features/age', '35'],
      ['a number below the minimum', { age: -5 }, '/features/age', -5],
      ['a fraction where an integer belongs', { credit_score: 700.5 }, '/features/credit_score', 700.5],
      ['null', { income: null }, '/features/income', null],
      ['a boolean', { income: true }, '/features/income', true],
      ['zero income (exclusive minimum)', { income: 0 }, '/features/income', 0],
    ];
    for (const [what, features, field, received] of cases) {
      it(`answers 422 VALIDATION_ERROR pointing at ${field} for ${what}`, async () => {
        const r = await loan(features);
        expectError(r, 422, 'VALIDATION_ERROR');
        assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field), [field]);
        assert.deepEqual(r.body.error.details[0].received, received);
        assert.equal(r.body.error.message, '1 invalid field');
      });
    }
    it('points a missing feature at itself, without received', async () => {
      const { age: _age, ...rest } = SAMPLES['loan-approval'];
      const r = await predict({ model: 'loan-approval', features: rest });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details, [{ field: '/features/age', message: 'is required' }]);
    });
    it('rejects __proto__ and constructor as unknown properties without touching a prototype', async () => {
      const r = await t.call('POST', '/api/v1/predict', {
        raw: `{"model":"loan-approval","features":{"age":35,"income":55000,"credit_score":720,"employment_years":8,"loan_amount":25000,"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}}`,
        headers: { 'content-type': 'application/json' },
      });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field).sort(), ['/features/__proto__', '/features/constructor']);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal((await loan()).status, 200);
    });
    it('rejects a number that overflows to Infinity', async () => {
      const r = await t.call('POST', '/api/v1/predict', {
        raw: '{"model":"loan-approval","features":{"age":35,"income":1e999,"credit_score":720,"employment_years":8,"loan_amount":25000}}',
        headers: { 'content-type': 'application/json' },
      });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/features/income');
    });
    it('lists every problem at once (allErrors)', async () => {
      const r = await loan({ age: 5, credit_score: 9000, extra: 1 });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details.length, 3);
      assert.equal(r.body.error.message, '3 invalid fields');
    });
  });

  describe('with an invalid body', () => {
    it('answers 422 for an unknown top-level member, a bad option and a non-string version together', async () => {
      const r = await loan({}, { extra: true, version: 2, options: { explain: 'yes' } });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field).sort(), ['/extra', '/options/explain', '/version']);
    });
    it('answers 422 when model is left out and no default model is configured', async () => {
      const r = await predict({ features: SAMPLES['loan-approval'] });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/model');
    });
    it('answers 422 for a model name that cannot be one', async () => {
      const r = await predict({ model: 'Loan Approval', features: SAMPLES['loan-approval'] });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/model');
    });
    it('answers 422 with field "" for a JSON body that is not an object', async () => {
      for (const raw of ['[]', '"x"', '42', 'null']) {
        const r = await t.call('POST', '/api/v1/predict', { raw, headers: { 'content-type': 'application/json' } });
        expectError(r, 422, 'VALIDATION_ERROR');
        assert.equal(r.body.error.details[0].field, '');
      }
    });
    it('answers 422 for top_k above the number of features', async () => {
      const r = await loan({}, { options: { top_k: 6 } });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/options/top_k');
    });
  });

  describe('with an unknown model or version', () => {
    it('answers 404 MODEL_NOT_FOUND', async () => {
      expectError(await predict({ model: 'nope', features: {} }), 404, 'MODEL_NOT_FOUND');
      expectError(await loan({}, { version: '7' }), 404, 'MODEL_NOT_FOUND');
    });
  });
});

describe('POST /api/v1/models/{name}/predict', () => {
  it('predicts with the model named in the path', async () => {
    const r = await t.call('POST', '/api/v1/models/iris/predict', { body: { features: SAMPLES.iris } });
    assert.equal(r.status, 200);
    assert.equal(r.body.data.model, 'iris');
  });
  it('answers 422 when the body names a model too', async () => {
    const r = await t.call('POST', '/api/v1/models/iris/predict', { body: { model: 'iris', features: SAMPLES.iris } });
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.equal(r.body.error.details[0].field, '/model');
  });
  it('answers 404 MODEL_NOT_FOUND for an unknown model in the path', async () => {
    expectError(await t.call('POST', '/api/v1/models/nope/predict', { body: { features: {} } }), 404, 'MODEL_NOT_FOUND');
  });
});

describe('DEFAULT_MODEL', () => {
  it('answers with the default model when model is left out', async () => {
    const s = await startServer({ env: { DEFAULT_MODEL: 'iris' } });
    try {
      const r = await s.call('POST', '/api/v1/predict', { body: { features: SAMPLES.iris } });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.model, 'iris');
    } finally {
      await s.close();
    }
  });
});
