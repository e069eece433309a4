/**
 * One data plane behind every door (API.md §13): the same rows give
 * bit-identical outputs through /api/v1, OIP REST (JSON and binary), gRPC
 * (@grpc/grpc-js, typed and raw) and an independent Python gRPC client; and
 * OIP and /api/v1 requests for one version share the dynamic batcher.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import type { GrpcListener } from '../../src/grpc/grpc-server.js';
import type { ModelRunner } from '../../src/inference/runtime/model-runner.js';
import { PACKAGE_VERSION } from '../../src/service.js';
import { floats, grpcBeside, inferenceClient, type InferenceClient } from '../helpers/grpc.js';
import { binaryBody, fp32Input, readBinaryAnswer } from '../helpers/oip.js';
import { generateStubs, pythonClient, pythonGrpcMissing } from '../helpers/python-grpc.js';
import { copyModels } from '../helpers/repository.js';
import { SHIPPED_RANGES, seededRows } from '../helpers/rows.js';
import { startServer, testToken, type TestServer } from '../helpers/server.js';

const ROWS = 40;
let t: TestServer;
let grpc: GrpcListener;
let client: InferenceClient;
const token = testToken();
const md = { authorization: `Bearer ${token}` };

before(async () => {
  t = await startServer();
  grpc = await grpcBeside(t);
  client = inferenceClient(`127.0.0.1:${grpc.port}`);
});
after(async () => {
  client.close();
  await grpc.drain();
  await t.close();
});

/** The float32 bit patterns of `values`, for exact comparison. */
const bits = (values: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(values).buffer));

/** Seeded rows inside the ranges, integer features rounded (the feature schema wants integers). */
function validRows(model: string, version: string, ranges: number[][], n: number, seed: number): Float32Array {
  const features = t.service.registry.resolve(model, version).config!.features;
  const rows = seededRows(ranges, n, seed);
  for (let i = 0; i < rows.length; i++) if (features[i % ranges.length]!.type === 'integer') rows[i] = Math.round(rows[i]!);
  return rows;
}

/** The outputs /api/v1/predict/batch gives for the rows, flattened as the output tensor is. */
async function viaApiV1(model: string, version: string, rows: Float32Array): Promise<number[]> {
  const v = t.service.registry.resolve(model, version);
  const names = v.featureNames;
  const instances = Array.from({ length: rows.length / names.length }, (_, i) =>
    Object.fromEntries(names.map((n, j) => [n, rows[i * names.length + j]!])));
  const r = await t.call('POST', '/api/v1/predict/batch', { body: { model, version, instances } });
  assert.equal(r.status, 200, r.text);
  return r.body.data.predictions.flatMap((p: { prediction: number; probabilities?: Record<string, number> }) =>
    v.classifier ? v.classifier.labels.map((l) => p.probabilities![l]!) : [p.prediction]);
}

describe('the same rows through every door', () => {
  for (const [id, output, ranges] of SHIPPED_RANGES) {
    const [model, version] = id.split('/') as [string, string];
    it(`give bit-identical ${model}@${version} outputs through /api/v1, OIP REST JSON and binary, and gRPC`, async () => {
      const rows = validRows(model, version, ranges, ROWS, 11);
      const width = ranges.length;
      const expected = bits(await viaApiV1(model, version, rows));
      const path = `/v2/models/${model}/versions/${version}/infer`;

      const json = await t.call('POST', path, { body: { inputs: [fp32Input(rows, ROWS)] } });
      const jsonOut = json.body.outputs.find((o: { name: string }) => o.name === output);
      assert.deepEqual(bits(jsonOut.data), expected, 'REST JSON');

      const { body, headerLength } = binaryBody({
        inputs: [{ name: 'features', datatype: 'FP32', shape: [ROWS, width], parameters: { binary_data_size: rows.byteLength } }],
        parameters: { binary_data_output: true },
      }, [rows]);
      const res = await fetch(t.url + path, {
        method: 'POST', body,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
      });
      assert.deepEqual(bits((await readBinaryAnswer(res)).outputs.get(output)!), expected, 'REST binary');

      const raw = await client.call('ModelInfer', {
        model_name: model, model_version: version,
        inputs: [{ name: 'features', datatype: 'FP32', shape: [ROWS, width] }],
        raw_input_contents: [Buffer.from(rows.buffer)],
      }, md);
      const at = raw.outputs.findIndex((o: { name: string }) => o.name === output);
      assert.deepEqual(bits(floats(raw.raw_output_contents[at])), expected, 'gRPC raw');
      const typed = await client.call('ModelInfer', {
        model_name: model, model_version: version,
        inputs: [{ name: 'features', datatype: 'FP32', shape: [ROWS, width], contents: { fp32_contents: Array.from(rows) } }],
      }, md);
      assert.deepEqual(bits(floats(typed.raw_output_contents[at])), expected, 'gRPC typed');
    });
  }
});

describe('a model in a worker-thread runner', () => {
  it('answers every graph output as the main-thread runner does (iris: label and probabilities)', async () => {
    const repo = copyModels();
    const file = join(repo.dir, 'iris', 'model.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), runner: 'worker' }));
    const w = await startServer({ env: { MODEL_REPOSITORY: repo.dir } });
    try {
      const [, , ranges] = SHIPPED_RANGES[1]!;
      const body = { inputs: [fp32Input(seededRows(ranges, 30, 9), 30)] };
      const inWorker = await w.call('POST', '/v2/models/iris/infer', { body });
      const inMain = await t.call('POST', '/v2/models/iris/infer', { body });
      assert.equal(inWorker.status, 200, inWorker.text);
      assert.deepEqual(inWorker.body.outputs.map((o: { name: string }) => o.name), ['label', 'probabilities']);
      assert.deepEqual(inWorker.body.outputs, inMain.body.outputs);
    } finally {
      await w.close();
      repo.remove();
    }
  });
});

describe('an independent gRPC client (Debian python3-grpcio, stubs from protoc)', () => {
  const missing = pythonGrpcMissing();
  let stubs: ReturnType<typeof generateStubs> | undefined;
  before(() => {
    if (!missing) stubs = generateStubs();
  });
  after(() => stubs?.remove());

  it('calls all six methods and gets the outputs /api/v1 gives, bit for bit', { skip: missing && `SKIPPED LOUDLY: ${missing}` }, async () => {
    const [, , ranges] = SHIPPED_RANGES[0]!;
    const rows = validRows('loan-approval', '2', ranges, ROWS, 5);
    const expected = bits(await viaApiV1('loan-approval', '2', rows));
    for (const typed of [false, true]) {
      const answer = await pythonClient(stubs!.dir, {
        address: `127.0.0.1:${grpc.port}`, token, model: 'loan-approval', version: '2', shape: [ROWS, 5], rows, typed,
      });
      assert.equal(answer.error, undefined, JSON.stringify(answer.error));
      assert.equal(answer.live, true);
      assert.equal(answer.ready, true);
      assert.deepEqual(answer.server, { name: 'onnx-serving', version: PACKAGE_VERSION, extensions: ['binary_tensor_data'] });
      assert.equal(answer.model_ready, true);
      assert.deepEqual(answer.metadata, (await t.call('GET', '/v2/models/loan-approval/versions/2')).body);
      assert.deepEqual(answer.infer.outputs, [{ name: 'probabilities', datatype: 'FP32', shape: [ROWS, 2] }]);
      assert.equal(answer.infer.id, 'python-1');
      assert.deepEqual(bits(floats(Buffer.from(answer.infer.raw_output_contents[0], 'hex'))), expected, typed ? 'typed' : 'raw');
    }
  });
  it('gets UNAUTHENTICATED without a token', { skip: missing && `SKIPPED LOUDLY: ${missing}` }, async () => {
    const answer = await pythonClient(stubs!.dir, {
      address: `127.0.0.1:${grpc.port}`, model: 'iris', shape: [1, 4], rows: new Float32Array([5, 3, 1, 0.2]),
    });
    assert.equal(answer.error?.code, 'UNAUTHENTICATED');
  });
});

describe('OIP and /api/v1 requests for one version', () => {
  it('share the dynamic batcher: runs mix rows of both kinds', async () => {
    const v = t.service.registry.resolve('loan-approval');
    // Records the rows of each ONNX run below the batcher.
    const inner = (v.runner as unknown as { inner: ModelRunner }).inner;
    const run = inner.run.bind(inner);
    const sizes: number[] = [];
    inner.run = (input, rows) => {
      sizes.push(rows);
      return run(input, rows);
    };
    try {
      // /api/v1 sends single rows; OIP sends 100-row tensors. A run of more
      // than 32 rows that is not a multiple of 100 holds both kinds.
      const [, , ranges] = SHIPPED_RANGES[0]!;
      const big = Array.from(seededRows(ranges, 100, 3));
      const requests: Array<{ url: string; body: unknown }> = [];
      for (let i = 0; i < 32; i++) {
        requests.push({ url: `${t.url}/api/v1/predict`, body: { model: 'loan-approval', features: { age: 30 + i, income: 50000, credit_score: 700, employment_years: 5, loan_amount: 20000 } } });
        requests.push({ url: `${t.url}/v2/models/loan-approval/infer`, body: { inputs: [fp32Input(big, 100)] } });
      }
      const statuses = await concurrently(token, requests);
      assert.ok(statuses.every((s) => s === 200), statuses.join());
      const mixed = sizes.filter((n) => n > 32 && n % 100 !== 0);
      assert.ok(mixed.length > 0, `run sizes: ${sizes.join(' ')}`);
    } finally {
      inner.run = run;
    }
  });
});

/** Sends the requests concurrently from another thread, as a load generator would; resolves their statuses. */
async function concurrently(bearer: string, requests: Array<{ url: string; body: unknown }>): Promise<number[]> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     Promise.all(workerData.requests.map((r) => fetch(r.url, {
       method: 'POST',
       headers: { 'content-type': 'application/json', authorization: 'Bearer ' + workerData.bearer },
       body: JSON.stringify(r.body),
     }).then(async (res) => { await res.arrayBuffer(); return res.status; }))).then((s) => parentPort.postMessage(s));`,
    { eval: true, workerData: { bearer, requests } },
  );
  const [statuses] = await once(worker, 'message');
  await worker.terminate();
  return statuses;
}
