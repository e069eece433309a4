import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { DynamicBatcher, type BatcherOptions } from '../../src/inference/runtime/batcher.js';
import { AS_SENT, type ModelRunner, type TensorValue } from '../../src/inference/runtime/model-runner.js';

/** A runner whose output row i is 10 × the first column of input row i; records the rows of each run. */
function tensRunner(delayMs = 0): ModelRunner & { runs: number[] } {
  const runs: number[] = [];
  return {
    runs, executionProvider: 'cpu', inputs: [], outputs: [],
    async run(feeds: readonly TensorValue[], rows: number): Promise<TensorValue[]> {
      runs.push(rows);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      const input = feeds[0]!.data as Float32Array;
      const n = feeds[0]!.dims[0]!;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = input[i * 2]! * 10;
      return [{ datatype: 'FP32', data, dims: [n, 1] }];
    },
    async dispose() {},
  };
}

const options = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({
  maxBatchSize: 64, maxDelayMs: 2, maxQueue: 1024, timeoutMs: 30_000, ...o,
});
/** One FP32 [N, 2] feed whose rows start with `values`. */
const row = (...values: number[]): TensorValue[] =>
  [{ datatype: 'FP32', dims: [values.length, 2], data: new Float32Array(values.flatMap((v) => [v, 0])) }];
const out0 = (outputs: TensorValue[]) => outputs[0]!;

describe('DynamicBatcher', () => {
  it('runs a request that finds the runner idle at once, in the same turn', () => {
    const inner = tensRunner();
    const b = new DynamicBatcher(inner, options({ maxDelayMs: 1000 }));
    void b.run(row(1), 1);
    assert.deepEqual(inner.runs, [1], 'the run started before run() returned');
  });
  it('runs what queued behind a run together, and gives each request its own rows', async () => {
    const inner = tensRunner();
    const b = new DynamicBatcher(inner, options());
    const results = await Promise.all([b.run(row(9), 1), b.run(row(1), 1), b.run(row(2, 3), 2), b.run(row(4), 1)]);
    assert.deepEqual(inner.runs, [1, 4]);
    assert.deepEqual(results.map((r) => [...out0(r).data]), [[90], [10], [20, 30], [40]]);
    assert.deepEqual(results.map((r) => out0(r).dims), [[1, 1], [1, 1], [2, 1], [1, 1]]);
  });
  it('gives each request its own rows of the other graph outputs too', async () => {
    const inner = tensRunner();
    const plain = inner.run.bind(inner);
    // A second output: row i holds the first column twice, as INT64.
    inner.run = async (feeds, rows) => {
      const out = await plain(feeds, rows);
      const input = feeds[0]!.data as Float32Array;
      const label = new BigInt64Array(rows * 2);
      for (let i = 0; i < rows; i++) label.fill(BigInt(input[i * 2]!), i * 2, i * 2 + 2);
      return [...out, { datatype: 'INT64', data: label, dims: [rows, 2] }];
    };
    const b = new DynamicBatcher(inner, options());
    const results = await Promise.all([b.run(row(9), 1), b.run(row(1), 1), b.run(row(2, 3), 2)]);
    assert.deepEqual(inner.runs, [1, 3]);
    assert.deepEqual(results.map((r) => [...r[1]!.data]), [[9n, 9n], [1n, 1n], [2n, 2n, 3n, 3n]]);
    assert.deepEqual(results.map((r) => r[1]!.dims), [[1, 2], [1, 2], [2, 2]]);
  });
  it('with maxDelayMs 0, runs each request alone', async () => {
    const inner = tensRunner();
    const b = new DynamicBatcher(inner, options({ maxDelayMs: 0 }));
    await Promise.all([b.run(row(1), 1), b.run(row(2), 1), b.run(row(3), 1)]);
    assert.deepEqual(inner.runs, [1, 1, 1]);
  });
  it('never puts more than maxBatchSize rows in one run', async () => {
    const inner = tensRunner();
    const b = new DynamicBatcher(inner, options({ maxBatchSize: 6 }));
    await Promise.all(Array.from({ length: 10 }, (_, i) => b.run(row(i, i, i), 3)));
    assert.ok(inner.runs.every((n) => n <= 6), String(inner.runs));
    assert.ok(inner.runs.includes(6), `queued requests were batched: ${inner.runs}`);
    assert.equal(inner.runs.reduce((a, n) => a + n, 0), 30);
  });
  it('batches what queued during a run into the next run', async () => {
    const inner = tensRunner(20);
    const b = new DynamicBatcher(inner, options());
    const first = b.run(row(1), 1);
    await new Promise((r) => setTimeout(r, 5));
    const rest = await Promise.all([b.run(row(2), 1), b.run(row(3), 1), b.run(row(4), 1)]);
    await first;
    assert.deepEqual(inner.runs, [1, 3]);
    assert.deepEqual(rest.map((r) => out0(r).data[0]), [20, 30, 40]);
  });
  it('adds no delay to a lone request, whatever maxDelayMs', async () => {
    const b = new DynamicBatcher(tensRunner(), options({ maxDelayMs: 1000 }));
    const started = performance.now();
    await b.run(row(1), 1);
    assert.ok(performance.now() - started < 500);
  });
  it('refuses with SERVICE_OVERLOADED (503, Retry-After) when the queue is full', async () => {
    const b = new DynamicBatcher(tensRunner(), options({ maxQueue: 2 }));
    // The first runs at once (it leaves the queue); two wait behind it; the fourth finds the queue full.
    const settled = await Promise.allSettled([b.run(row(1), 1), b.run(row(2), 1), b.run(row(3), 1), b.run(row(4), 1)]);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const err = (settled[3] as PromiseRejectedResult).reason as AppError;
    assert.equal(err.code, 'SERVICE_OVERLOADED');
    assert.equal(err.status, 503);
    assert.equal(err.headers?.['Retry-After'], '1');
  });
  it('answers INFERENCE_TIMEOUT (504) to a request that waited and ran past its deadline', async () => {
    const b = new DynamicBatcher(tensRunner(40), options({ timeoutMs: 20 }));
    await assert.rejects(b.run(row(1), 1), (err: AppError) => err.code === 'INFERENCE_TIMEOUT' && err.status === 504);
  });
  it('passes a failed run on to every request of the batch', async () => {
    const inner = tensRunner();
    inner.run = async () => {
      throw new Error('boom');
    };
    const b = new DynamicBatcher(inner, options());
    const settled = await Promise.allSettled([b.run(row(1), 1), b.run(row(2), 1)]);
    assert.ok(settled.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'boom'));
  });
  describe('under a steady stream of requests', () => {
    it('never waits on an idle runner: a lone request after a busy run runs at once', async () => {
      const inner = tensRunner(5);
      const b = new DynamicBatcher(inner, options({ maxDelayMs: 200 }));
      await Promise.all([b.run(row(1), 1), b.run(row(2), 1), b.run(row(3), 1)]);
      const started = performance.now();
      await b.run(row(4), 1);
      assert.ok(performance.now() - started < 100);
      assert.deepEqual(inner.runs, [1, 2, 1]);
    });
    it('collects while a slow run is in progress, whatever maxDelayMs, and runs it all at the end', async () => {
      const inner = tensRunner(30);
      const b = new DynamicBatcher(inner, options({ maxDelayMs: 1 }));
      const first = b.run(row(1), 1);
      const later: Array<Promise<TensorValue[]>> = [];
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 3));
        later.push(b.run(row(i), 1));
      }
      await Promise.all([first, ...later]);
      assert.deepEqual(inner.runs, [1, 5]);
    });
  });
  describe('with several inputs of any datatype (API.md §14)', () => {
    /** A runner that answers its feeds back (every input an output) and records each run's first dimensions. */
    function echoRunner(delayMs = 5) {
      const runs: number[][] = [];
      const runner: ModelRunner = {
        executionProvider: 'cpu', inputs: [], outputs: [],
        async run(feeds, rows) {
          runs.push(feeds.map((f) => f.dims[0]!).concat(rows));
          await new Promise((r) => setTimeout(r, delayMs));
          return feeds.map((f) => ({ ...f }));
        },
        async dispose() {},
      };
      return { runner, runs };
    }
    const request = (ids: number[], words: string[], width = 1): TensorValue[] => [
      { datatype: 'INT64', dims: [ids.length, width], data: BigInt64Array.from(ids.flatMap((i) => Array(width).fill(BigInt(i)))) },
      { datatype: 'BYTES', dims: [words.length], data: words },
    ];
    it('concatenates input by input along the first dimension and splits every output back by rows', async () => {
      const { runner, runs } = echoRunner();
      const b = new DynamicBatcher(runner, options());
      const head = b.run(request([1], ['a']), 1);
      const rest = await Promise.all([b.run(request([2, 3], ['b', 'c']), 2), b.run(request([4], ['d']), 1)]);
      await head;
      assert.deepEqual(runs, [[1, 1, 1], [3, 3, 3]]);
      assert.deepEqual(rest.map((r) => [[...r[0]!.data], r[1]!.data, r[0]!.dims, r[1]!.dims]), [
        [[2n, 3n], ['b', 'c'], [2, 1], [2]],
        [[4n], ['d'], [1, 1], [1]],
      ]);
    });
    it('puts requests whose other dimensions differ in different runs', async () => {
      const { runner, runs } = echoRunner();
      const b = new DynamicBatcher(runner, options());
      const head = b.run(request([1], ['a']), 1);
      const out = await Promise.all([
        b.run(request([2], ['b'], 3), 1), b.run(request([3], ['c']), 1), b.run(request([4], ['d'], 3), 1),
      ]);
      await head;
      assert.deepEqual(runs, [[1, 1, 1], [2, 2, 2], [1, 1, 1]]);
      assert.deepEqual(out.map((r) => [...r[0]!.data]), [[2n, 2n, 2n], [3n], [4n, 4n, 4n]]);
    });
    it('runs a request AS_SENT alone, passing AS_SENT down', async () => {
      const { runner, runs } = echoRunner();
      const b = new DynamicBatcher(runner, options());
      const head = b.run(request([1], ['a']), AS_SENT);
      await Promise.all([b.run(request([2], ['b']), AS_SENT), b.run(request([3], ['c']), AS_SENT), head]);
      assert.deepEqual(runs, [[1, 1, AS_SENT], [1, 1, AS_SENT], [1, 1, AS_SENT]]);
    });
  });
});
