/**
 * customer-churn over /api/v1 (API.md §14 "Named features, derived"): a
 * shipped model without model.json, one graph input per column, three of them
 * strings that reach a OneHotEncoder(zeros=0), ending in a ZipMap.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COLUMNS, main as trainChurn, type ChurnResult } from '../../scripts/train-customer-churn.js';
import { predictProba, type PipelineRow } from '../../scripts/lib/skl2onnx-layout.js';
import { waitForJob } from '../helpers/jobs.js';
import { expectError, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let churn: ChurnResult;
const scratch = mkdtempSync(join(tmpdir(), 'customer-churn-'));
before(async () => {
  // The training run is deterministic: it rebuilds the shipped file, and hands back its held-out rows and forward pass.
  [t, churn] = await Promise.all([startServer(), trainChurn(scratch, { verify: false, log: false })]);
});
after(async () => {
  await t.close();
  rmSync(scratch, { recursive: true, force: true });
});

const MODEL = 'customer-churn';
const SAMPLE = { age: 35, plan: 'basic', contract: 'month-to-month', region: 'west', tenure_months: 3, monthly_charges: 29.5, support_calls: 4 };
const predict = (features: unknown, options?: unknown) => t.call('POST', '/api/v1/predict', { body: { model: MODEL, features, ...(options ? { options } : {}) } });
const batch = (instances: unknown[], options?: unknown) =>
  t.call('POST', '/api/v1/predict/batch', { body: { model: MODEL, instances, ...(options ? { options } : {}) } });
const expected = (row: PipelineRow) => {
  const [no, yes] = predictProba(churn.pipeline, row);
  return { no: no!, yes: yes! };
};
const close = (got: Record<string, number>, want: { no: number; yes: number }, what: string) => {
  for (const label of ['no', 'yes'] as const) assert.ok(Math.abs(got[label]! - want[label]) < 1e-6, `${what} ${label}: ${got[label]} vs ${want[label]}`);
};

describe('customer-churn over /api/v1', () => {
  describe('its warm-up', () => {
    it("is batchable and on the main thread: the '' warm-up its encoders refuse is retried on the features' baselines", async () => {
      const v = t.service.registry.resolve(MODEL);
      assert.equal(v.placement, 'main');
      assert.equal(v.batchable, true);
      const r = await t.call('GET', `/v2/models/${MODEL}/config`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.batching.dynamic, true);
    });
  });

  describe('POST /api/v1/predict with string features', () => {
    it("answers the training code's own probabilities (within 1e-6) for held-out rows, labelled by the 0.5 threshold on 'yes'", async () => {
      for (const { row } of churn.heldOut.slice(0, 5)) {
        const r = await predict(row);
        assert.equal(r.status, 200, r.text);
        const d = r.body.data;
        assert.equal(d.model, MODEL);
        assert.equal(d.model_version, '1');
        const want = expected(row);
        close(d.probabilities, want, JSON.stringify(row));
        assert.equal(d.prediction, Math.fround(want.yes) >= 0.5 ? 'yes' : 'no');
        assert.equal(d.probability, d.probabilities[d.prediction]);
        assert.ok(['high', 'medium', 'low'].includes(d.confidence));
      }
    });

    it('answers the same through the per-model route', async () => {
      const r = await t.call('POST', `/api/v1/models/${MODEL}/predict`, { body: { features: SAMPLE } });
      assert.equal(r.status, 200, r.text);
      close(r.body.data.probabilities, expected(SAMPLE), 'sample');
    });
  });

  describe('with an unknown category', () => {
    it('answers 422 VALIDATION_ERROR at /features/plan with what was received, never an ONNX error', async () => {
      const r = await predict({ ...SAMPLE, plan: 'platinum' });
      expectError(r, 422, 'VALIDATION_ERROR');
      const [detail, ...rest] = r.body.error.details;
      assert.deepEqual(rest, []);
      assert.equal(detail.field, '/features/plan');
      assert.equal(detail.received, 'platinum');
      assert.match(detail.message, /allowed values/);
    });
    it('points into the batch at /instances/{i}/{column}', async () => {
      const r = await batch([SAMPLE, { ...SAMPLE, region: 'mars' }]);
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field), ['/instances/1/region']);
    });
  });

  describe('with a column missing, or a number for a string', () => {
    it('answers 422 at the missing column (no received) and at the mistyped one', async () => {
      const { contract: _gone, ...missing } = SAMPLE;
      const r = await predict({ ...missing, plan: 3 });
      expectError(r, 422, 'VALIDATION_ERROR');
      const fields = r.body.error.details.map((d: { field: string }) => d.field).sort();
      assert.ok(fields.includes('/features/contract'), fields.join());
      assert.ok(fields.includes('/features/plan'), fields.join());
      const gone = r.body.error.details.find((d: { field: string }) => d.field === '/features/contract');
      assert.equal('received' in gone, false);
    });
    it('refuses a string for a number column, and a features array', async () => {
      expectError(await predict({ ...SAMPLE, age: '35' }), 422, 'VALIDATION_ERROR');
      const r = await predict(Object.values(SAMPLE));
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/features');
    });
  });

  describe('POST /api/v1/predict/batch', () => {
    it("answers every held-out row with the training code's probabilities, in order", async () => {
      const rows = churn.heldOut.slice(0, 200).map((c) => c.row);
      const r = await batch(rows);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.count, rows.length);
      r.body.data.predictions.forEach((p: { probabilities: Record<string, number> }, i: number) => close(p.probabilities, expected(rows[i]!), `row ${i}`));
    });
  });

  describe('options.explain with string features', () => {
    it('ranks the seven columns by occlusion with their baselines, top_k of them', async () => {
      const r = await predict(SAMPLE, { explain: true, top_k: 7 });
      assert.equal(r.status, 200, r.text);
      const { method, top_features } = r.body.data.explanation;
      assert.equal(method, 'occlusion');
      assert.deepEqual(top_features.map((f: { feature: string }) => f.feature).sort(), [...COLUMNS].sort());
      for (let i = 1; i < top_features.length; i++) assert.ok(top_features[i - 1].importance >= top_features[i].importance);
      assert.ok(top_features.every((f: { importance: number }) => f.importance >= 0));
      // A month-to-month contract moves p(churn) the most against its baseline (the first category, 'month-to-month', moves nothing).
      const byName = new Map(top_features.map((f: { feature: string; importance: number }) => [f.feature, f.importance]));
      assert.equal(byName.get('contract'), 0);
    });
    it('refuses top_k above the number of features (7)', async () => {
      const r = await predict(SAMPLE, { explain: true, top_k: 8 });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/options/top_k');
    });
  });

  describe('records and the cache', () => {
    it('stores the features as sent, and reads them back', async () => {
      const features = { ...SAMPLE, region: 'north', age: 61 };
      const p = await predict(features);
      assert.equal(p.status, 200, p.text);
      const r = await t.call('GET', `/api/v1/predictions/${p.body.data.id}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.data.features, features);
      assert.equal(r.body.data.prediction, p.body.data.prediction);
      assert.deepEqual(r.body.data.probabilities, p.body.data.probabilities);
    });
    it('answers an identical request from the cache, and another category from the model', async () => {
      const features = { ...SAMPLE, age: 77, plan: 'premium' };
      const first = await predict(features);
      const second = await predict({ ...features });
      const other = await predict({ ...features, plan: 'standard' });
      assert.equal(first.body.meta.cache, 'miss');
      assert.equal(second.body.meta.cache, 'hit');
      assert.equal(other.body.meta.cache, 'miss');
      assert.deepEqual(second.body.data.probabilities, first.body.data.probabilities);
      assert.notDeepEqual(other.body.data.probabilities, first.body.data.probabilities);
    });
  });

  describe('an async batch job with string features', () => {
    it('succeeds with the synchronous answer', async () => {
      const rows = churn.heldOut.slice(0, 30).map((c) => c.row);
      const r = await batch(rows, { async: true, explain: true, top_k: 2 });
      assert.equal(r.status, 202, r.text);
      const job = await waitForJob(t, r.body.data.job_id);
      assert.equal(job.status, 'succeeded', JSON.stringify(job));
      const sync = await batch(rows, { explain: true, top_k: 2 });
      assert.deepEqual(job.result, sync.body.data);
    });
    it('is refused before the 202 when a category is unknown', async () => {
      const r = await batch([{ ...SAMPLE, contract: 'ten-year' }], { async: true });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/instances/0/contract');
    });
  });
});
