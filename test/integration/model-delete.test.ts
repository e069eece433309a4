import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { sample } from '../helpers/metrics.js';
import { scratchServer } from '../helpers/scratch-server.js';
import { expectError, SAMPLES } from '../helpers/server.js';

const s = scratchServer();

const names = async () => (await s.t.call('GET', '/api/v1/models')).body.data.models.map((m: { name: string }) => m.name);

describe('DELETE /api/v1/models/{name}/versions/{version}', () => {
  describe('for the pinned default version', () => {
    it('answers 204, then the version is gone, predictions for it 404, and the pin is lifted', async () => {
      const r = await s.t.call('DELETE', '/api/v1/models/loan-approval/versions/2');
      assert.equal(r.status, 204);
      assert.equal(r.text, '');
      assert.ok(r.headers.get('x-request-id'));
      expectError(await s.t.call('GET', '/api/v1/models/loan-approval/versions/2'), 404, 'MODEL_NOT_FOUND');
      const p = await s.t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', version: '2', features: SAMPLES['loan-approval'] } });
      expectError(p, 404, 'MODEL_NOT_FOUND');
      const latest = await s.t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: SAMPLES['loan-approval'] } });
      assert.equal(latest.body.data.model_version, '1');
      assert.equal(existsSync(s.repo.path('loan-approval', '2')), false);
      assert.equal('default_version' in JSON.parse(readFileSync(s.repo.path('loan-approval', 'model.json'), 'utf8')), false);
      assert.deepEqual(s.changes.at(-1), { model: 'loan-approval', kind: 'removed', versions: ['2'] });
      const metrics = (await s.t.call('GET', '/metrics')).text;
      assert.equal(sample(metrics, 'model_state', { model: 'loan-approval', version: '2', state: 'ready' }), undefined);
    });
  });

  describe('for a version that does not exist', () => {
    it('answers 404 MODEL_NOT_FOUND', async () => {
      expectError(await s.t.call('DELETE', '/api/v1/models/iris/versions/7'), 404, 'MODEL_NOT_FOUND');
    });
  });
});

describe('DELETE /api/v1/models/{name}', () => {
  describe('for a model that serves', () => {
    it('answers 204, then the model is gone from the list and its predictions 404', async () => {
      assert.ok((await names()).includes('iris'));
      const r = await s.t.call('DELETE', '/api/v1/models/iris');
      assert.equal(r.status, 204);
      assert.equal(r.text, '');
      assert.ok(!(await names()).includes('iris'));
      expectError(await s.t.call('GET', '/api/v1/models/iris'), 404, 'MODEL_NOT_FOUND');
      expectError(await s.t.call('POST', '/api/v1/models/iris/predict', { body: { features: SAMPLES.iris } }), 404, 'MODEL_NOT_FOUND');
      expectError(await s.t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } }), 404, 'MODEL_NOT_FOUND');
      assert.equal(existsSync(s.repo.path('iris')), false);
      assert.deepEqual(s.changes.at(-1), { model: 'iris', kind: 'removed', versions: ['1'] });
      const health = await s.t.call('GET', '/api/v1/health');
      assert.equal(health.status, 200);
      assert.ok(!health.body.data.models.some((m: { name: string }) => m.name === 'iris'));
    });
  });

  describe('for a model that does not exist', () => {
    it('answers 404 MODEL_NOT_FOUND', async () => {
      expectError(await s.t.call('DELETE', '/api/v1/models/iris'), 404, 'MODEL_NOT_FOUND');
      expectError(await s.t.call('DELETE', '/api/v1/models/NOT_A_NAME'), 404, 'MODEL_NOT_FOUND');
    });
  });

  describe('with another method on the model path', () => {
    it('lists PATCH and DELETE in Allow', async () => {
      const r = await s.t.call('POST', '/api/v1/models/house-price', { body: {} });
      expectError(r, 405, 'METHOD_NOT_ALLOWED');
      assert.equal(r.headers.get('allow'), 'GET, HEAD, PATCH, DELETE, OPTIONS');
    });
  });
});
