/**
 * Models served from their derived configuration (API.md §14, issue 17):
 * a repository of bare converter-shaped models (no model.json) loads; the
 * configuration in force is answered by GET /v2/models/{name}/config and
 * read by /api/v1's views; a ZipMap classifier answers its probabilities
 * through /v2; what cannot be served fails alone, saying why; uploads create
 * models and must fit an existing model.json; the event loop stays free
 * while a big bare model is uploaded (API.md §15).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { decodeModel } from '../../src/inference/serving/derive/onnx-graph.js';
import { rewriteForServing } from '../../src/inference/serving/derive/graph-rewrite.js';
import { encodeModel, TensorType } from '../../scripts/lib/onnx-writer.js';
import { zipmapClassifierExpected } from '../fixtures/converter-models.js';
import { sampleInputs, torchMlpSpec, writeTensorModels } from '../fixtures/tensor-models.js';
import { pollEvery, slowest } from '../helpers/live-poller.js';
import { sequenceOutput } from '../helpers/ml-graphs.js';
import { tempRepository, type TempRepository } from '../helpers/repository.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

const CONVERTED = ['zipmap-classifier', 'onnxmltools-trees', 'torch-mlp', 'declared-one-really-n'] as const;
const LIVE_MS = 1_000;

let repo: TempRepository;
let t: TestServer;

const at = (...parts: string[]) => join(repo.dir, ...parts);
const bare = (name: string, bytes: Uint8Array) => {
  mkdirSync(at(name, '1'), { recursive: true });
  writeFileSync(at(name, '1', 'model.onnx'), bytes);
};
const upload = (path: string, bytes: Uint8Array) =>
  t.call('PUT', path, { raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
const jsonInput = (s: { name: string; datatype: string; shape: number[]; data: unknown[] }) => s;

before(async () => {
  repo = tempRepository().copy('iris');
  writeTensorModels(repo.dir, CONVERTED);
  bare('sequence-output', sequenceOutput());
  // torch-mlp's graph under a model.json naming an input it does not have.
  bare('contradicted', encodeModel(torchMlpSpec()));
  writeFileSync(at('contradicted', 'model.json'), JSON.stringify({ input: 'pixels' }));
  t = await startServer({ env: { MODEL_REPOSITORY: repo.dir } });
});
after(async () => {
  await t.close();
  repo.remove();
});

describe('a repository of bare converter-shaped models', () => {
  it('loads every one of them ready, beside the shipped model', async () => {
    const r = await t.call('GET', '/api/v1/models');
    assert.equal(r.status, 200);
    const state = Object.fromEntries(r.body.data.models.map((m: { name: string; state: string }) => [m.name, m.state]));
    for (const name of [...CONVERTED, 'iris']) assert.equal(state[name], 'ready', name);
  });

  it('lists each with its derived task (GET /api/v1/models)', async () => {
    const r = await t.call('GET', '/api/v1/models');
    const task = Object.fromEntries(r.body.data.models.map((m: { name: string; task: string }) => [m.name, m.task]));
    assert.equal(task['zipmap-classifier'], 'classification');
    assert.equal(task['onnxmltools-trees'], 'classification');
    assert.equal(task['torch-mlp'], 'tensor');
    assert.equal(task['declared-one-really-n'], 'regression');
    assert.equal(task.iris, 'classification');
  });

  it('GET /v2/models/{name}/config shows the layout, task, labels, rewrite and batchability', async () => {
    const z = await t.call('GET', '/v2/models/zipmap-classifier/config');
    assert.equal(z.status, 200, z.text);
    assert.equal(z.body.name, 'zipmap-classifier');
    assert.deepEqual(z.body.versions, ['1']);
    assert.equal(z.body.task, 'classification');
    assert.equal(z.body.layout, 'columns');
    assert.deepEqual(z.body.labels, ['bird', 'cat', 'dog']);
    assert.deepEqual(z.body.rewrites.map((w: { kind: string; output: string }) => [w.kind, w.output]), [['zipmap-removed', 'output_probability']]);
    const probs = z.body.outputs.find((o: { name: string }) => o.name === 'output_probability');
    assert.deepEqual({ ...probs, shape: probs.shape.length }, { name: 'output_probability', datatype: 'FP32', shape: 2, labels: ['bird', 'cat', 'dog'] });
    // Its OneHotEncoders (zeros=0) refuse the warm-up's '' (API.md §14); the same run on the features'
    // baselines (each encoder's first category) answers 2 rows: batchable, said once at info, no warning.
    assert.equal(z.body.batching.dynamic, true, 'zipmap-classifier');
    assert.equal(z.body.warmup, 'optional');
    assert.deepEqual(t.logs.filter((l) => l.model === 'zipmap-classifier' && (l.level as number) >= 40), []);
    const said = t.logs.filter((l) => l.model === 'zipmap-classifier' && /warm-up run on zeros refused/.test(String(l.msg)));
    assert.equal(said.length, 1, JSON.stringify(said));
    assert.match(String(said[0]!.refused), /Unknown Category/);

    const trees = (await t.call('GET', '/v2/models/onnxmltools-trees/versions/1/config')).body;
    assert.deepEqual(trees.labels, ['0', '1']);
    assert.equal(trees.layout, 'matrix');

    const torch = (await t.call('GET', '/v2/models/torch-mlp/config')).body;
    // One [N, 4] input: a matrix of 4 unnamed features, but [N, 3] outputs and no classifier: a tensor model.
    assert.equal(torch.task, 'tensor');
    assert.equal(torch.layout, 'matrix');
    assert.deepEqual(torch.rewrites, []);
    assert.equal(torch.batching.dynamic, true, 'torch-mlp');

    // Declared [1], the 2-row warm-up answered 2 rows: a batchable regression.
    const one = (await t.call('GET', '/v2/models/declared-one-really-n/config')).body;
    assert.equal(one.task, 'regression');
    assert.equal(one.prediction_output, 'y');
    assert.equal(one.batching.dynamic, true, 'declared-one-really-n');

    const iris = (await t.call('GET', '/v2/models/iris/config')).body;
    assert.equal(iris.layout, 'matrix');
    assert.deepEqual(iris.rewrites, []);
  });

  it('/v2 config: 404 for an unknown model or version, 401 without credentials', async () => {
    assert.equal((await t.call('GET', '/v2/models/nope/config')).status, 404);
    assert.equal((await t.call('GET', '/v2/models/torch-mlp/versions/9/config')).status, 404);
    assert.equal((await t.call('GET', '/v2/models/torch-mlp/config', { auth: false })).status, 401);
  });

  it('GET /api/v1/models/{name} gives inputs, outputs (the ZipMap output with its labels), features and labels', async () => {
    const r = await t.call('GET', '/api/v1/models/zipmap-classifier');
    assert.equal(r.status, 200);
    const d = r.body.data;
    assert.equal(d.task, 'classification');
    assert.deepEqual(d.labels, ['bird', 'cat', 'dog']);
    assert.deepEqual(d.inputs.map((i: { name: string; datatype: string }) => `${i.name}:${i.datatype}`), ['color:BYTES', 'size:BYTES', 'weight:FP32']);
    assert.deepEqual(d.outputs.find((o: { name: string }) => o.name === 'output_probability').labels, ['bird', 'cat', 'dog']);
    assert.deepEqual(Object.keys(d.features.properties), ['color', 'size', 'weight']);
    const torch = (await t.call('GET', '/api/v1/models/torch-mlp')).body.data;
    assert.equal(torch.task, 'tensor');
    assert.equal(torch.features, null);
    assert.equal('labels' in torch, false);
    assert.equal(t.service.registry.resolve('torch-mlp').validateFeatures, undefined);
    // Declared [1]: a tensor model until the warm-up showed [N] rows; then a regression with features.
    assert.ok(t.service.registry.resolve('declared-one-really-n').validateFeatures);
    const one = (await t.call('GET', '/api/v1/models/declared-one-really-n')).body.data;
    assert.equal(one.task, 'regression');
    assert.deepEqual(one.features, { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } });
  });

  it('/v2 model metadata shows the served graph: the ZipMap output as FP32', async () => {
    const r = await t.call('GET', '/v2/models/zipmap-classifier');
    const out = r.body.outputs.find((o: { name: string }) => o.name === 'output_probability');
    assert.equal(out.datatype, 'FP32');
    assert.equal(out.shape.length, 2);
  });
});

describe('a ZipMap classifier through /v2', () => {
  it('answers output_probability as FP32 [N, C] equal to the pipeline\'s probabilities and to ORT on the ZipMap\'s input', async () => {
    const samples = sampleInputs('zipmap-classifier');
    const r = await t.call('POST', '/v2/models/zipmap-classifier/infer', { body: { inputs: samples.map(jsonInput), outputs: [{ name: 'output_probability' }] } });
    assert.equal(r.status, 200, r.text);
    const [out] = r.body.outputs;
    assert.equal(out.name, 'output_probability');
    assert.equal(out.datatype, 'FP32');
    assert.deepEqual(out.shape, [3, 3]);
    const expected = zipmapClassifierExpected().probabilities.flat();
    out.data.forEach((p: number, i: number) => assert.ok(Math.abs(p - expected[i]!) < 1e-5, `${i}: ${p} vs ${expected[i]}`));

    // ORT in this process on the same graph with its ZipMap removed: bit-identical.
    const bytes = readFileSync(at('zipmap-classifier', '1', 'model.onnx'));
    const rewritten = rewriteForServing(bytes, decodeModel(bytes));
    const session = await InferenceSession.create(rewritten.bytes);
    try {
      const feeds: Record<string, Tensor> = {};
      for (const s of samples) {
        feeds[s.name] = s.datatype === 'BYTES'
          ? new Tensor('string', s.data as string[], s.shape)
          : new Tensor('float32', Float32Array.from(s.data as number[]), s.shape);
      }
      const ort = await session.run(feeds);
      // JSON carries each FP32 as its shortest decimal: the same float32 values.
      assert.deepEqual(out.data.map(Math.fround), Array.from(ort.output_probability!.data as Float32Array));
    } finally {
      await session.release();
    }
  });
});

describe('what cannot be served', () => {
  it('fails a model with a non-ZipMap sequence output, naming it; the rest serves', async () => {
    const r = await t.call('GET', '/api/v1/models/sequence-output');
    assert.equal(r.body.data.state, 'failed');
    assert.match(r.body.data.reason, /output 'parts' is a sequence/);
    assert.equal((await t.call('POST', '/api/v1/models/iris/predict', { body: { features: SAMPLES.iris } })).status, 200);
  });

  it('fails a version whose model.json contradicts the graph, naming the member', async () => {
    const r = await t.call('GET', '/api/v1/models/contradicted');
    assert.equal(r.body.data.state, 'failed');
    assert.match(r.body.data.reason, /model\.json \/input names 'pixels'/);
    assert.equal((await t.call('GET', '/v2/models/contradicted/config')).status, 503);
  });
});

describe('PUT /api/v1/models/{name}/versions/{version} of a bare file', () => {
  it('creates a new model: 201, Location, served through /v2 from its derived configuration', async () => {
    const r = await upload('/api/v1/models/fresh-mlp/versions/1', encodeModel(torchMlpSpec()));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), '/api/v1/models/fresh-mlp/versions/1');
    assert.equal(r.body.data.task, 'tensor');
    assert.ok(existsSync(at('fresh-mlp', '1', 'model.onnx')));
    assert.equal(existsSync(at('fresh-mlp', 'model.json')), false);
    const [input] = sampleInputs('torch-mlp');
    const infer = await t.call('POST', '/v2/models/fresh-mlp/infer', { body: { inputs: [input] } });
    assert.equal(infer.status, 200, infer.text);
    assert.deepEqual(infer.body.outputs[0].shape, [2, 3]);
    const listed = (await t.call('GET', '/api/v1/models')).body.data.models.map((m: { name: string }) => m.name);
    assert.ok(listed.includes('fresh-mlp'));
  });

  it('PATCH on it writes a model.json with only the patched members', async () => {
    const r = await t.call('PATCH', '/api/v1/models/fresh-mlp', { body: { batching: { max_batch_size: 0 } } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(readFileSync(at('fresh-mlp', 'model.json'), 'utf8')), { batching: { max_batch_size: 0 } });
    assert.equal((await t.call('GET', '/v2/models/fresh-mlp/config')).body.batching.dynamic, false);
  });

  it('refuses a file that does not fit the model\'s model.json: 422 with the reason, nothing changes', async () => {
    const before = (await t.call('GET', '/api/v1/models/iris')).body.data;
    const r = await upload('/api/v1/models/iris/versions/2', encodeModel(torchMlpSpec()));
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.match(r.body.error.message, /model\.json \/input names 'features'/);
    assert.equal(existsSync(at('iris', '2')), false);
    const after = (await t.call('GET', '/api/v1/models/iris')).body.data;
    assert.deepEqual(after.versions, before.versions);
    assert.equal((await t.call('POST', '/api/v1/models/iris/predict', { body: { features: SAMPLES.iris } })).status, 200);
  });

  it('keeps /api/v1/health/live within 1 s while a big bare model is uploaded and derived', { timeout: 120_000 }, async () => {
    // 250k value_info annotations: decoding them takes well over a second of CPU in JS (measured: 600k ≈ 4 s,
    // ONNX Runtime ≈ 2 s), which must happen in the probe process, never on the event loop (API.md §15).
    const n = 250_000;
    const big = encodeModel({
      graphName: 'annotated',
      nodes: [{ opType: 'Relu', inputs: ['input'], outputs: ['output'] }],
      initializers: [],
      valueInfo: Array.from({ length: n }, (_, i) => ({ name: `unused_${i}`, elemType: TensorType.FLOAT, shape: ['batch', 4, 8] })),
      inputs: [{ name: 'input', elemType: TensorType.FLOAT, shape: ['batch', 4] }],
      outputs: [{ name: 'output', elemType: TensorType.FLOAT, shape: ['batch', 4] }],
    });
    // The service runs in this process: a poll waiting for its next turn would not see a stall, so the
    // event loop's own delay is measured as well (what /health/live would wait, at worst).
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const live = pollEvery(`${t.url}/api/v1/health/live`);
    const r = await upload('/api/v1/models/annotated/versions/1', big);
    const polls = await live.stop();
    delay.disable();
    assert.equal(r.status, 201, r.text);
    const { max, all } = slowest(polls);
    assert.ok(polls.length >= 2 && polls.every((p) => p.status === 200), all);
    assert.ok(max < LIVE_MS, `slowest /health/live ${Math.round(max)} ms: ${all}`);
    const stalled = delay.max / 1e6;
    assert.ok(stalled < LIVE_MS, `the event loop stalled for ${Math.round(stalled)} ms during the upload`);
  });
});

describe('hot reload of a bare model', () => {
  it('picks up <name>/<version>/model.onnx alone, then a model.json written beside it', async () => {
    const poll = () => t.service.watcher.poll();
    bare('dropped-in', encodeModel(torchMlpSpec()));
    await poll();
    await poll();
    const r = await t.call('GET', '/v2/models/dropped-in/config');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.task, 'tensor');
    assert.equal(r.body.batching.dynamic, true);
    writeFileSync(at('dropped-in', 'model.json'), JSON.stringify({ batching: { max_batch_size: 0 } }));
    await poll();
    await poll();
    assert.equal((await t.call('GET', '/v2/models/dropped-in/config')).body.batching.dynamic, false);
  });
});

describe('the shipped model beside them', () => {
  it('keeps its feature schema, labels and main-thread placement', async () => {
    const v = t.service.registry.resolve('iris');
    assert.equal(v.placement, 'main');
    assert.equal(v.serving?.layout, 'matrix');
    assert.deepEqual(v.serving?.classification?.labels, ['setosa', 'versicolor', 'virginica']);
    assert.equal(v.batchable, true);
  });
});
