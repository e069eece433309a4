import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProviderSelector } from '../../src/inference/runtime/execution-providers.js';
import { OnnxRunner, type OnnxRunnerOptions } from '../../src/inference/runtime/onnx-runner.js';
import { WorkerRunner } from '../../src/inference/runtime/worker-runner.js';
import { shippedConfig, shippedOnnx, tempRepository, type TempRepository } from '../helpers/repository.js';
import { fp32Feed, SHIPPED_RANGES, seededRows } from '../helpers/rows.js';
import type { ModelRunner } from '../../src/inference/runtime/model-runner.js';
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
