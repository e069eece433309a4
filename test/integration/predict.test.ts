import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.close());

const post = (path: string, body: unknown, headers?: Record<string, string>) =>
  t.call('POST', path, { body, headers });

describe('POST /api/v1/predict', () => {
  describe('with valid loan-approval features', () => {
    it('answers 200 with a binary prediction from the latest version', async () => {
      const r = await post('/api/v1/predict', { model: 'loan-approval', features: SAMPLES['loan-approval'] });
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'success');
      const d = r.body.data;
      assert.match(d.id, /^pred_[A-Za-z0-9_-]{16,}$/);
      assert.equal(d.model, 'loan-approval');
      assert.equal(d.model_version, '2');
      assert.ok(['approved', 'denied'].includes(d.prediction));
      assert.ok(Math.abs(d.probabilities.approved + d.probabilities.denied - 1) < 1e-6);
      assert.equal(d.probability, d.probabilities[d.prediction]);
      assert.equal(r.body.meta.model, 'loan-approval');
      assert.equal(r.body.meta.model_version, '2');
      assert.equal(r.body.meta.request_id, r.headers.get('x-request-id'));
      assert.match(r.headers.get('content-type')!, /^application\/json; charset=utf-8$/);
    });
  });
});
