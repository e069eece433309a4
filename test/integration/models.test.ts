import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectError, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.close());

describe('GET /api/v1/models', () => {
  it('lists every shipped model with its versions, state, task and link', async () => {
    const r = await t.call('GET', '/api/v1/models');
    assert.equal(r.status, 200);
    const byName = new Map(r.body.data.models.map((m: { name: string }) => [m.name, m]));
    assert.deepEqual(byName.get('loan-approval'), {
      name: 'loan-approval', version: '2', versions: ['1', '2'], state: 'ready', task: 'classification',
      description: (byName.get('loan-approval') as { description: string }).description,
      links: { self: '/api/v1/models/loan-approval' },
    });
    assert.equal((byName.get('iris') as { task: string }).task, 'classification');
    assert.equal((byName.get('house-price') as { task: string }).task, 'regression');
  });
});

describe('GET /api/v1/models/{name}', () => {
  it('describes loan-approval: inputs and outputs from the ONNX file, features, labels, threshold', async () => {
    const r = await t.call('GET', '/api/v1/models/loan-approval');
    assert.equal(r.status, 200);
    const d = r.body.data;
    assert.equal(d.version, '2');
    assert.deepEqual(d.inputs, [{ name: 'features', datatype: 'FP32', shape: [-1, 5] }]);
    assert.deepEqual(d.outputs, [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }]);
    assert.deepEqual(d.features.required, ['age', 'income', 'credit_score', 'employment_years', 'loan_amount']);
    assert.equal(d.features.additionalProperties, false);
    assert.deepEqual(d.features.properties.age, { type: 'integer', description: d.features.properties.age.description, minimum: 18, maximum: 120 });
    assert.deepEqual(d.labels, ['denied', 'approved']);
    assert.equal(d.threshold, 0.5);
    assert.deepEqual(d.confidence, { high: 0.8, medium: 0.6 });
    assert.equal(d.execution_provider, 'cpu');
    assert.deepEqual(Object.keys(d.batching).sort(), ['max_batch_size', 'max_delay_ms']);
    assert.equal(r.body.meta.request_id, r.headers.get('x-request-id'));
  });
  it('links to itself at /api/v1/models/<name>, as the list does (API.md §11)', async () => {
    const d = (await t.call('GET', '/api/v1/models/loan-approval')).body.data;
    assert.equal(d.links.self, '/api/v1/models/loan-approval');
  });
  it('pins no default version out of the box: the latest ready version serves', async () => {
    const d = (await t.call('GET', '/api/v1/models/loan-approval')).body.data;
    assert.equal('default_version' in d, false);
    assert.equal(d.version, '2');
  });
  it('describes iris with its ONNX-ML outputs and no threshold', async () => {
    const d = (await t.call('GET', '/api/v1/models/iris')).body.data;
    assert.deepEqual(d.labels, ['setosa', 'versicolor', 'virginica']);
    assert.equal(d.threshold, undefined);
    assert.deepEqual(d.outputs.map((o: { name: string; datatype: string }) => `${o.name}:${o.datatype}`), ['label:INT64', 'probabilities:FP32']);
  });
  it('describes the regression model without labels', async () => {
    const d = (await t.call('GET', '/api/v1/models/house-price')).body.data;
    assert.equal(d.task, 'regression');
    assert.equal('labels' in d, false);
    assert.equal('confidence' in d, false);
  });
  it('answers 404 MODEL_NOT_FOUND for an unknown name and for a name that cannot be one', async () => {
    expectError(await t.call('GET', '/api/v1/models/nope'), 404, 'MODEL_NOT_FOUND');
    expectError(await t.call('GET', '/api/v1/models/Bad%20Name'), 404, 'MODEL_NOT_FOUND');
  });
});

describe('GET /api/v1/models/{name}/versions/{version}', () => {
  it('describes that version', async () => {
    const r = await t.call('GET', '/api/v1/models/loan-approval/versions/1');
    assert.equal(r.status, 200);
    assert.equal(r.body.data.version, '1');
    assert.equal(r.body.data.state, 'ready');
    assert.equal(r.body.data.links.self, '/api/v1/models/loan-approval/versions/1');
    assert.equal(r.body.data.links.model, '/api/v1/models/loan-approval');
  });
  it('answers 404 MODEL_NOT_FOUND for an unknown or malformed version', async () => {
    expectError(await t.call('GET', '/api/v1/models/loan-approval/versions/9'), 404, 'MODEL_NOT_FOUND');
    expectError(await t.call('GET', '/api/v1/models/loan-approval/versions/01'), 404, 'MODEL_NOT_FOUND');
    expectError(await t.call('GET', '/api/v1/models/loan-approval/versions/x'), 404, 'MODEL_NOT_FOUND');
  });
});
