import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PACKAGE_VERSION } from '../../src/service.js';
import { sample } from '../helpers/metrics.js';
import { binaryBody, expectOipError, fp32Input, heavyBody, heavyRepository, readBinaryAnswer } from '../helpers/oip.js';
import { seededRows } from '../helpers/rows.js';
import { SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

const LOAN = Object.values(SAMPLES['loan-approval']);
const IRIS = Object.values(SAMPLES.iris);

let t: TestServer;
before(async () => {
  t = await startServer({ env: { MAX_BATCH_SIZE: '50', BODY_LIMIT_BYTES: '4096' } });
});
after(() => t.close());

const infer = (path: string, body: unknown, init: { auth?: false | string } = {}) =>
  t.call('POST', path, { body, ...init });

/** A binary infer request over fetch (no Content-Type unless given). */
function binaryInfer(path: string, header: Record<string, unknown>, tensors: Float32Array[], contentType?: string) {
  const { body, headerLength } = binaryBody(header, tensors);
  const headers: Record<string, string> = {
    authorization: `Bearer ${testToken()}`,
    'inference-header-content-length': String(headerLength),
  };
  if (contentType) headers['content-type'] = contentType;
  return fetch(t.url + path, { method: 'POST', headers, body });
}

describe('GET /v2/health/live', () => {
  it('answers 200 {"live": true} with X-Request-ID, without credentials', async () => {
    const r = await t.call('GET', '/v2/health/live', { auth: false });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { live: true });
    assert.ok(r.headers.get('x-request-id'));
  });
});

describe('GET /v2/health/ready', () => {
  it('answers 200 {"ready": true} once models are ready', async () => {
    const r = await t.call('GET', '/v2/health/ready', { auth: false });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { ready: true });
  });
  describe('while draining', () => {
    it('answers 503 {"ready": false}, like /api/v1/health', async () => {
      t.service.lifecycle.draining = true;
      try {
        const r = await t.call('GET', '/v2/health/ready', { auth: false });
        const v1 = await t.call('GET', '/api/v1/health', { auth: false });
        assert.equal(r.status, 503);
        assert.deepEqual(r.body, { ready: false });
        assert.equal(v1.status, 503);
      } finally {
        t.service.lifecycle.draining = false;
      }
    });
  });
});

describe('GET /v2', () => {
  it('answers the server name, package version and the binary_tensor_data extension', async () => {
    const r = await t.call('GET', '/v2', { auth: false });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'onnx-serving');
    assert.equal(r.body.version, PACKAGE_VERSION);
    assert.ok(r.body.extensions.includes('binary_tensor_data'));
  });
});

describe('GET /v2/models/{name}', () => {
  it('answers versions, platform and the tensors read from the ONNX graph', async () => {
    const r = await t.call('GET', '/v2/models/loan-approval', { auth: testToken('models:read') });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      name: 'loan-approval',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 5] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
    });
  });
  it('lists every output of the graph, INT64 included (iris)', async () => {
    const r = await t.call('GET', '/v2/models/iris');
    assert.deepEqual(r.body.outputs, [
      { name: 'label', datatype: 'INT64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
    ]);
  });
  it('answers a version\'s metadata at /versions/{version}', async () => {
    const r = await t.call('GET', '/v2/models/house-price/versions/1');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.outputs, [{ name: 'prediction', datatype: 'FP32', shape: [-1, 1] }]);
  });
  describe('for an unknown model or version', () => {
    it('answers 404 {"error"}', async () => {
      expectOipError(await t.call('GET', '/v2/models/no-such-model'), 404, /no-such-model/);
      expectOipError(await t.call('GET', '/v2/models/iris/versions/9'), 404, /version '9'/);
    });
  });
  describe('without credentials, or without models:read', () => {
    it('answers 401 with a challenge, and 403', async () => {
      const anon = await t.call('GET', '/v2/models/iris', { auth: false });
      expectOipError(anon, 401);
      assert.match(anon.headers.get('www-authenticate') ?? '', /^Bearer realm="api"/);
      expectOipError(await t.call('GET', '/v2/models/iris', { auth: testToken('predict') }), 403, /models:read/);
    });
  });
});

describe('GET /v2/models/{name}[/versions/{version}]/ready', () => {
  it('answers 200 {"name", "ready": true} for a ready model and version', async () => {
    assert.deepEqual((await t.call('GET', '/v2/models/iris/ready')).body, { name: 'iris', ready: true });
    const r = await t.call('GET', '/v2/models/loan-approval/versions/1/ready');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { name: 'loan-approval', ready: true });
  });
  describe('for a version that is loading', () => {
    it('answers 503 {"ready": false}, and an infer on it 503', async () => {
      const v1 = t.service.registry.get('loan-approval')!.versions.get('1')!;
      v1.state = 'loading';
      try {
        const r = await t.call('GET', '/v2/models/loan-approval/versions/1/ready');
        assert.equal(r.status, 503);
        assert.deepEqual(r.body, { name: 'loan-approval', ready: false });
        const i = await infer('/v2/models/loan-approval/versions/1/infer', { inputs: [fp32Input(LOAN, 1)] });
        expectOipError(i, 503, /not ready/);
        assert.ok(i.headers.get('retry-after'));
      } finally {
        v1.state = 'ready';
      }
    });
  });
  describe('for an unknown model', () => {
    it('answers 404 {"error"}', async () => {
      expectOipError(await t.call('GET', '/v2/models/nope/ready'), 404);
    });
  });
});

describe('POST /v2/models/{name}/infer', () => {
  describe('with a JSON tensor', () => {
    it('answers every output of the ONNX graph in its order, row i for input row i, and echoes the id', async () => {
      const rows = seededRows([[4, 8], [2, 4.5], [1, 7], [0.1, 2.5]], 3);
      const r = await infer('/v2/models/iris/infer', { id: 'my-request-7', inputs: [fp32Input(rows, 3)] });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.model_name, 'iris');
      assert.equal(r.body.model_version, '1');
      assert.equal(r.body.id, 'my-request-7');
      const [label, out] = r.body.outputs;
      assert.deepEqual([label.name, label.datatype, label.shape], ['label', 'INT64', [3]]);
      assert.deepEqual([out.name, out.datatype, out.shape], ['probabilities', 'FP32', [3, 3]]);
      for (let i = 0; i < 3; i++) {
        const row: number[] = out.data.slice(i * 3, i * 3 + 3);
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `row ${i} sums to 1`);
        assert.equal(label.data[i], row.indexOf(Math.max(...row)), `row ${i}: the label is the most probable class`);
      }
      const single = await infer('/v2/models/iris/infer', { inputs: [fp32Input(rows.subarray(4, 8), 1)] });
      assert.deepEqual(single.body.outputs[1].data, out.data.slice(3, 6), 'row 1 alone answers as inside the batch');
      assert.deepEqual(single.body.outputs[0].data, [label.data[1]]);
    });
    it('takes nested data as flat data, and makes a fresh id when none is sent', async () => {
      const flat = await infer('/v2/models/iris/infer', { inputs: [fp32Input([...IRIS, ...IRIS], 2)] });
      const nested = await infer('/v2/models/iris/infer', {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: [IRIS, IRIS] }],
      });
      assert.equal(nested.status, 200, nested.text);
      assert.deepEqual(nested.body.outputs, flat.body.outputs);
      assert.equal(typeof flat.body.id, 'string');
      assert.notEqual(flat.body.id, nested.body.id);
    });
    it('answers only the outputs named in "outputs"', async () => {
      const r = await infer('/v2/models/loan-approval/infer', { inputs: [fp32Input(LOAN, 1)], outputs: [{ name: 'probabilities' }] });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.outputs.map((o: { name: string }) => o.name), ['probabilities']);
    });
    it('serves the version /api/v1 would choose, and each version at /versions/{version}', async () => {
      const body = { inputs: [fp32Input(LOAN, 1)] };
      const latest = await infer('/v2/models/loan-approval/infer', body);
      const v1 = await infer('/v2/models/loan-approval/versions/1/infer', body);
      const v2 = await infer('/v2/models/loan-approval/versions/2/infer', body);
      const api = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: SAMPLES['loan-approval'] } });
      assert.equal(latest.body.model_version, api.body.data.model_version);
      assert.equal(v1.body.model_version, '1');
      assert.equal(v2.body.model_version, '2');
      assert.deepEqual(latest.body.outputs, v2.body.outputs);
      assert.notDeepEqual(v1.body.outputs[0].data, v2.body.outputs[0].data);
    });
    it('counts in the inference metrics and does not touch the prediction cache', async () => {
      const metrics = async () => (await t.call('GET', '/metrics', { auth: false })).text;
      const labels = { model: 'iris', version: '1' };
      const before = await metrics();
      await infer('/v2/models/iris/infer', { inputs: [fp32Input(IRIS, 1)] });
      const after = await metrics();
      assert.equal(sample(after, 'inference_runs_total', labels), (sample(before, 'inference_runs_total', labels) ?? 0) + 1);
      assert.equal(sample(after, 'prediction_cache_misses_total'), sample(before, 'prediction_cache_misses_total'));
    });
  });

  describe('with binary tensor data', () => {
    it('reads raw inputs after the JSON header and answers binary outputs when binary_data_output is set', async () => {
      const rows = seededRows([[18, 90], [5000, 300000], [300, 850], [0, 45], [500, 200000]], 20);
      const res = await binaryInfer('/v2/models/loan-approval/infer', {
        id: 'b1',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [20, 5], parameters: { binary_data_size: rows.byteLength } }],
        parameters: { binary_data_output: true },
      }, [rows], 'application/octet-stream');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      const { header, outputs } = await readBinaryAnswer(res);
      assert.equal(header.id, 'b1');
      assert.deepEqual(header.outputs[0], { name: 'probabilities', datatype: 'FP32', shape: [20, 2], parameters: { binary_data_size: 160 } });
      const json = await infer('/v2/models/loan-approval/infer', { inputs: [fp32Input(rows, 20)] });
      assert.deepEqual(Array.from(outputs.get('probabilities')!), json.body.outputs[0].data.map(Math.fround), 'JSON prints the same float32 values');
    });
    it('takes a body without Content-Type (as Triton\'s client sends) and answers JSON unless asked for binary', async () => {
      const row = new Float32Array(IRIS);
      const res = await binaryInfer('/v2/models/iris/infer', {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }],
      }, [row]);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.headers.get('inference-header-content-length'), null);
      const body = (await res.json()) as { outputs: Array<{ name: string; data: number[] }> };
      assert.deepEqual(body.outputs.map((o) => [o.name, o.data.length]), [['label', 1], ['probabilities', 3]]);
    });
    it('answers an INT64 output as 8-byte little-endian integers', async () => {
      const res = await binaryInfer('/v2/models/iris/infer', {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }],
        outputs: [{ name: 'label', parameters: { binary_data: true } }],
      }, [new Float32Array(IRIS)]);
      const buf = Buffer.from(await res.arrayBuffer());
      const length = Number(res.headers.get('inference-header-content-length'));
      const header = JSON.parse(buf.subarray(0, length).toString('utf8'));
      assert.deepEqual(header.outputs, [{ name: 'label', datatype: 'INT64', shape: [1], parameters: { binary_data_size: 8 } }]);
      assert.equal(buf.readBigInt64LE(length), 0n, 'setosa');
    });
    it('lets an output\'s own binary_data override binary_data_output', async () => {
      const row = new Float32Array(IRIS);
      const header = {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }],
        outputs: [{ name: 'probabilities', parameters: { binary_data: false } }],
        parameters: { binary_data_output: true },
      };
      const res = await binaryInfer('/v2/models/iris/infer', header, [row], 'application/octet-stream');
      const body = (await res.json()) as { outputs: Array<{ data: number[] }> };
      assert.equal(body.outputs[0]!.data.length, 3);
      const asked = await infer('/v2/models/iris/infer', {
        inputs: [fp32Input(IRIS, 1)], outputs: [{ name: 'probabilities', parameters: { binary_data: true } }],
      });
      assert.equal(asked.status, 200);
      assert.equal(asked.headers.get('content-type'), 'application/octet-stream');
    });
    it('answers 400 for a NaN in the raw bytes, and for sizes that do not add up', async () => {
      const bad = new Float32Array([5.1, NaN, 1.4, 0.2]);
      const input = { name: 'features', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } };
      const r1 = await binaryInfer('/v2/models/iris/infer', { inputs: [input] }, [bad]);
      assert.equal(r1.status, 400);
      assert.match(((await r1.json()) as { error: string }).error, /element 1 is NaN/);
      const r2 = await binaryInfer('/v2/models/iris/infer', { inputs: [{ ...input, parameters: { binary_data_size: 12 } }] }, [new Float32Array(IRIS)]);
      assert.equal(r2.status, 400);
      const r3 = await binaryInfer('/v2/models/iris/infer', { inputs: [{ ...input, parameters: { binary_data_size: 12 } }] }, [new Float32Array(3)]);
      assert.match(((await r3.json()) as { error: string }).error, /12 bytes of data, its shape needs 16/);
    });
  });

  describe('with a tensor that does not fit', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['an unknown input name', { inputs: [fp32Input(IRIS, 1, 'x')] }, /unknown input 'x'/],
      ['an unknown output name', { inputs: [fp32Input(IRIS, 1)], outputs: [{ name: 'labels' }] }, /unknown output 'labels'; the model gives 'label', 'probabilities'/],
      ['another datatype', { inputs: [{ ...fp32Input(IRIS, 1), datatype: 'INT64' }] }, /datatype INT64, expected FP32/],
      ['a shape of the wrong width', { inputs: [{ ...fp32Input(IRIS, 1), shape: [1, 5] }] }, /expected \[N, 4\]/],
      ['fewer elements than the shape', { inputs: [{ ...fp32Input(IRIS, 1), shape: [2, 4] }] }, /4 elements, its shape needs 8/],
      ['a value beyond FP32', { inputs: [fp32Input([5, 3, 1e39, 0.2], 1)] }, /element 2 is 1e\+39/],
      ['a string value', { inputs: [fp32Input([5, 3, 1, 0.2], 1)].map((i) => ({ ...i, data: [5, '3', 1, 0.2] })) }, /element 1 is a string/],
      ['no inputs', { inputs: [] }, /inputs must be a non-empty array/],
      ['zero rows', { inputs: [{ ...fp32Input([], 1), shape: [0, 4] }] }, /no rows/],
    ];
    for (const [what, body, message] of cases) {
      it(`answers 400 {"error"} for ${what}`, async () => {
        expectOipError(await infer('/v2/models/iris/infer', body), 400, message);
      });
    }
    it('answers 400 for data nested 10,000 deep, without a crash', async () => {
      const deep = `{"inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 4], "data": ${'['.repeat(10_000)}1${']'.repeat(10_000)}}]}`;
      expectOipError(await t.call('POST', '/v2/models/iris/infer', { raw: deep, headers: { 'content-type': 'application/json' } }), 400, /1 elements, its shape needs 4/);
    });
    it('answers 400 for malformed JSON', async () => {
      expectOipError(await t.call('POST', '/v2/models/iris/infer', { raw: '{"inputs": [', headers: { 'content-type': 'application/json' } }), 400, /not valid JSON/);
    });
  });

  describe('with more rows than MAX_BATCH_SIZE', () => {
    it('answers 413', async () => {
      expectOipError(await infer('/v2/models/iris/infer', { inputs: [fp32Input(new Float32Array(51 * 4).fill(1), 51)] }), 413, /51 rows exceed the batch limit of 50/);
    });
  });
  describe('with a body over 32 x BODY_LIMIT_BYTES', () => {
    it('answers 413', async () => {
      const big = { inputs: [fp32Input(new Float32Array(40 * 4).fill(1), 40)], pad: 'x'.repeat(32 * 4096) };
      expectOipError(await infer('/v2/models/iris/infer', big), 413);
    });
    it('takes a body between the ordinary and the batch limit', async () => {
      const rows = new Float32Array(50 * 4).fill(1.2345678);
      const r = await infer('/v2/models/iris/infer', { inputs: [fp32Input(rows, 50)], pad: 'x'.repeat(8000) });
      assert.equal(r.status, 200, r.text);
    });
  });
  describe('with another media type', () => {
    it('answers 415', async () => {
      expectOipError(await t.call('POST', '/v2/models/iris/infer', { raw: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    });
  });
  describe('for an unknown model or version', () => {
    it('answers 404', async () => {
      expectOipError(await infer('/v2/models/nope/infer', { inputs: [fp32Input(IRIS, 1)] }), 404);
      expectOipError(await infer('/v2/models/iris/versions/7/infer', { inputs: [fp32Input(IRIS, 1)] }), 404);
    });
  });
  describe('without the predict scope', () => {
    it('answers 401 and 403 before reading the body', async () => {
      expectOipError(await infer('/v2/models/iris/infer', { inputs: [] }, { auth: false }), 401);
      expectOipError(await infer('/v2/models/iris/infer', { inputs: [] }, { auth: testToken('models:read') }), 403, /predict/);
    });
  });
  describe('with a wrong method or an unknown /v2 path', () => {
    it('answers 405 with Allow, and 404, in the protocol\'s shape', async () => {
      const r = await t.call('GET', '/v2/models/iris/infer');
      expectOipError(r, 405);
      assert.match(r.headers.get('allow') ?? '', /POST/);
      expectOipError(await t.call('GET', '/v2/repository/index'), 404);
    });
  });
});

describe('OIP limits', () => {
  describe('when the caller\'s predict budget is spent', () => {
    it('answers 429 with Retry-After; /predict and /infer spend one budget', async () => {
      const s = await startServer({ env: { RATE_LIMIT_PREDICT_PER_MIN: '2' } });
      try {
        const token = testToken('predict', 'budget-user');
        const p = await s.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris }, auth: token });
        assert.equal(p.status, 200);
        const first = await s.call('POST', '/v2/models/iris/infer', { body: { inputs: [fp32Input(IRIS, 1)] }, auth: token });
        assert.equal(first.status, 200);
        assert.ok(first.headers.get('ratelimit-remaining') !== null, 'rate-limit headers on an OIP answer');
        const over = await s.call('POST', '/v2/models/iris/infer', { body: { inputs: [fp32Input(IRIS, 1)] }, auth: token });
        expectOipError(over, 429);
        assert.ok(Number(over.headers.get('retry-after')) >= 1);
        assert.equal(over.headers.get('x-ratelimit-remaining'), '0');
      } finally {
        await s.close();
      }
    });
  });
  describe('when an address without credentials spent its budget', () => {
    it('answers 429 in the protocol\'s shape, and never limits /v2/health', async () => {
      const s = await startServer({ env: { RATE_LIMIT_DEFAULT_PER_MIN: '2' } });
      try {
        const anon = () => s.call('GET', '/v2/models/iris', { auth: false });
        expectOipError(await anon(), 401);
        expectOipError(await anon(), 401);
        const over = await anon();
        expectOipError(over, 429);
        assert.ok(Number(over.headers.get('retry-after')) >= 1);
        for (let i = 0; i < 4; i++) assert.equal((await s.call('GET', '/v2/health/ready', { auth: false })).status, 200);
      } finally {
        await s.close();
      }
    });
  });
  describe('on a model that runs for tens of ms (the heavy fixture, in a worker)', () => {
    let heavy: ReturnType<typeof heavyRepository>;
    before(() => {
      heavy = heavyRepository();
    });
    after(() => heavy.remove());

    it('answers 503 with Retry-After to the requests the full queue cannot take', async () => {
      const s = await startServer({ env: { INFERENCE_QUEUE_SIZE: '1', MODEL_REPOSITORY: heavy.dir } });
      try {
        const replies = await Promise.all(Array.from({ length: 12 }, () => s.call('POST', '/v2/models/heavy/infer', { body: heavyBody() })));
        const statuses = replies.map((r) => r.status).sort();
        // One runs, one waits; those arriving meanwhile find the queue full.
        assert.ok(statuses.includes(200) && statuses.includes(503), statuses.join());
        assert.ok(statuses.every((st) => st === 200 || st === 503), statuses.join());
        for (const r of replies.filter((x) => x.status === 503)) {
          expectOipError(r, 503, /overloaded/);
          assert.ok(r.headers.get('retry-after'));
        }
      } finally {
        await s.close();
      }
    });
    it('answers 504 past INFERENCE_TIMEOUT_MS', async () => {
      const s = await startServer({ env: { INFERENCE_TIMEOUT_MS: '1', MODEL_REPOSITORY: heavy.dir } });
      try {
        expectOipError(await s.call('POST', '/v2/models/heavy/infer', { body: heavyBody() }), 504, /did not finish within 1 ms/);
      } finally {
        await s.close();
      }
    });
  });
});
