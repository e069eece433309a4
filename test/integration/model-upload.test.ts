import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ModelChange } from '../../src/inference/serving/model-changes.js';
import { copyModels, shippedModel, type ScratchRepository } from '../helpers/repository.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

let repo: ScratchRepository;
let t: TestServer;
const changes: ModelChange[] = [];
before(async () => {
  repo = copyModels();
  // Small runs, so that a batch request spans many runs (and a swap can fall between two of them).
  const configPath = repo.path('loan-approval', 'model.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  writeFileSync(configPath, JSON.stringify({ ...config, batching: { max_batch_size: 2, max_delay_ms: 1 } }));
  t = await startServer({ env: { MODEL_REPOSITORY: repo.dir, MODEL_UPLOAD_LIMIT_BYTES: '4096', MODEL_POLL_INTERVAL_MS: '0' } });
  t.service.registry.onChange((c) => changes.push(c));
});
after(async () => {
  await t.close();
  repo.remove();
});

const upload = (path: string, bytes: Uint8Array, type = 'application/octet-stream') =>
  t.call('PUT', path, { raw: bytes, headers: { 'content-type': type } });

const predictLoan = (version?: string) =>
  t.call('POST', '/api/v1/models/loan-approval/predict', { body: { features: SAMPLES['loan-approval'], ...(version && { version }) } });

describe('PUT /api/v1/models/{name}/versions/{version}', () => {
  describe('with a valid ONNX file for a new version', () => {
    it('answers 201 with Location, stores the file and serves the version', async () => {
      const bytes = shippedModel('loan-approval', '1');
      const r = await upload('/api/v1/models/loan-approval/versions/3', bytes);
      assert.equal(r.status, 201, r.text);
      assert.equal(r.headers.get('location'), '/api/v1/models/loan-approval/versions/3');
      assert.equal(r.body.data.version, '3');
      assert.equal(r.body.data.state, 'ready');
      assert.deepEqual(r.body.data.inputs, [{ name: 'features', datatype: 'FP32', shape: [-1, 5] }]);
      assert.deepEqual(readFileSync(repo.path('loan-approval', '3', 'model.onnx')), bytes);
      const list = await t.call('GET', '/api/v1/models');
      assert.deepEqual(list.body.data.models.find((m: { name: string }) => m.name === 'loan-approval').versions, ['1', '2', '3']);
      const p = await predictLoan('3');
      assert.equal(p.status, 200);
      assert.equal(p.body.data.model_version, '3');
      assert.deepEqual(changes.at(-1), { model: 'loan-approval', kind: 'added', versions: ['3'] });
    });

    it('serves the new, higher version by default as soon as it is ready (no pin shipped)', async () => {
      assert.equal((await predictLoan()).body.data.model_version, '3');
    });
  });

  describe('with a valid ONNX file for an existing version', () => {
    it('answers 200 without Location and serves the new file under that version', async () => {
      const before = (await predictLoan('2')).body.data.probability;
      const r = await upload('/api/v1/models/loan-approval/versions/1', shippedModel('loan-approval', '2'));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('location'), null);
      assert.equal((await predictLoan('1')).body.data.probability, before);
      assert.deepEqual(changes.at(-1), { model: 'loan-approval', kind: 'replaced', versions: ['1'] });
    });
  });

  describe('with bytes ONNX Runtime cannot load', () => {
    it('answers 422 VALIDATION_ERROR saying why and stores nothing', async () => {
      const r = await upload('/api/v1/models/loan-approval/versions/4', Buffer.from('this is not an onnx model'));
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.match(r.body.error.message, /could not be loaded by ONNX Runtime/);
      assert.equal(r.body.error.details[0].field, '');
      assert.doesNotMatch(r.text, /\/tmp|onnxruntime_src|\.cc/);
      assert.equal(existsSync(repo.path('loan-approval', '4')), false);
      expectError(await t.call('GET', '/api/v1/models/loan-approval/versions/4'), 404, 'MODEL_NOT_FOUND');
    });
  });

  describe('with a model whose input does not fit the config', () => {
    it('answers 422 naming the model.json member it contradicts, and the shape', async () => {
      const r = await upload('/api/v1/models/loan-approval/versions/5', shippedModel('iris', '1'));
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.match(r.body.error.message, /model\.json \/features lists 5 features, but input 'features' has 4 columns/);
      assert.equal(existsSync(repo.path('loan-approval', '5')), false);
    });

    it('answers 422 naming a missing output', async () => {
      const r = await upload('/api/v1/models/iris/versions/2', shippedModel('house-price', '1'));
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.match(r.body.error.message, /model\.json \/outputs\/probabilities names 'probabilities', which is not an output of the graph/);
    });
  });

  describe('with a bad file for the version that serves', () => {
    it('keeps the old file and the old session serving', async () => {
      const onDisk = readFileSync(repo.path('loan-approval', '2', 'model.onnx'));
      const r = await upload('/api/v1/models/loan-approval/versions/2', Buffer.from([0x08, 0x07, 0x12, 0x00]));
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(readFileSync(repo.path('loan-approval', '2', 'model.onnx')), onDisk);
      const p = await predictLoan('2');
      assert.equal(p.status, 200);
    });
  });

  describe('while requests run on the version being replaced', () => {
    it('fails none of them, even a batch whose runs straddle the swap', async () => {
      let running = true;
      const statuses: number[] = [];
      const instances = Array.from({ length: 40 }, () => SAMPLES['loan-approval']);
      const batch = () => t.call('POST', '/api/v1/predict/batch', { body: { model: 'loan-approval', version: '2', instances } });
      const load = Promise.all([0, 1, 2, 3].map(async (w) => {
        while (running) statuses.push((w % 2 === 0 ? await predictLoan('2') : await batch()).status);
      }));
      for (let i = 0; i < 5; i++) {
        const r = await upload('/api/v1/models/loan-approval/versions/2', shippedModel('loan-approval', '2'));
        assert.equal(r.status, 200);
      }
      running = false;
      await load;
      assert.ok(statuses.length > 0);
      assert.deepEqual(statuses.filter((s) => s !== 200), []);
    });
  });

  describe('with another Content-Type', () => {
    it('answers 415', async () => {
      expectError(await upload('/api/v1/models/iris/versions/2', shippedModel('iris', '1'), 'application/json'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      const r = await t.call('PUT', '/api/v1/models/iris/versions/2', { raw: shippedModel('iris', '1') });
      expectError(r, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('accepts parameters and any case', async () => {
      const r = await upload('/api/v1/models/iris/versions/1', shippedModel('iris', '1'), 'Application/Octet-Stream; foo=bar');
      assert.equal(r.status, 200, r.text);
    });
  });

  describe('with a file over MODEL_UPLOAD_LIMIT_BYTES', () => {
    it('answers 413 PAYLOAD_TOO_LARGE', async () => {
      expectError(await upload('/api/v1/models/iris/versions/2', Buffer.alloc(5000, 1)), 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('with an empty body', () => {
    it('answers 422', async () => {
      expectError(await upload('/api/v1/models/iris/versions/2', Buffer.alloc(0)), 422, 'VALIDATION_ERROR');
    });
  });

  // A new (valid) name creates the model: model-derived.test.ts.
  describe('for a path that cannot be a model name or a version', () => {
    for (const path of ['/api/v1/models/iris/versions/0', '/api/v1/models/iris/versions/v2', '/api/v1/models/Iris/versions/1']) {
      it(`answers 404 MODEL_NOT_FOUND for ${path}`, async () => {
        expectError(await upload(path, shippedModel('iris', '1')), 404, 'MODEL_NOT_FOUND');
      });
    }
  });

  describe('with another method on the version path', () => {
    it('lists PUT and DELETE in Allow', async () => {
      const r = await t.call('POST', '/api/v1/models/iris/versions/1', { body: {} });
      expectError(r, 405, 'METHOD_NOT_ALLOWED');
      assert.equal(r.headers.get('allow'), 'GET, HEAD, PUT, DELETE, OPTIONS');
    });
  });
});
