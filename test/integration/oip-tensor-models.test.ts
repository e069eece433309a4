/**
 * Any ONNX model through the Open Inference Protocol (API.md §14): the
 * fixtures of test/fixtures/tensor-models.ts (multi-input, fixed shapes, no
 * batch dimension, INT64 tokens, FP16, BOOL, STRING in and out, every integer
 * type), served without model.json, through REST JSON, REST binary and gRPC
 * (typed and raw), each answer compared with onnxruntime-node run in-process
 * on the same inputs; then batching, and the checks on what does not fit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { GrpcListener } from '../../src/grpc/grpc-server.js';
import type { DynamicBatcher } from '../../src/inference/runtime/batcher.js';
import type { ModelRunner } from '../../src/inference/runtime/model-runner.js';
import { sampleInputs, writeTensorModels, type SampleInput, type TensorModelName } from '../fixtures/tensor-models.js';
import { grpcBeside, inferenceClient, type InferenceClient } from '../helpers/grpc.js';
import { generateStubs, pythonClient, pythonGrpcMissing, pythonMissing, pythonRestBinary } from '../helpers/python-grpc.js';
import { startServer, testToken, type TestServer } from '../helpers/server.js';
import { canonicalJson, decodeBinary, encodeBinary, ortExpected, type Expected } from '../helpers/tensor-wire.js';

const MODELS = [
  'multi-input', 'fixed-shape', 'no-batch', 'int64-tokens', 'fp16', 'bool', 'strings', 'integer-types', 'declared-one-really-n',
] as const satisfies readonly TensorModelName[];

let repo: string;
let t: TestServer;
let grpc: GrpcListener;
let client: InferenceClient;
const token = testToken();
const md = { authorization: `Bearer ${token}` };
const modelPath = (name: string) => join(repo, name, '1', 'model.onnx');

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'oip-tensor-models-'));
  writeTensorModels(repo, MODELS);
  t = await startServer({ env: { MODEL_REPOSITORY: repo, MAX_BATCH_SIZE: '64' } });
  grpc = await grpcBeside(t);
  client = inferenceClient(`127.0.0.1:${grpc.port}`);
});
after(async () => {
  client.close();
  await grpc.drain();
  await t.close();
  rmSync(repo, { recursive: true, force: true });
});

/** JSON cannot carry integers beyond ±2^53 exactly: the JSON door's samples stay within. */
const jsonSafe = (samples: SampleInput[]): SampleInput[] => samples.map((s) => ({
  ...s, data: s.data.map((v) => (typeof v === 'bigint' && (v > 2n ** 53n - 1n || v < -(2n ** 53n - 1n)) ? 12345n : v)),
}));
const jsonInput = (s: SampleInput) => ({ name: s.name, datatype: s.datatype, shape: s.shape, data: s.data.map((v) => (typeof v === 'bigint' ? Number(v) : v)) });

async function viaJson(model: string, samples: SampleInput[]): Promise<Expected[]> {
  const r = await t.call('POST', `/v2/models/${model}/infer`, { body: { inputs: samples.map(jsonInput) } });
  assert.equal(r.status, 200, r.text);
  return r.body.outputs.map((o: { name: string; datatype: string; shape: number[]; data: unknown[] }) =>
    ({ name: o.name, datatype: o.datatype, shape: o.shape, values: canonicalJson(o.datatype, o.data) }));
}

/** Triton's binary form both ways; resolves the answer's outputs and its raw body. */
async function binaryInfer(model: string, samples: SampleInput[], extra: Record<string, unknown> = { parameters: { binary_data_output: true } }) {
  const raw = samples.map(encodeBinary);
  const header = Buffer.from(JSON.stringify({
    inputs: samples.map((s, i) => ({ name: s.name, datatype: s.datatype, shape: s.shape, parameters: { binary_data_size: raw[i]!.length } })),
    ...extra,
  }));
  return fetch(`${t.url}/v2/models/${model}/infer`, {
    method: 'POST', body: Buffer.concat([header, ...raw]),
    headers: { authorization: `Bearer ${token}`, 'inference-header-content-length': String(header.length) },
  });
}

async function viaBinary(model: string, samples: SampleInput[]): Promise<Expected[]> {
  const res = await binaryInfer(model, samples);
  const buf = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, buf.toString());
  const length = Number(res.headers.get('inference-header-content-length'));
  const header = JSON.parse(buf.subarray(0, length).toString());
  let at = length;
  return header.outputs.map((o: { name: string; datatype: string; shape: number[]; parameters: { binary_data_size: number } }) => {
    const bytes = buf.subarray(at, at + o.parameters.binary_data_size);
    at += o.parameters.binary_data_size;
    return { name: o.name, datatype: o.datatype, shape: o.shape, values: decodeBinary(o.datatype, bytes) };
  });
}

/** The typed contents field of each datatype; 64-bit integers as decimal strings (exact), BYTES as bytes. */
function contents(s: SampleInput): Record<string, unknown[]> {
  const d = s.datatype;
  if (d === 'BOOL') return { bool_contents: s.data };
  if (d === 'INT64') return { int64_contents: s.data.map(String) };
  if (d === 'UINT64') return { uint64_contents: s.data.map(String) };
  if (d.startsWith('INT')) return { int_contents: s.data };
  if (d.startsWith('UINT')) return { uint_contents: s.data };
  if (d === 'FP32') return { fp32_contents: s.data };
  if (d === 'FP64') return { fp64_contents: s.data };
  return { bytes_contents: s.data.map((v) => Buffer.from(String(v))) };
}

async function viaGrpc(model: string, samples: SampleInput[], typed: boolean): Promise<Expected[]> {
  const reply = await client.call('ModelInfer', {
    model_name: model,
    inputs: samples.map((s) => ({ name: s.name, datatype: s.datatype, shape: s.shape, ...(typed ? { contents: contents(s) } : {}) })),
    raw_input_contents: typed ? [] : samples.map(encodeBinary),
  }, md);
  return reply.outputs.map((o: { name: string; datatype: string; shape: number[] }, i: number) =>
    ({ name: o.name, datatype: o.datatype, shape: o.shape, values: decodeBinary(o.datatype, reply.raw_output_contents[i]) }));
}

describe('a model without model.json, served on its own tensors', () => {
  for (const model of MODELS) {
    it(`${model}: REST JSON, REST binary, gRPC raw and typed answer what onnxruntime-node answers`, async () => {
      const samples = sampleInputs(model);
      const expected = await ortExpected(modelPath(model), samples);
      assert.deepEqual(await viaBinary(model, samples), expected, 'REST binary');
      assert.deepEqual(await viaGrpc(model, samples, false), expected, 'gRPC raw');
      if (model === 'fp16') {
        await assert.rejects(viaGrpc(model, samples, true), (e: { code: number; details: string }) =>
          e.code === status.INVALID_ARGUMENT && /raw_input_contents/.test(e.details));
      } else {
        assert.deepEqual(await viaGrpc(model, samples, true), expected, 'gRPC typed');
      }
      const safe = jsonSafe(samples);
      assert.deepEqual(await viaJson(model, safe), await ortExpected(modelPath(model), safe), 'REST JSON');
    });
  }

  it('describes each input and output of the graph in its metadata', async () => {
    const r = await t.call('GET', '/v2/models/multi-input');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.inputs, [{ name: 'a', datatype: 'FP32', shape: [-1, 3] }, { name: 'b', datatype: 'INT64', shape: [-1, 2] }]);
    assert.deepEqual(r.body.outputs, [{ name: 'sum', datatype: 'FP32', shape: [-1, 3] }, { name: 'total', datatype: 'INT64', shape: [-1] }]);
  });

  it('refuses /api/v1/predict on it with a 422 UNSUPPORTED_MODEL naming its /v2 route', async () => {
    const r = await t.call('POST', '/api/v1/predict', { body: { model: 'multi-input', features: { a: 1 } } });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.error.code, 'UNSUPPORTED_MODEL');
    assert.match(r.body.error.message, /\/v2\/models\/multi-input\/infer/);
  });
});

describe('64-bit integers (API.md §14: binary is lossless; JSON only when exact)', () => {
  it('answers an integer beyond 2^53 in JSON with its exact digits', async () => {
    const samples = sampleInputs('integer-types');
    const res = await binaryInfer('integer-types', samples, {});
    const text = await res.text();
    assert.equal(res.status, 200, text);
    // 2^53 + 1 + 1, as digits: JSON.parse would read a double, the text itself is exact.
    assert.match(text, /"name":"y_int64","datatype":"INT64","shape":\[2,2\],"data":\[-2,1,8,9007199254740994\]/);
    assert.match(text, /"name":"y_uint64","datatype":"UINT64","shape":\[2,2\],"data":\[1,2,8,9007199254740994\]/);
  });
  it('refuses a JSON integer beyond 2^53, which a JSON parser cannot keep, pointing to binary', async () => {
    const raw = '{"inputs":[{"name":"tokens","datatype":"INT64","shape":[1,1],"data":[9007199254740993]}]}';
    const r = await t.call('POST', '/v2/models/int64-tokens/infer', { raw, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 400, r.text);
    assert.match(r.body.error, /element 0 is 9007199254740992, expected an INT64 integer \(beyond ±2\^53 JSON is not exact: send binary data\)/);
  });
});

describe('values a tensor model receives (API.md §14 "Values")', () => {
  const withNaN = (): SampleInput[] => [
    { name: 'a', datatype: 'FP32', shape: [1, 3], data: [NaN, Infinity, 1] },
    { name: 'b', datatype: 'INT64', shape: [1, 2], data: [1n, 2n] },
  ];
  it('takes NaN and ±Infinity in binary and gRPC raw, and answers them in binary', async () => {
    const expected = await ortExpected(modelPath('multi-input'), withNaN());
    assert.deepEqual(expected[0]!.values, ['NaN', 'Infinity', '4']);
    assert.deepEqual(await viaBinary('multi-input', withNaN()), expected);
    assert.deepEqual(await viaGrpc('multi-input', withNaN(), false), expected);
    assert.deepEqual(await viaGrpc('multi-input', withNaN(), true), expected);
  });
  it('answers 500 saying to ask for binary output when a JSON answer would hold NaN', async () => {
    const res = await binaryInfer('multi-input', withNaN(), {});
    const body = (await res.json()) as { error: string };
    assert.equal(res.status, 500);
    assert.match(body.error, /output 'sum' holds NaN or Infinity, which JSON cannot carry; ask for binary output/);
  });
});

describe('a tensor that does not fit a tensor model', () => {
  const cases: Array<[string, string, unknown[], RegExp]> = [
    ['a missing input', 'multi-input', [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }], /missing input 'b'; every input of the model is required/],
    ['another datatype', 'multi-input', [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'INT32', shape: [1, 2], data: [1, 2] }], /input 'b' has datatype INT32, expected INT64/],
    ['a fixed dimension of another size', 'fixed-shape', [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }], /shape \[1, 4\], expected \[2, 4\]/],
    ['a shape of another rank', 'no-batch', [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }], /shape \[1, 4\], expected \[4\]/],
    ['an integer out of range', 'integer-types', sampleInputs('integer-types').map((s) => (s.datatype === 'UINT8' ? { ...jsonInput(s), data: [0, 1, 2, 256] } : jsonInput(jsonSafe([s])[0]!))), /input 'x_uint8' element 3 is 256, expected an integer within the range of UINT8/],
    ['a fraction for an integer', 'int64-tokens', [{ name: 'tokens', datatype: 'INT64', shape: [1, 1], data: [1.5] }], /element 0 is 1.5/],
    ['a number for a BOOL', 'bool', [{ name: 'x', datatype: 'BOOL', shape: [1, 3], data: [1, 0, 1] }], /element 0 is 1, expected true or false \(BOOL\)/],
    ['a number for BYTES', 'strings', [{ name: 'text', datatype: 'BYTES', shape: [1, 2], data: ['red', 3] }], /element 1 is 3, expected a string \(BYTES\)/],
    ['more rows than MAX_BATCH_SIZE', 'int64-tokens', [{ name: 'tokens', datatype: 'INT64', shape: [65, 1], data: new Array(65).fill(1) }], /65 rows exceed the batch limit of 64/],
  ];
  for (const [what, model, inputs, message] of cases) {
    it(`answers ${/rows exceed/.test(message.source) ? 413 : 400} for ${what}`, async () => {
      const r = await t.call('POST', `/v2/models/${model}/infer`, { body: { inputs } });
      assert.equal(r.status, /rows exceed/.test(message.source) ? 413 : 400, r.text);
      assert.match(r.body.error, message);
    });
  }
  it('answers 400 for BYTES that are not UTF-8, and for a BOOL byte other than 0 or 1', async () => {
    const send = (model: string, input: Record<string, unknown>, raw: Buffer) => {
      const header = Buffer.from(JSON.stringify({ inputs: [{ ...input, parameters: { binary_data_size: raw.length } }] }));
      return fetch(`${t.url}/v2/models/${model}/infer`, {
        method: 'POST', body: Buffer.concat([header, raw]),
        headers: { authorization: `Bearer ${token}`, 'inference-header-content-length': String(header.length) },
      });
    };
    const bytes = Buffer.from([2, 0, 0, 0, 0xc3, 0x28, 1, 0, 0, 0, 0x61]);
    const r1 = await send('strings', { name: 'text', datatype: 'BYTES', shape: [1, 2] }, bytes);
    assert.equal(r1.status, 400);
    assert.match(((await r1.json()) as { error: string }).error, /element 0 is not UTF-8 text/);
    const r2 = await send('bool', { name: 'x', datatype: 'BOOL', shape: [1, 3] }, Buffer.from([1, 2, 0]));
    assert.equal(r2.status, 400);
    assert.match(((await r2.json()) as { error: string }).error, /element 1 is the byte 2, expected 0 or 1/);
  });
});

/** Slows the runs below a version's batcher so that concurrent requests queue; records each run's rows. */
function slowInner(model: string): { rows: number[]; batcher: DynamicBatcher; restore(): void } {
  const batcher = t.service.registry.resolve(model).runner as unknown as DynamicBatcher;
  const inner = (batcher as unknown as { inner: ModelRunner }).inner;
  const run = inner.run.bind(inner);
  const rows: number[] = [];
  inner.run = async (feeds, n) => {
    rows.push(n);
    await new Promise((r) => setTimeout(r, 15));
    return run(feeds, n);
  };
  return { rows, batcher, restore: () => void (inner.run = run) };
}

describe('batching (API.md §14 "Shapes and batching")', () => {
  it('knows which fixtures are batchable: dynamic first dimensions and a 2-row warm-up that answers 2 rows', () => {
    const batchable = Object.fromEntries(MODELS.map((m) => [m, t.service.registry.resolve(m).batchable]));
    assert.deepEqual(batchable, {
      'multi-input': true, 'fixed-shape': false, 'no-batch': false, 'int64-tokens': true, fp16: true, bool: true,
      strings: true, 'integer-types': true, 'declared-one-really-n': true,
    });
  });

  it('runs concurrent requests to a multi-input model together, each answered as a run of its own', async () => {
    const requests = Array.from({ length: 12 }, (_, i): SampleInput[] => {
      const n = 1 + (i % 3);
      return [
        { name: 'a', datatype: 'FP32', shape: [n, 3], data: Array.from({ length: n * 3 }, (_, k) => i * 10 + k + 0.25) },
        { name: 'b', datatype: 'INT64', shape: [n, 2], data: Array.from({ length: n * 2 }, (_, k) => BigInt(i - k)) },
      ];
    });
    const slow = slowInner('multi-input');
    try {
      const answers = await Promise.all(requests.map((r) => viaBinary('multi-input', r)));
      for (const [i, r] of requests.entries()) assert.deepEqual(answers[i], await ortExpected(modelPath('multi-input'), r), `request ${i}`);
      assert.ok(slow.rows.length < requests.length, `runs: ${slow.rows.join(' ')}`);
      assert.ok(slow.rows.some((n) => n > 3), `some run joined requests: ${slow.rows.join(' ')}`);
    } finally {
      slow.restore();
    }
  });

  it('puts requests whose other dimensions differ in different runs (INT64 tokens of several lengths)', async () => {
    const requests = Array.from({ length: 9 }, (_, i): SampleInput[] =>
      [{ name: 'tokens', datatype: 'INT64', shape: [1, 1 + (i % 3)], data: Array.from({ length: 1 + (i % 3) }, (_, k) => BigInt((i + k) % 10)) }]);
    const slow = slowInner('int64-tokens');
    try {
      const answers = await Promise.all(requests.map((r) => viaGrpc('int64-tokens', r, false)));
      for (const [i, r] of requests.entries()) assert.deepEqual(answers[i], await ortExpected(modelPath('int64-tokens'), r), `request ${i}`);
      assert.ok(slow.rows.length >= 3 && slow.rows.length < requests.length, `runs: ${slow.rows.join(' ')}`);
    } finally {
      slow.restore();
    }
  });

  it('runs each request to a model that is not batchable alone, exactly as sent', async () => {
    const slow = slowInner('fixed-shape');
    try {
      const samples = sampleInputs('fixed-shape');
      const expected = await ortExpected(modelPath('fixed-shape'), samples);
      const answers = await Promise.all(Array.from({ length: 5 }, () => viaJson('fixed-shape', samples)));
      for (const a of answers) assert.deepEqual(a, expected);
      assert.deepEqual(slow.rows, [0, 0, 0, 0, 0], 'five runs, each AS_SENT (0): no padding, no joining');
    } finally {
      slow.restore();
    }
  });
});

describe('independent Python clients (Debian python3-grpcio; urllib with the binary layout written by hand)', () => {
  const missing = pythonGrpcMissing();
  let stubs: ReturnType<typeof generateStubs> | undefined;
  before(() => {
    if (!missing) stubs = generateStubs();
  });
  after(() => stubs?.remove());
  /** Python's answer's outputs, decoded as the TS doors' are. */
  const decoded = (outputs: Array<{ name: string; datatype: string; shape: number[]; raw: string }>): Expected[] =>
    outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, values: decodeBinary(o.datatype, Buffer.from(o.raw, 'hex')) }));

  for (const model of ['strings', 'fp16', 'bool', 'multi-input', 'integer-types'] as const) {
    it(`REST binary from urllib: ${model} answers what onnxruntime-node answers`, { skip: pythonMissing() }, async () => {
      const samples = sampleInputs(model);
      const answer = await pythonRestBinary({ url: `${t.url}/v2/models/${model}/infer`, token, inputs: samples });
      assert.equal(answer.status, 200, JSON.stringify(answer));
      assert.deepEqual(decoded(answer.outputs), await ortExpected(modelPath(model), samples));
    });
  }

  for (const model of ['strings', 'fp16', 'bool', 'integer-types', 'int64-tokens'] as const) {
    for (const typed of model === 'fp16' ? [false] : [false, true]) {
      it(`gRPC ${typed ? 'typed contents' : 'raw_input_contents'} from python3-grpcio: ${model} answers what onnxruntime-node answers`,
        { skip: missing && `SKIPPED LOUDLY: ${missing}` }, async () => {
          const samples = sampleInputs(model);
          const answer = await pythonClient(stubs!.dir, { address: `127.0.0.1:${grpc.port}`, token, model, tensors: samples, typed });
          assert.equal(answer.error, undefined, JSON.stringify(answer.error));
          const outputs = answer.infer.outputs.map((o: Expected, i: number) => ({ ...o, raw: answer.infer.raw_output_contents[i] }));
          assert.deepEqual(decoded(outputs), await ortExpected(modelPath(model), samples));
        });
    }
  }
});
