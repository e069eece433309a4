import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ProviderSelector } from '../../src/inference/execution-providers.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { MODELS_DIR } from '../helpers/server.js';

/** Fixed-seed rows inside each feature's realistic range. */
function rows(ranges: number[][], n: number, seed = 7): Float32Array {
  const out = new Float32Array(n * ranges.length);
  for (let i = 0; i < out.length; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    const [lo, hi] = ranges[i % ranges.length]!;
    out[i] = lo! + (seed / 2 ** 32) * (hi! - lo!);
  }
  return out;
}

const MODELS: Array<[string, string, number[][]]> = [
  ['loan-approval/2', 'probabilities', [[18, 90], [5000, 300000], [300, 850], [0, 45], [500, 200000]]],
  ['iris/1', 'probabilities', [[4, 8], [2, 4.5], [1, 7], [0.1, 2.5]]],
  ['house-price/1', 'prediction', [[20, 1000], [0, 20], [0, 200], [0, 100]]],
];

describe('OnnxRunner', () => {
  for (const [model, output, ranges] of MODELS) {
    it(`gives ${model} rows bit-identical answers alone, in small runs and in one large run`, async () => {
      const width = ranges.length;
      const runner = await OnnxRunner.load({
        model: join(MODELS_DIR, model, 'model.onnx'), inputName: 'features', outputName: output, width,
        intraOpThreads: 1, providers: new ProviderSelector(['cpu']),
      });
      try {
        const n = 203;
        const input = rows(ranges, n);
        const all = await runner.run(input, n);
        const cols = all.data.length / n;
        assert.deepEqual(all.dims, cols === 1 && all.dims.length === 2 ? [n, 1] : all.dims);
        for (const size of [1, 2, 3, 5, 8, 13]) {
          for (let start = 0; start + size <= n; start += size) {
            const part = await runner.run(input.subarray(start * width, (start + size) * width), size);
            assert.equal(part.dims[0], size);
            assert.deepEqual([...part.data], [...all.data.subarray(start * cols, (start + size) * cols)], `${size} rows from ${start}`);
          }
        }
      } finally {
        await runner.dispose();
      }
    });
  }
});
