import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { GrpcListener } from '../../src/grpc/grpc-server.js';
import { PACKAGE_VERSION } from '../../src/service.js';
import { floats, grpcBeside, inferenceClient, type InferenceClient } from '../helpers/grpc.js';
import { heavyBody, heavyRepository } from '../helpers/oip.js';
import { SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

const IRIS = Object.values(SAMPLES.iris);
const LOAN = Object.values(SAMPLES['loan-approval']);

let t: TestServer;
let grpc: GrpcListener;
let client: InferenceClient;
const admin = { authorization: `Bearer ${testToken()}` };

before(async () => {
  t = await startServer({ env: { MAX_BATCH_SIZE: '50', BODY_LIMIT_BYTES: '4096' } });
  grpc = await grpcBeside(t);
  client = inferenceClient(`127.0.0.1:${grpc.port}`, { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
});
after(async () => {
  client.close();
  await grpc.drain();
  await t.close();
});

const inferRequest = (values: number[], rows: number, extra: Record<string, unknown> = {}) => ({
  model_name: 'iris',
  inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, values.length / rows], contents: { fp32_contents: values } }],
  ...extra,
});

/** The gRPC status of a failing call. */
async function codeOf(call: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code: number; details: string };
    return { code: e.code, details: e.details };
  }
  assert.fail('expected the call to fail');
}

describe('inference.GRPCInferenceService', () => {
  describe('ServerLive, ServerReady, ServerMetadata', () => {
    it('answer without credentials', async () => {
      assert.deepEqual(await client.call('ServerLive', {}), { live: true });
      assert.deepEqual(await client.call('ServerReady', {}), { ready: true });
      const meta = await client.call('ServerMetadata', {});
      assert.equal(meta.name, 'onnx-serving');
      assert.equal(meta.version, PACKAGE_VERSION);
      assert.ok(meta.extensions.includes('binary_tensor_data'));
    });
    it('ServerReady answers false while draining', async () => {
      t.service.lifecycle.draining = true;
      try {
        assert.deepEqual(await client.call('ServerReady', {}), { ready: false });
      } finally {
        t.service.lifecycle.draining = false;
      }
    });
  });

  describe('ModelReady', () => {
    it('answers ready for a model and a version, with models:read', async () => {
      const md = { authorization: `Bearer ${testToken('models:read')}` };
      assert.deepEqual(await client.call('ModelReady', { name: 'iris' }, md), { ready: true });
      assert.deepEqual(await client.call('ModelReady', { name: 'loan-approval', version: '1' }, md), { ready: true });
    });
    it('answers NOT_FOUND for an unknown model or version', async () => {
      assert.equal((await codeOf(client.call('ModelReady', { name: 'nope' }, admin))).code, status.NOT_FOUND);
      assert.equal((await codeOf(client.call('ModelReady', { name: 'iris', version: '3' }, admin))).code, status.NOT_FOUND);
    });
    it('answers UNAUTHENTICATED without credentials and PERMISSION_DENIED without models:read', async () => {
      assert.equal((await codeOf(client.call('ModelReady', { name: 'iris' }))).code, status.UNAUTHENTICATED);
      const bad = await codeOf(client.call('ModelReady', { name: 'iris' }, { authorization: 'Bearer not-a-jwt' }));
      assert.equal(bad.code, status.UNAUTHENTICATED);
      const denied = await codeOf(client.call('ModelReady', { name: 'iris' }, { authorization: `Bearer ${testToken('predict')}` }));
      assert.equal(denied.code, status.PERMISSION_DENIED);
      assert.match(denied.details, /models:read/);
    });
  });

  describe('ModelMetadata', () => {
    it('answers the same metadata as GET /v2/models/{name}', async () => {
      const grpcMeta = await client.call('ModelMetadata', { name: 'loan-approval' }, admin);
      const rest = await t.call('GET', '/v2/models/loan-approval');
      assert.deepEqual(grpcMeta, rest.body);
      const v1 = await client.call('ModelMetadata', { name: 'loan-approval', version: '1' }, admin);
      assert.deepEqual(v1.inputs, [{ name: 'features', datatype: 'FP32', shape: [-1, 5] }]);
    });
  });

  describe('ModelInfer', () => {
    it('takes typed contents and answers raw_output_contents, echoing the id', async () => {
      const reply = await client.call('ModelInfer', inferRequest([...IRIS, ...IRIS], 2, { id: 'g-1' }), admin);
      assert.equal(reply.model_name, 'iris');
      assert.equal(reply.model_version, '1');
      assert.equal(reply.id, 'g-1');
      assert.deepEqual(reply.outputs.map((o: { name: string; datatype: string; shape: number[] }) => [o.name, o.datatype, o.shape]),
        [['label', 'INT64', [2]], ['probabilities', 'FP32', [2, 3]]]);
      const labels = reply.raw_output_contents[0] as Buffer;
      assert.deepEqual([labels.readBigInt64LE(0), labels.readBigInt64LE(8)], [0n, 0n], 'both rows are setosa');
      const values = floats(reply.raw_output_contents[1]);
      assert.equal(values.length, 6);
      assert.deepEqual(Array.from(values.subarray(0, 3)), Array.from(values.subarray(3)));
    });
    it('takes raw_input_contents and answers as typed contents do', async () => {
      const raw = Buffer.from(new Float32Array(IRIS).buffer);
      const viaRaw = await client.call('ModelInfer', {
        model_name: 'iris', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [raw],
      }, admin);
      const typed = await client.call('ModelInfer', inferRequest(IRIS, 1), admin);
      assert.deepEqual(viaRaw.raw_output_contents, typed.raw_output_contents);
      assert.notEqual(viaRaw.id, '');
    });
    it('serves a named version and filters outputs', async () => {
      const req = { ...inferRequest(LOAN, 1), model_name: 'loan-approval', model_version: '1', outputs: [{ name: 'probabilities' }] };
      const reply = await client.call('ModelInfer', req, admin);
      assert.equal(reply.model_version, '1');
      assert.deepEqual(reply.outputs.map((o: { name: string }) => o.name), ['probabilities']);
    });
    const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
      ['an unknown input', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: IRIS } }] }, /unknown input 'x'/],
      ['an unknown output', { outputs: [{ name: 'labels' }] }, /unknown output 'labels'/],
      ['another datatype', { inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4], contents: { fp64_contents: IRIS } }] }, /FP64, expected FP32/],
      ['a wrong shape', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: IRIS } }] }, /expected \[N, 4\]/],
      ['a wrong element count', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: IRIS } }] }, /4 elements, its shape needs 8/],
      ['a NaN', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, NaN, 1, 1] } }] }, /element 1 is NaN/],
      ['raw contents of the wrong size', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [Buffer.alloc(12)] }, /12 bytes/],
      ['raw contents and typed contents', { raw_input_contents: [Buffer.alloc(16)] }, /raw_input_contents is used/],
      ['more rows than MAX_BATCH_SIZE', { inputs: [{ name: 'features', datatype: 'FP32', shape: [51, 4], contents: { fp32_contents: new Array(204).fill(1) } }] }, /51 rows exceed/],
    ];
    for (const [what, change, message] of invalid) {
      it(`answers INVALID_ARGUMENT for ${what}`, async () => {
        const r = await codeOf(client.call('ModelInfer', { ...inferRequest(IRIS, 1), ...change }, admin));
        assert.equal(r.code, status.INVALID_ARGUMENT, r.details);
        assert.match(r.details, message);
      });
    }
    it('answers NOT_FOUND for an unknown model or version', async () => {
      assert.equal((await codeOf(client.call('ModelInfer', { ...inferRequest(IRIS, 1), model_name: 'nope' }, admin))).code, status.NOT_FOUND);
      assert.equal((await codeOf(client.call('ModelInfer', { ...inferRequest(IRIS, 1), model_version: '5' }, admin))).code, status.NOT_FOUND);
    });
    it('answers UNAVAILABLE for a version that is not ready', async () => {
      const v1 = t.service.registry.get('loan-approval')!.versions.get('1')!;
      v1.state = 'loading';
      try {
        const req = { ...inferRequest(LOAN, 1), model_name: 'loan-approval', model_version: '1' };
        assert.equal((await codeOf(client.call('ModelInfer', req, admin))).code, status.UNAVAILABLE);
      } finally {
        v1.state = 'ready';
      }
    });
    it('answers PERMISSION_DENIED without the predict scope, and takes an API key from x-api-key', async () => {
      const r = await codeOf(client.call('ModelInfer', inferRequest(IRIS, 1), { authorization: `Bearer ${testToken('models:read')}` }));
      assert.equal(r.code, status.PERMISSION_DENIED);
      const key = await codeOf(client.call('ModelInfer', inferRequest(IRIS, 1), { 'x-api-key': 'unknown-key' }));
      assert.equal(key.code, status.UNAUTHENTICATED);
    });
    it('refuses a message over 32 x BODY_LIMIT_BYTES', async () => {
      const values = new Array(40_000).fill(1);
      const r = await codeOf(client.call('ModelInfer', { ...inferRequest(values, 10_000) }, admin));
      assert.equal(r.code, status.RESOURCE_EXHAUSTED);
    });
  });
});

describe('gRPC limits', () => {
  it('answers RESOURCE_EXHAUSTED once the caller\'s predict budget (shared with /predict) is spent', async () => {
    const s = await startServer({ env: { RATE_LIMIT_PREDICT_PER_MIN: '2' } });
    const g = await grpcBeside(s);
    const c = inferenceClient(`127.0.0.1:${g.port}`);
    try {
      const token = testToken('predict', 'grpc-budget');
      const p = await s.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris }, auth: token });
      assert.equal(p.status, 200);
      const md = { authorization: `Bearer ${token}` };
      await c.call('ModelInfer', inferRequest(IRIS, 1), md);
      const r = await codeOf(c.call('ModelInfer', inferRequest(IRIS, 1), md));
      assert.equal(r.code, status.RESOURCE_EXHAUSTED);
      assert.match(r.details, /Rate limit exceeded/);
    } finally {
      c.close();
      await g.drain();
      await s.close();
    }
  });
  it('answers RESOURCE_EXHAUSTED once an address without valid credentials spent its budget (as HTTP does)', async () => {
    const s = await startServer({ env: { RATE_LIMIT_DEFAULT_PER_MIN: '2' } });
    const g = await grpcBeside(s);
    const c = inferenceClient(`127.0.0.1:${g.port}`);
    try {
      const bad = { authorization: 'Bearer not-a-token' };
      assert.equal((await codeOf(c.call('ModelReady', { name: 'iris' }, bad))).code, status.UNAUTHENTICATED);
      assert.equal((await codeOf(c.call('ModelReady', { name: 'iris' }))).code, status.UNAUTHENTICATED);
      const over = await codeOf(c.call('ModelReady', { name: 'iris' }, bad));
      assert.equal(over.code, status.RESOURCE_EXHAUSTED);
      assert.match(over.details, /from this address/);
      assert.deepEqual(await c.call('ServerReady', {}), { ready: true }, 'the calls that need no credentials stay free');
    } finally {
      c.close();
      await g.drain();
      await s.close();
    }
  });
  it('answers UNAVAILABLE when the queue is full and DEADLINE_EXCEEDED past INFERENCE_TIMEOUT_MS', async () => {
    // The heavy fixture in a worker: runs of tens of ms, so calls queue and every deadline of 1 ms passes.
    const heavy = heavyRepository();
    const s = await startServer({ env: { INFERENCE_QUEUE_SIZE: '1', INFERENCE_TIMEOUT_MS: '1', MODEL_REPOSITORY: heavy.dir } });
    const g = await grpcBeside(s);
    const c = inferenceClient(`127.0.0.1:${g.port}`);
    try {
      const { inputs } = heavyBody();
      const req = { model_name: 'heavy', inputs: [{ ...inputs[0], contents: { fp32_contents: inputs[0]!.data } }] };
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => c.call('ModelInfer', req, admin)));
      const codes = results.map((r) => (r.status === 'fulfilled' ? status.OK : (r.reason as { code: number }).code));
      assert.ok(codes.includes(status.UNAVAILABLE), codes.join());
      assert.ok(codes.includes(status.DEADLINE_EXCEEDED), codes.join());
      assert.ok(codes.every((code) => code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED), codes.join());
    } finally {
      c.close();
      await g.drain();
      await s.close();
      heavy.remove();
    }
  });
});
