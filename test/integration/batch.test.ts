import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applicants } from '../helpers/rows.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer({ env: { MAX_BATCH_SIZE: '3000', BODY_LIMIT_BYTES: '65536' } });
});
after(() => t.close());

const batch = (body: unknown) => t.call('POST', '/api/v1/predict/batch', { body });


describe('POST /api/v1/predict/batch', () => {
  describe('with valid instances', () => {
    it('answers every prediction in order, equal to the same rows predicted one by one', async () => {
      const rows = applicants(25);
      const r = await batch({ model: 'loan-approval', instances: rows });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.count, 25);
      assert.equal(r.body.data.model, 'loan-approval');
      assert.equal(r.body.data.model_version, '2');
      for (let i = 0; i < rows.length; i++) {
        const one = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: rows[i] } });
        const { id, model, model_version, ...single } = one.body.data;
        assert.match(id, /^pred_/);
        assert.deepEqual([model, model_version], ['loan-approval', '2']);
        assert.deepEqual(r.body.data.predictions[i], single, `row ${i}`);
      }
      assert.equal(r.body.meta.model, 'loan-approval');
    });
    it('runs more rows than the model batch limit in chunks with the same answers', async () => {
      const rows = applicants(2500);
      const r = await batch({ model: 'loan-approval', instances: rows });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.predictions.length, 2500);
      for (const i of [0, 1023, 1024, 2047, 2048, 2499]) {
        const one = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: rows[i] } });
        assert.equal(r.body.data.predictions[i].probability, one.body.data.probability, `row ${i}`);
      }
    });
    it('says the model once, in data: a classifier row is {prediction, probability, probabilities, confidence}', async () => {
      const r = await batch({ model: 'loan-approval', instances: applicants(3) });
      for (const row of r.body.data.predictions) {
        assert.deepEqual(Object.keys(row), ['prediction', 'probability', 'probabilities', 'confidence']);
      }
      const explained = await batch({ model: 'loan-approval', instances: applicants(2), options: { explain: true } });
      assert.deepEqual(Object.keys(explained.body.data.predictions[0]), ['prediction', 'probability', 'probabilities', 'confidence', 'explanation']);
    });
    it('serves a regression batch of {prediction} rows', async () => {
      const r = await batch({ model: 'house-price', instances: [SAMPLES['house-price'], { ...SAMPLES['house-price'], area_sqm: 300 }] });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.data.predictions.map((row: object) => Object.keys(row)), [['prediction'], ['prediction']]);
      assert.ok(r.body.data.predictions[1].prediction > r.body.data.predictions[0].prediction);
    });
  });

  describe('with invalid instances', () => {
    it('answers 422 with one detail per problem, pointing into instances, and predicts nothing', async () => {
      const rows: Array<Record<string, unknown>> = applicants(10);
      rows[7] = { ...rows[7], credit_score: 'high' };
      rows[3] = { ...rows[3], extra: 1 };
      const r = await batch({ model: 'loan-approval', instances: rows });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field).sort(), ['/instances/3/extra', '/instances/7/credit_score']);
    });
    it('keeps at most 100 details and gives the total in the message', async () => {
      const rows = Array.from({ length: 150 }, () => ({ ...SAMPLES['loan-approval'], age: 5 }));
      const r = await batch({ model: 'loan-approval', instances: rows });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details.length, 100);
      assert.equal(r.body.error.message, '150 invalid fields');
    });
    it('answers 422 for an empty instances array', async () => {
      const r = await batch({ model: 'loan-approval', instances: [] });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/instances');
    });
    it('answers 422 for an instance that is not an object', async () => {
      const r = await batch({ model: 'loan-approval', instances: [SAMPLES['loan-approval'], 5] });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/instances/1');
    });
  });

  describe('over the limits', () => {
    it('answers 413 BATCH_TOO_LARGE above MAX_BATCH_SIZE, before looking at the instances', async () => {
      const r = await batch({ model: 'loan-approval', instances: Array.from({ length: 3001 }, () => ({})) });
      expectError(r, 413, 'BATCH_TOO_LARGE');
    });
    it('accepts a batch body up to 32 × BODY_LIMIT_BYTES and answers 413 PAYLOAD_TOO_LARGE above it', async () => {
      const rows = applicants(2900);
      const ok = await batch({ model: 'loan-approval', instances: rows });
      assert.ok(JSON.stringify({ model: 'loan-approval', instances: rows }).length > 65536);
      assert.equal(ok.status, 200);
      const huge = JSON.stringify({ model: 'loan-approval', instances: rows, pad: 'x'.repeat(32 * 65536) });
      const r = await t.call('POST', '/api/v1/predict/batch', { raw: huge, headers: { 'content-type': 'application/json' } });
      expectError(r, 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  it('answers GET with 405 and an Allow header', async () => {
    const r = await t.call('GET', '/api/v1/predict/batch');
    expectError(r, 405, 'METHOD_NOT_ALLOWED');
    assert.match(r.headers.get('allow')!, /POST/);
  });
});
