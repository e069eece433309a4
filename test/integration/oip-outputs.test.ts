/**
 * Outputs once, answers within the send limit (API.md §15, issue 16 point 2):
 * an infer request that names an output twice, or more outputs than the
 * model has, is refused before any inference (REST JSON and binary: 400;
 * gRPC: INVALID_ARGUMENT), and an answer larger than the send limit
 * (32 × BODY_LIMIT_BYTES, here 128 KiB) is refused from its computed size,
 * before it is encoded (REST 413, gRPC RESOURCE_EXHAUSTED with the service's
 * own message, not grpc-js's "Sent message larger than max" after building it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { GrpcListener } from '../../src/grpc/grpc-server.js';
import { grpcBeside, inferenceClient, type InferenceClient } from '../helpers/grpc.js';
import { sample } from '../helpers/metrics.js';
import { binaryBody, expectOipError, fp32Input } from '../helpers/oip.js';
import { SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

const IRIS = Object.values(SAMPLES.iris);
const LIMIT = 32 * 4096;

let t: TestServer;
let grpc: GrpcListener;
let client: InferenceClient;
const admin = { authorization: `Bearer ${testToken()}` };

before(async () => {
  t = await startServer({ env: { MAX_BATCH_SIZE: '10000', BODY_LIMIT_BYTES: '4096' } });
  grpc = await grpcBeside(t);
  client = inferenceClient(`127.0.0.1:${grpc.port}`, { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
});
after(async () => {
  client.close();
  await grpc.drain();
  await t.close();
});

/** ONNX runs of iris so far (inference_runs_total summed over its versions). */
async function irisRuns(): Promise<number> {
  const text = (await t.call('GET', '/metrics')).text;
  return sample(text, 'inference_runs_total', { model: 'iris', version: '1' }) ?? 0;
}

/** `rows` iris rows as one FP32 tensor. */
const irisRows = (rows: number) => new Float32Array(rows * 4).map((_, i) => IRIS[i % 4]!);

const repeated = (name: string, n: number) => Array.from({ length: n }, () => ({ name }));

function binaryInfer(header: Record<string, unknown>, tensors: Float32Array[]) {
  const { body, headerLength } = binaryBody(header, tensors);
  return fetch(`${t.url}/v2/models/iris/infer`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
    body,
  });
}

async function grpcFailure(request: object): Promise<{ code: number; details: string }> {
  try {
    await client.call('ModelInfer', request, admin);
  } catch (err) {
    return err as { code: number; details: string };
  }
  return assert.fail('expected ModelInfer to fail');
}

const grpcRequest = (values: Float32Array, rows: number, outputs: Array<{ name: string }> = []) => ({
  model_name: 'iris',
  inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, 4] }],
  raw_input_contents: [Buffer.from(values.buffer, values.byteOffset, values.byteLength)],
  outputs,
});

describe('POST /v2/models/{name}/infer with outputs', () => {
  describe('naming the same output 1,000 times (JSON, 1,000 rows)', () => {
    it('answers 400 {"error"} before any inference', async () => {
      const runs = await irisRuns();
      const r = await t.call('POST', '/v2/models/iris/infer', {
        body: { inputs: [fp32Input(irisRows(1000), 1000)], outputs: repeated('probabilities', 1000) },
      });
      expectOipError(r, 400, /outputs/);
      assert.equal(await irisRuns(), runs, 'no inference ran');
      // The count is live: a request that fits runs once.
      assert.equal((await t.call('POST', '/v2/models/iris/infer', { body: { inputs: [fp32Input(IRIS, 1)] } })).status, 200);
      assert.equal(await irisRuns(), runs + 1);
    });
  });
  describe('naming one output twice (binary tensor data)', () => {
    it('answers 400 {"error"} before any inference', async () => {
      const runs = await irisRuns();
      const res = await binaryInfer({
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }],
        outputs: [{ name: 'label', parameters: { binary_data: true } }, { name: 'label', parameters: { binary_data: true } }],
      }, [irisRows(1)]);
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error: string }).error, /'label' more than once/);
      assert.equal(await irisRuns(), runs, 'no inference ran');
    });
  });
  describe('with more entries than the model has outputs', () => {
    it('answers 400 {"error"} saying how many the model has, JSON and binary', async () => {
      const runs = await irisRuns();
      const outputs = [{ name: 'label' }, { name: 'probabilities' }, { name: 'label' }];
      expectOipError(await t.call('POST', '/v2/models/iris/infer', { body: { inputs: [fp32Input(IRIS, 1)], outputs } }), 400, /3 outputs; the model has 2/);
      const res = await binaryInfer({
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }], outputs,
      }, [irisRows(1)]);
      assert.equal(res.status, 400);
      assert.equal(await irisRuns(), runs, 'no inference ran');
    });
  });
  describe('whose answer would exceed the send limit', () => {
    it('answers 413 {"error"} from the computed size, and serves the same rows in binary under it', async () => {
      // 5,000 rows: JSON numbers of 3 probabilities and an INT64 label per row may take
      // up to ~70 bytes a row (over 128 KiB); as raw bytes they take 20 (under it).
      const rows = 5000;
      const { body, headerLength } = binaryBody({
        inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, 4], parameters: { binary_data_size: rows * 16 } }],
      }, [irisRows(rows)]);
      const send = (binaryOutput: boolean) => {
        const header = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
        header.parameters = { binary_data_output: binaryOutput };
        return binaryInfer(header, [irisRows(rows)]);
      };
      const json = await send(false);
      assert.equal(json.status, 413);
      assert.match(((await json.json()) as { error: string }).error, new RegExp(`answer would take up to \\d+ bytes, over the limit of ${LIMIT}`));
      const binary = await send(true);
      assert.equal(binary.status, 200);
      await binary.arrayBuffer();
    });
  });
});

describe('ModelInfer with outputs', () => {
  it('answers INVALID_ARGUMENT for 5,000 repeated names, before any inference', async () => {
    const runs = await irisRuns();
    const e = await grpcFailure(grpcRequest(irisRows(100), 100, repeated('probabilities', 5000)));
    assert.equal(e.code, status.INVALID_ARGUMENT, e.details);
    assert.match(e.details, /outputs/);
    assert.equal(await irisRuns(), runs, 'no inference ran');
  });
  it('answers INVALID_ARGUMENT for a name given twice', async () => {
    const e = await grpcFailure(grpcRequest(irisRows(1), 1, [{ name: 'label' }, { name: 'label' }]));
    assert.equal(e.code, status.INVALID_ARGUMENT, e.details);
  });
  it('answers RESOURCE_EXHAUSTED for an answer over the send limit without building it, and logs that status', async () => {
    // 7,000 rows: 112,000 bytes in (under 128 KiB), 140,000 bytes of outputs out (over it).
    const rows = 7000;
    const before = t.logs.length;
    const e = await grpcFailure(grpcRequest(irisRows(rows), rows));
    assert.equal(e.code, status.RESOURCE_EXHAUSTED, e.details);
    assert.match(e.details, new RegExp(`answer would take up to \\d+ bytes, over the limit of ${LIMIT}`));
    assert.doesNotMatch(e.details, /Sent message larger than max/, 'refused before grpc-js serialised it');
    const line = t.logs.slice(before).find((l) => l.msg === 'grpc call' && l.grpc_method === 'ModelInfer');
    assert.equal(line?.grpc_code, 'RESOURCE_EXHAUSTED');
  });
  it('still answers the outputs asked for, once each, in the order asked', async () => {
    const reply = await client.call('ModelInfer', grpcRequest(irisRows(2), 2, [{ name: 'probabilities' }, { name: 'label' }]), admin);
    assert.deepEqual(reply.outputs.map((o: { name: string }) => o.name), ['probabilities', 'label']);
  });
});
