import '../../src/ort-env.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferenceSession, type Tensor } from 'onnxruntime-node';
import { exposeValues } from '../../scripts/lib/onnx-expose.js';
import { encodeModel, toFloat16Bits, TensorType } from '../../scripts/lib/onnx-writer.js';
import { lightgbmProbability, zipmapClassifierExpected } from '../fixtures/converter-models.js';
import { sampleInputs, TENSOR_MODELS, TOKEN_EMBEDDING, writeTensorModels, type TensorModelName } from '../fixtures/tensor-models.js';
import { fromFloat16Bits, sampleFeeds } from '../helpers/ort-feeds.js';

const NAMES = Object.keys(TENSOR_MODELS) as TensorModelName[];
const ROOT = join(import.meta.dirname, '..', '..');
/** The graph outputs onnxruntime-node can fetch (a ZipMap's sequence of maps is not one). */
const tensorOutputs = (name: TensorModelName) => TENSOR_MODELS[name]().outputs.filter((o) => 'elemType' in o).map((o) => o.name);
const numbers = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);
const close = (got: readonly number[], want: readonly number[], tol = 1e-5) =>
  assert.ok(got.length === want.length && got.every((g, i) => Math.abs(g - want[i]!) <= tol), `${got} vs ${want}`);

/**
 * onnxruntime-node 1.30 cannot take an FP16 input where globalThis.Float16Array exists (Node 24):
 * onnxruntime-common hands the binding a Float16Array whose byte length it reads as 0 ("not enough
 * space: expected 16, got 0"; microsoft/onnxruntime#26791, PR #32323). Without that global it
 * passes a Uint16Array, which works, so the FP16 fixture is proven in a process started with
 * --no-js-float16array.
 */
function runFp16InChild(path: string, bits: number[], shape: number[]): { dims: number[]; data: number[] } {
  const code = `const { InferenceSession, Tensor } = await import('onnxruntime-node');
    const [path, bits, shape] = JSON.parse(process.argv[1]);
    const s = await InferenceSession.create(path);
    const r = await s.run({ x: new Tensor('float16', Uint16Array.from(bits), shape) });
    console.log(JSON.stringify({ dims: r.y.dims, data: Array.from(r.y.data) }));`;
  const out = execFileSync(process.execPath, ['--no-js-float16array', '--input-type=module', '-e', code, JSON.stringify([path, bits, shape])], {
    cwd: ROOT, env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' }, encoding: 'utf8',
  });
  return JSON.parse(out);
}

describe('test/fixtures/tensor-models.ts', () => {
  let repo: string;
  before(() => {
    repo = mkdtempSync(join(tmpdir(), 'tensor-models-'));
    writeTensorModels(repo);
  });
  after(() => rmSync(repo, { recursive: true, force: true }));
  const path = (name: TensorModelName) => join(repo, name, '1', 'model.onnx');
  const run = async (name: TensorModelName, bytes?: Uint8Array, fetches = tensorOutputs(name)) => {
    // severity 3: declared-one-really-n makes ORT warn that [3] is not the declared [1], as it should
    const session = await InferenceSession.create(bytes ?? readFileSync(path(name)), { logSeverityLevel: 3 });
    return session.run(sampleFeeds(sampleInputs(name)), fetches);
  };

  it('writes the same bytes for the same fixture', () => {
    for (const name of NAMES) assert.ok(readFileSync(path(name)).equals(encodeModel(TENSOR_MODELS[name]())), name);
  });

  describe('each fixture runs its sample inputs in onnxruntime-node', () => {
    for (const name of NAMES.filter((n) => n !== 'fp16')) {
      it(`${name}: every tensor output answers`, async () => {
        const out = await run(name);
        assert.deepEqual(Object.keys(out).sort(), tensorOutputs(name).sort());
      });
    }
    it('fp16: runs in a process without Float16Array (ORT cannot take FP16 input otherwise)', () => {
      const x = sampleInputs('fp16')[0]!;
      const out = runFp16InChild(path('fp16'), x.data.map((v) => toFloat16Bits(Number(v))), x.shape);
      assert.deepEqual(out.dims, [2, 4]);
      assert.deepEqual(out.data.map(fromFloat16Bits), x.data.map((v) => 2 * Number(v) + 0.5));
    });
    it('fp16: runs in this process too, because src/ort-env.ts removed the global Float16Array', async () => {
      assert.equal(typeof (globalThis as { Float16Array?: unknown }).Float16Array, 'undefined');
      const out = await run('fp16');
      const x = sampleInputs('fp16')[0]!;
      assert.deepEqual(Array.from(out.y!.data as Uint16Array, fromFloat16Bits), x.data.map((v) => 2 * Number(v) + 0.5));
    });
  });

  describe('answers what each fixture is built to answer', () => {
    it('multi-input: sum = a + Σb per row (FP32 [2,3]), total = Σb (INT64 [2])', async () => {
      const out = await run('multi-input');
      assert.deepEqual(numbers(out.sum!), [4, 5, 6, 11, 12, 13]);
      assert.deepEqual([out.total!.type, ...out.total!.dims], ['int64', 2]);
      assert.deepEqual(numbers(out.total!), [3, 7]);
    });
    it('no-batch: y [4] and a scalar total (dims [])', async () => {
      const out = await run('no-batch');
      assert.deepEqual(numbers(out.y!), [2, 3, 4, 5]);
      assert.deepEqual(out.total!.dims, []);
      assert.deepEqual(numbers(out.total!), [10]);
    });
    it('int64-tokens: the mean embedding row per sequence', async () => {
      const out = await run('int64-tokens');
      const mean = (ids: number[]) => [0, 1, 2, 3].map((d) => ids.reduce((s, v) => s + TOKEN_EMBEDDING[v]![d]!, 0) / ids.length);
      close(numbers(out.embedding_mean!), [...mean([1, 2, 3]), ...mean([4, 5, 9])]);
    });
    it('bool: flags = !x && [t, f, t], as_int32 = x as INT32', async () => {
      const out = await run('bool');
      assert.deepEqual(Array.from(out.flags!.data as Uint8Array, Boolean), [false, false, false, true, false, false]);
      assert.deepEqual([out.as_int32!.type, ...numbers(out.as_int32!)], ['int32', 1, 0, 1, 0, 0, 1]);
    });
    it('strings: Identity, LabelEncoder to strings (unknown → "?") and to INT64 (unknown → -1)', async () => {
      const out = await run('strings');
      assert.deepEqual(out.same!.data, ['red', 'blue', 'green', 'purple']);
      assert.deepEqual(out.upper!.data, ['RED', 'BLUE', 'GREEN', '?']);
      assert.deepEqual(numbers(out.codes!), [0, 2, 1, -1]);
    });
    it('integer-types: x + 1 in each type, 2^53 + 1 kept exactly in INT64 and UINT64', async () => {
      const out = await run('integer-types');
      for (const s of sampleInputs('integer-types')) {
        const y = out[s.name.replace('x_', 'y_')]!;
        const want = s.data.map((v) => (typeof v === 'bigint' ? v + 1n : Number(v) + 1));
        assert.deepEqual(Array.from(y.data as ArrayLike<number | bigint>), s.datatype === 'FP64' ? want.map(Number) : want, s.datatype);
      }
    });
    it("zipmap-classifier: output_label and the ZipMap's input match the builder's own probabilities", async () => {
      const want = zipmapClassifierExpected();
      const bytes = exposeValues(readFileSync(path('zipmap-classifier')), [{ name: 'probabilities', elemType: TensorType.FLOAT, shape: [null, 3] }]);
      const out = await run('zipmap-classifier', bytes, ['output_label', 'probabilities']);
      assert.deepEqual(out.output_label!.data, want.labels);
      close(numbers(out.probabilities!), want.probabilities.flat());
    });
    it("onnxmltools-trees: int64 labels and the ZipMap's input are sigmoid(Σ leaves)", async () => {
      const bytes = exposeValues(readFileSync(path('onnxmltools-trees')), [{ name: 'lgbmprobabilities', elemType: TensorType.FLOAT, shape: [null, 2] }]);
      const out = await run('onnxmltools-trees', bytes, ['label', 'lgbmprobabilities']);
      const rows = [[0, 1, 0], [1, 1, 2], [1, 3, 0.5]];
      close(numbers(out.lgbmprobabilities!), rows.flatMap((x) => [1 - lightgbmProbability(x), lightgbmProbability(x)]));
      assert.deepEqual(numbers(out.label!), rows.map((x) => (lightgbmProbability(x) > 0.5 ? 1 : 0)));
    });
    it('torch-mlp: output [batch_size, 3]', async () => {
      assert.deepEqual((await run('torch-mlp')).output!.dims, [2, 3]);
    });
    it('declared-one-really-n: declares [1] but answers one value per row', async () => {
      const out = await run('declared-one-really-n');
      assert.deepEqual(out.y!.dims, [3]);
      assert.deepEqual(numbers(out.y!), [3, 7, 11]);
    });
  });
});
