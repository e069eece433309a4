import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProviderSelector } from '../../src/inference/runtime/execution-providers.js';
import { OnnxRunner, type OnnxRunnerOptions } from '../../src/inference/runtime/onnx-runner.js';
import { WorkerRunner } from '../../src/inference/runtime/worker-runner.js';
import { shippedConfig, shippedOnnx, tempRepository, type TempRepository } from '../helpers/repository.js';
import { fp32Feed, SHIPPED_RANGES, seededRows } from '../helpers/rows.js';
import { AS_SENT, type ModelRunner, type TensorValue } from '../../src/inference/runtime/model-runner.js';
import { writeTensorModel, type TensorModelName } from '../fixtures/tensor-models.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { MODELS_DIR, SAMPLES, startServer, type TestServer } from '../helpers/server.js';


const MODELS = SHIPPED_RANGES;

const optionsFor = (model: string, _output?: string, _width?: number): OnnxRunnerOptions => ({
  model: join(MODELS_DIR, model, 'model.onnx'), intraOpThreads: 1, providers: new ProviderSelector(['cpu']),
});

/** Runs rows through a runner; resolves every output, flattened to plain values. */
async function runRows(runner: ModelRunner, input: Float32Array, rows: number) {
  const outputs = await runner.run(fp32Feed(input, rows), rows);
  return outputs.map((o) => ({ datatype: o.datatype, dims: [...o.dims], data: [...o.data] }));
}

describe('WorkerRunner', () => {
  for (const [model, output, ranges] of MODELS) {
    it(`answers ${model} bit-identically to the in-thread runner, alone, in small runs and in one large run`, async () => {
      const options = optionsFor(model, output, ranges.length);
      const [inThread, worker] = await Promise.all([OnnxRunner.load(options), WorkerRunner.load(options)]);
      try {
        assert.deepEqual(worker.inputs, inThread.inputs);
        assert.deepEqual(worker.outputs, inThread.outputs);
        const n = 203;
        const input = seededRows(ranges, n, 11);
        for (const size of [1, 3, 8, 13, n]) {
          for (let start = 0; start + size <= Math.min(n, 60); start += size) {
            const part = input.subarray(start * ranges.length, (start + size) * ranges.length);
            const [a, b] = await Promise.all([runRows(inThread, part, size), runRows(worker, part, size)]);
            assert.deepEqual(b, a, `${size} rows from ${start}`);
          }
        }
      } finally {
        await Promise.all([inThread.dispose(), worker.dispose()]);
      }
    });
  }

  it('leaves the caller its input (a view of a larger buffer) intact and usable', async () => {
    const worker = await WorkerRunner.load(optionsFor('iris/1', 'probabilities', 4));
    try {
      const all = seededRows(MODELS[1]![2], 10, 11);
      const copy = all.slice();
      const view = all.subarray(8, 16);
      await runRows(worker, view, 2);
      assert.equal(all.buffer.byteLength, copy.byteLength, 'the buffer was not transferred away');
      assert.deepEqual([...all], [...copy]);
    } finally {
      await worker.dispose();
    }
  });

  it('answers concurrent runs each with its own rows', async () => {
    const worker = await WorkerRunner.load(optionsFor('iris/1', 'probabilities', 4));
    const inThread = await OnnxRunner.load(optionsFor('iris/1', 'probabilities', 4));
    try {
      const inputs = Array.from({ length: 20 }, (_, i) => seededRows(MODELS[1]![2], 1 + (i % 5), i + 1));
      const got = await Promise.all(inputs.map((x) => runRows(worker, x, x.length / 4)));
      for (let i = 0; i < inputs.length; i++) {
        const want = await runRows(inThread, inputs[i]!, inputs[i]!.length / 4);
        assert.deepEqual(got[i], want, `run ${i}`);
      }
    } finally {
      await Promise.all([worker.dispose(), inThread.dispose()]);
    }
  });

  it('on dispose, ends its worker and refuses later runs', async () => {
    const worker = await WorkerRunner.load(optionsFor('iris/1', 'probabilities', 4));
    await runRows(worker, seededRows(MODELS[1]![2], 1, 11), 1);
    await worker.dispose();
    await assert.rejects(runRows(worker, seededRows(MODELS[1]![2], 1, 11), 1), /disposed/);
    await worker.dispose();
  });

  it('fails to load a file that is not an ONNX model, leaving no worker behind', async () => {
    const repo = tempRepository().write('corrupt', shippedConfig('iris'), { '1': 'not onnx' });
    try {
      await assert.rejects(WorkerRunner.load({ ...optionsFor('iris/1', 'probabilities', 4), model: join(repo.dir, 'corrupt/1/model.onnx') }));
    } finally {
      repo.remove();
    }
  });
});

describe('POST /api/v1/predict on a model whose model.json says "runner": "worker"', () => {
  let repo: TempRepository;
  let t: TestServer;
  before(async () => {
    const loan = shippedConfig('loan-approval');
    repo = tempRepository()
      .copy('loan-approval')
      .write('loan-worker', { ...loan, runner: 'worker', default_version: undefined }, { '2': shippedOnnx('loan-approval', '2') })
      .write('loan-bad-runner', { ...loan, runner: 'gpu', default_version: undefined }, { '2': shippedOnnx('loan-approval', '2') });
    t = await startServer({ env: { MODEL_REPOSITORY: repo.dir } });
  });
  after(async () => {
    await t.close();
    repo.remove();
  });

  it('answers exactly as the same model on the main thread, single and batched', async () => {
    const features = SAMPLES['loan-approval'];
    const main = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features } });
    const worker = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-worker', features } });
    assert.equal(worker.status, 200);
    const { id: _a, model: _m1, ...want } = main.body.data;
    const { id: _b, model: _m2, ...got } = worker.body.data;
    assert.deepEqual(got, want);
    const instances = Array.from({ length: 37 }, (_, i) => ({ ...features, credit_score: 400 + 10 * i }));
    const mb = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'loan-approval', instances } });
    const wb = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'loan-worker', instances } });
    assert.equal(wb.status, 200);
    assert.deepEqual(
      wb.body.data.predictions.map((p: Record<string, unknown>) => p.probability),
      mb.body.data.predictions.map((p: Record<string, unknown>) => p.probability),
    );
  });

  it('refuses any other runner value as an invalid model.json', async () => {
    const r = await t.call('GET', '/api/v1/models/loan-bad-runner');
    assert.equal(r.body.data.state, 'failed');
    assert.match(r.body.data.reason, /model\.json is invalid: \/runner/);
  });
});

describe('WorkerRunner on tensors of any datatype (API.md §14)', () => {
  it('answers several inputs, FP16, BOOL, BYTES and 64-bit integers as the in-thread runner does (strings cloned, buffers transferred)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-tensors-'));
    try {
      const feeds: Record<string, TensorValue[]> = {
        'multi-input': [
          { datatype: 'FP32', dims: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
          { datatype: 'INT64', dims: [2, 2], data: new BigInt64Array([1n, 2n, 9007199254740993n, -4n]) },
        ],
        fp16: [{ datatype: 'FP16', dims: [1, 4], data: new Uint16Array([0x3c00, 0x4000, 0xbc00, 0x3800]) }],
        bool: [{ datatype: 'BOOL', dims: [1, 3], data: new Uint8Array([1, 0, 1]) }],
        strings: [{ datatype: 'BYTES', dims: [2, 2], data: ['red', 'blue', 'green', 'ünïcode'] }],
      };
      for (const [name, feed] of Object.entries(feeds)) {
        const options = { model: writeTensorModel(dir, name as TensorModelName), intraOpThreads: 1, providers: new ProviderSelector(['cpu']) };
        const [inThread, worker] = await Promise.all([OnnxRunner.load(options), WorkerRunner.load(options)]);
        try {
          assert.deepEqual(worker.outputs, inThread.outputs, name);
          const rows = feed[0]!.dims[0]!;
          const plain = (outs: TensorValue[]) => outs.map((o) => ({ datatype: o.datatype, dims: [...o.dims], data: [...o.data] }));
          // Batchable (padded to 8 rows) and as sent.
          for (const n of [rows, AS_SENT]) {
            const [a, b] = await Promise.all([inThread.run(feed, n), worker.run(feed, n)]);
            assert.deepEqual(plain(b), plain(a), `${name}, rows ${n}`);
          }
          assert.equal(feed[0]!.data.length > 0, true, 'the caller keeps its feeds');
        } finally {
          await Promise.all([inThread.dispose(), worker.dispose()]);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
