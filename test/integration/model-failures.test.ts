import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';
import { shippedConfig, shippedOnnx, tempRepository, type TempRepository } from '../helpers/repository.js';

describe('a model repository with broken models', () => {
  let repo: TempRepository;
  let t: TestServer;
  before(async () => {
    const iris = shippedConfig('iris');
    repo = tempRepository()
      .copy('loan-approval')
      .write('corrupt', iris, { '1': 'this is not an onnx file' })
      .write('missing-file', iris, { '1': null })
      .write('wrong-input', { ...iris, input: 'no_such_input' }, { '1': shippedOnnx('iris', '1') })
      .write('wrong-width', { ...iris, features: iris.features.slice(0, 3) }, { '1': shippedOnnx('iris', '1') })
      .write('wrong-labels', { ...iris, labels: ['a', 'b', 'c', 'd'] }, { '1': shippedOnnx('iris', '1') })
      .write('bad-config', '{"task": "clustering"}', { '1': shippedOnnx('iris', '1') })
      // iris v1 is good, v2 corrupt: the model serves from v1.
      .write('half', iris, { '1': shippedOnnx('iris', '1'), '2': 'garbage' });
    t = await startServer({ env: { MODEL_REPOSITORY: repo.dir } });
  });
  after(async () => {
    await t.close();
    repo.remove();
  });

  it('keeps serving the good models', async () => {
    const r = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: SAMPLES['loan-approval'] } });
    assert.equal(r.status, 200);
  });

  it('reports health 200 degraded with each broken version failed', async () => {
    const r = await t.call('GET', '/api/v1/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.data.status, 'degraded');
    const state = (name: string, version = '1') =>
      r.body.data.models.find((m: { name: string; version: string }) => m.name === name && m.version === version)?.state;
    for (const name of ['corrupt', 'missing-file', 'wrong-input', 'wrong-width', 'wrong-labels', 'bad-config']) {
      assert.equal(state(name), 'failed', name);
    }
    assert.equal(state('loan-approval', '2'), 'ready');
    assert.equal(state('half', '1'), 'ready');
    assert.equal(state('half', '2'), 'failed');
  });

  it('says why in /models/{name}, without paths or library messages', async () => {
    const reasons: Record<string, RegExp> = {
      corrupt: /could not be loaded/,
      'missing-file': /model\.onnx is missing/,
      // A member that contradicts the graph is named (API.md §14).
      'wrong-input': /model\.json \/input names 'no_such_input'/,
      'wrong-width': /model\.json \/features lists 3 features, but input 'features' has 4 columns/,
      'wrong-labels': /model\.json \/labels lists 4 labels, but output 'probabilities' has 3 columns/,
      'bad-config': /model\.json is invalid/,
    };
    for (const [name, reason] of Object.entries(reasons)) {
      const r = await t.call('GET', `/api/v1/models/${name}`);
      assert.equal(r.status, 200, name);
      assert.equal(r.body.data.state, 'failed', name);
      assert.match(r.body.data.reason, reason, name);
      assert.doesNotMatch(r.text, /\/tmp|\/work|onnxruntime|\.cc/i, name);
    }
  });

  it('logs the reason', () => {
    assert.ok(t.logs.some((l) => l.model === 'corrupt' && l.msg === 'model version failed to load'));
  });

  it('answers 503 MODEL_NOT_READY for a failed model, with Retry-After', async () => {
    const r = await t.call('POST', '/api/v1/predict', { body: { model: 'corrupt', features: SAMPLES.iris } });
    expectError(r, 503, 'MODEL_NOT_READY');
    assert.ok(r.headers.get('retry-after'));
  });

  it('serves the latest ready version when a newer one failed, and 503 for the failed one', async () => {
    const r = await t.call('POST', '/api/v1/predict', { body: { model: 'half', features: SAMPLES.iris } });
    assert.equal(r.status, 200);
    assert.equal(r.body.data.model_version, '1');
    expectError(await t.call('POST', '/api/v1/predict', { body: { model: 'half', version: '2', features: SAMPLES.iris } }), 503, 'MODEL_NOT_READY');
  });
});

describe('a model repository where no model loads', () => {
  it('answers health 503 degraded, each model with the version it tried', async () => {
    const repo = tempRepository().write('corrupt', shippedConfig('iris'), { '3': 'garbage' });
    const t = await startServer({ env: { MODEL_REPOSITORY: repo.dir } });
    try {
      const r = await t.call('GET', '/api/v1/health');
      expectError(r, 503, 'SERVICE_UNAVAILABLE');
      assert.equal(r.body.data.status, 'degraded');
      assert.deepEqual(r.body.data.models, [{ name: 'corrupt', version: '3', state: 'failed' }]);
      assert.ok(r.headers.get('retry-after'));
    } finally {
      await t.close();
      repo.remove();
    }
  });
});
