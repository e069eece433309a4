import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { sample } from '../helpers/metrics.js';
import { scratchServer } from '../helpers/scratch-server.js';
import { expectError, SAMPLES } from '../helpers/server.js';

const s = scratchServer();

const patch = (name: string, body: unknown) => s.t.call('PATCH', `/api/v1/models/${name}`, { body });
const onDisk = (name: string) => JSON.parse(readFileSync(s.repo.path(name, 'model.json'), 'utf8'));
const predictLoan = (extra: Record<string, unknown> = {}) =>
  s.t.call('POST', '/api/v1/models/loan-approval/predict', { body: { features: SAMPLES['loan-approval'], ...extra } });

describe('PATCH /api/v1/models/{name}', () => {
  describe('with a threshold', () => {
    it('answers 200 with the new threshold, writes model.json and predicts with it', async () => {
      const p = (await predictLoan()).body.data.probabilities.approved as number;
      const above = Math.min(1, Math.round((p + 0.01) * 1000) / 1000);
      const r = await patch('loan-approval', { threshold: above });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.threshold, above);
      assert.equal(onDisk('loan-approval').threshold, above);
      assert.equal((await predictLoan()).body.data.prediction, 'denied');
      await patch('loan-approval', { threshold: Math.max(0, p - 0.01) });
      assert.equal((await predictLoan()).body.data.prediction, 'approved');
      assert.equal(s.changes.at(-1)!.kind, 'settings');
      assert.deepEqual(s.changes.at(-1)!.versions, ['1', '2']);
    });
  });

  describe('with confidence cut-offs', () => {
    it('changes how confidence is reported', async () => {
      const r = await patch('iris', { confidence: { high: 0.01, medium: 0.005 } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.data.confidence, { high: 0.01, medium: 0.005 });
      const p = await s.t.call('POST', '/api/v1/models/iris/predict', { body: { features: SAMPLES.iris } });
      assert.equal(p.body.data.confidence, 'high');
    });
  });

  describe('with a default version', () => {
    it('serves it when no version is asked for, and null unpins it', async () => {
      const r = await patch('loan-approval', { default_version: '1' });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.default_version, '1');
      assert.equal((await predictLoan()).body.data.model_version, '1');
      assert.equal(onDisk('loan-approval').default_version, '1');
      await patch('loan-approval', { default_version: null });
      assert.equal((await predictLoan()).body.data.model_version, '2');
      assert.equal('default_version' in onDisk('loan-approval'), false);
    });
  });

  describe('with batching', () => {
    it('merges it and runs a batch in chunks of max_batch_size', async () => {
      const r = await patch('house-price', { batching: { max_batch_size: 2 } });
      assert.deepEqual(r.body.data.batching, { max_batch_size: 2, max_delay_ms: 1 });
      const v = { model: 'house-price', version: '1' };
      const runs = sample((await s.t.call('GET', '/metrics')).text, 'inference_runs_total', v) ?? 0;
      const instances = Array.from({ length: 5 }, () => SAMPLES['house-price']);
      assert.equal((await s.t.call('POST', '/api/v1/predict/batch', { body: { model: 'house-price', instances } })).status, 200);
      assert.equal(sample((await s.t.call('GET', '/metrics')).text, 'inference_runs_total', v), runs + 3);
    });
  });

  describe('with max_batch_size 0', () => {
    it('turns batching off: each request runs alone, as sent, and batching comes back with a size', async () => {
      const r = await patch('house-price', { batching: { max_batch_size: 0 } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.data.batching, { max_batch_size: 0, max_delay_ms: 1 });
      assert.equal(onDisk('house-price').batching.max_batch_size, 0);
      const config = await s.t.call('GET', '/v2/models/house-price/config');
      assert.equal(config.body.batching.dynamic, false);
      assert.equal((await s.t.call('POST', '/api/v1/models/house-price/predict', { body: { features: SAMPLES['house-price'] } })).status, 200);
      const on = await patch('house-price', { batching: { max_batch_size: 64 } });
      assert.equal(on.status, 200, on.text);
      assert.equal((await s.t.call('GET', '/v2/models/house-price/config')).body.batching.dynamic, true);
    });
  });

  describe('with an empty object', () => {
    it('answers 200 and s.changes nothing', async () => {
      const before = onDisk('iris');
      const r = await patch('iris', {});
      assert.equal(r.status, 200);
      assert.deepEqual(onDisk('iris'), before);
    });
  });

  describe('with a body the schema refuses', () => {
    const cases: Array<[string, unknown, string]> = [
      ['an unknown member', { thresold: 0.5 }, '/thresold'],
      ['a threshold as a string', { threshold: '0.5' }, '/threshold'],
      ['a threshold above 1', { threshold: 1.5 }, '/threshold'],
      ['a default version that cannot be one', { default_version: 2 }, '/default_version'],
      ['confidence without medium', { confidence: { high: 0.9 } }, '/confidence/medium'],
      ['a negative max_batch_size', { batching: { max_batch_size: -1 } }, '/batching/max_batch_size'],
      ['an unknown batching member', { batching: { size: 2 } }, '/batching/size'],
    ];
    for (const [what, body, field] of cases) {
      it(`answers 422 pointing at ${field} for ${what}`, async () => {
        const r = await patch('loan-approval', body);
        expectError(r, 422, 'VALIDATION_ERROR');
        assert.ok(r.body.error.details.some((d: { field: string }) => d.field === field), r.text);
      });
    }

    it('answers 422 with field "" for a body that is not an object', async () => {
      const r = await patch('loan-approval', [1]);
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '');
    });
  });

  describe('with settings that do not fit the model', () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['a threshold on a three-class model', 'iris', { threshold: 0.5 }, '/threshold'],
      ['confidence on a regression model', 'house-price', { confidence: { high: 0.8, medium: 0.6 } }, '/confidence'],
      ['medium above high', 'iris', { confidence: { high: 0.5, medium: 0.7 } }, '/confidence/medium'],
      ['a default version that does not exist', 'loan-approval', { default_version: '9' }, '/default_version'],
    ];
    for (const [what, name, body, field] of cases) {
      it(`answers 422 pointing at ${field} for ${what}, and s.changes nothing`, async () => {
        const before = onDisk(name);
        const r = await patch(name, body);
        expectError(r, 422, 'VALIDATION_ERROR');
        assert.equal(r.body.error.details[0].field, field);
        assert.deepEqual(onDisk(name), before);
      });
    }
  });

  describe('with a body that is not JSON', () => {
    it('answers 415', async () => {
      const r = await s.t.call('PATCH', '/api/v1/models/iris', { raw: 'threshold=0.5', headers: { 'content-type': 'text/plain' } });
      expectError(r, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('for an unknown model', () => {
    it('answers 404 MODEL_NOT_FOUND', async () => {
      expectError(await patch('no-such-model', { threshold: 0.5 }), 404, 'MODEL_NOT_FOUND');
    });
  });
});
