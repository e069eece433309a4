import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ProviderSelector } from '../../src/inference/runtime/execution-providers.js';
import { OnnxRunner } from '../../src/inference/runtime/onnx-runner.js';
import { fp32Feed, SHIPPED_RANGES, seededRows } from '../helpers/rows.js';
import { MODELS_DIR } from '../helpers/server.js';


const MODELS = SHIPPED_RANGES;

describe('OnnxRunner', () => {
  for (const [model, output, ranges] of MODELS) {
    it(`gives ${model} rows bit-identical answers alone, in small runs and in one large run`, async () => {
      const width = ranges.length;
      const runner = await OnnxRunner.load({
        model: join(MODELS_DIR, model, 'model.onnx'), intraOpThreads: 1, providers: new ProviderSelector(['cpu']),
      });
      const at = runner.outputs.findIndex((o) => o.name === output);
      const run = async (input: Float32Array, rows: number) => {
        const out = (await runner.run(fp32Feed(input, rows), rows))[at]!;
        return { dims: out.dims, data: out.data as Float32Array };
      };
      try {
        const n = 203;
        const input = seededRows(ranges, n, 7);
        const all = await run(input, n);
        const cols = all.data.length / n;
        assert.deepEqual(all.dims, cols === 1 && all.dims.length === 2 ? [n, 1] : all.dims);
        for (const size of [1, 2, 3, 5, 8, 13]) {
          for (let start = 0; start + size <= n; start += size) {
            const part = await run(input.subarray(start * width, (start + size) * width), size);
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
