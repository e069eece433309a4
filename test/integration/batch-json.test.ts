import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLES, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.close());

const rows = (model: keyof typeof SAMPLES, n: number) =>
  Array.from({ length: n }, (_, i) => Object.fromEntries(Object.entries(SAMPLES[model]).map(([k, v]) => [k, Number.isInteger(v) ? v + (i % 3) : v * (1 + i / 100)])));

describe('POST /api/v1/predict/batch (body written by the batch serializer)', () => {
  for (const model of ['loan-approval', 'iris', 'house-price'] as const) {
    it(`answers ${model} with the bytes JSON.stringify would write, equal to the rows predicted one by one`, async () => {
      const instances = rows(model, 40);
      const r = await t.call('POST', '/api/v1/predict/batch', { body: { model, instances } });
      assert.equal(r.status, 200);
      assert.equal(r.text, JSON.stringify(JSON.parse(r.text)));
      assert.equal(r.body.data.count, 40);
      for (const i of [0, 17, 39]) {
        const one = await t.call('POST', '/api/v1/predict', { body: { model, features: instances[i] } });
        const { id: _id, model: _model, model_version: _version, ...single } = one.body.data;
        assert.deepEqual(r.body.data.predictions[i], single, `row ${i}`);
      }
    });
  }
  it('still answers rows with explanations (written by JSON.stringify)', async () => {
    const r = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'loan-approval', instances: rows('loan-approval', 3), options: { explain: true } } });
    assert.equal(r.status, 200);
    assert.ok(r.body.data.predictions.every((p: { explanation?: unknown }) => p.explanation !== undefined));
  });
});
