import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeModel } from '../../scripts/lib/onnx-writer.js';
import { configFromOnnx } from '../../src/inference/serving/derive/derive-config.js';
import type { ServingConfig } from '../../src/inference/serving/derive/serving-config.js';
import { encodeRows, occludedFeeds, sliceFeeds } from '../../src/inference/prediction/feature-feeds.js';
import { readOutput } from '../../src/inference/prediction/output-answers.js';
import { planOf, type PredictPlan } from '../../src/inference/prediction/predict-plan.js';
import { halvesToNumbers } from '../../src/inference/runtime/half.js';
import { zipmapClassifierSpec, torchMlpSpec } from '../fixtures/converter-models.js';
import { mixedColumnsSpec, unnamedMatrixSpec } from '../fixtures/feature-models.js';
import type { ModelSpec } from '../../scripts/lib/onnx-writer.js';

/** The derived configuration of a spec, and its plan with the graph's own inputs and outputs. */
function planFor(spec: ModelSpec): { serving: ServingConfig; plan: PredictPlan } {
  const loaded = configFromOnnx(encodeModel(spec));
  if ('reason' in loaded) throw new Error(loaded.reason);
  const serving = loaded.config;
  return { serving, plan: planOf({ name: 'm', inputs: serving.inputs, outputs: serving.outputs }, serving) };
}

describe('encodeRows', () => {
  it('feeds per-column inputs in their datatypes and shapes: BOOL bytes, INT64 BigInts, FP16 halves, FP64, INT32, strings', () => {
    const { plan } = planFor(mixedColumnsSpec());
    const rows = [
      { flag: true, count: 3, half: 1.5, wide: 0.25, small: -4, name: 'bob' },
      { name: 'x', small: -0, wide: -1, half: 0, count: 35, flag: false },
    ];
    const [flag, count, half, wide, small, name] = encodeRows(plan, rows);
    assert.deepEqual([flag!.datatype, flag!.dims, [...(flag!.data as Uint8Array)]], ['BOOL', [2, 1], [1, 0]]);
    assert.deepEqual([count!.datatype, [...(count!.data as BigInt64Array)]], ['INT64', [3n, 35n]]);
    assert.deepEqual([half!.datatype, half!.dims, halvesToNumbers(half!.data as Uint16Array)], ['FP16', [2], [1.5, 0]]);
    assert.ok(wide!.data instanceof Float64Array);
    assert.deepEqual([small!.datatype, small!.dims, [...(small!.data as Int32Array)]], ['INT32', [2], [-4, 0]]);
    assert.ok(!Object.is((small!.data as Int32Array)[1], -0), '-0 is 0');
    assert.deepEqual([name!.datatype, name!.data], ['BYTES', ['bob', 'x']]);
  });

  it('packs an unnamed matrix from arrays, row-major FP32', () => {
    const { plan } = planFor(unnamedMatrixSpec());
    const [x] = encodeRows(plan, [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(x!.dims, [2, 3]);
    assert.ok(x!.data instanceof Float32Array);
    assert.deepEqual([...(x!.data as Float32Array)], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(plan.names, ['0', '1', '2']);
  });

  it('slices rows without copying numbers, and copies strings', () => {
    const { plan } = planFor(zipmapClassifierSpec());
    const feeds = encodeRows(plan, [{ color: 'red', size: 'S', weight: 1 }, { color: 'blue', size: 'L', weight: 2 }]);
    const [color, , weight] = sliceFeeds(feeds, 1, 1);
    assert.deepEqual(color!.data, ['blue']);
    assert.deepEqual(color!.dims, [1, 1]);
    assert.equal((weight!.data as Float32Array).buffer, (feeds[2]!.data as Float32Array).buffer);
  });
});

describe('occludedFeeds', () => {
  it('gives row r with feature i at its baseline as row r·F + i, strings included', () => {
    const { plan, serving } = planFor(zipmapClassifierSpec());
    assert.deepEqual(serving.features.map((f) => f.baseline), ['blue', 'L', 10]);
    const [color, size, weight] = occludedFeeds(plan, encodeRows(plan, [{ color: 'red', size: 'S', weight: 1 }]));
    assert.deepEqual(color!.data, ['blue', 'red', 'red']);
    assert.deepEqual(size!.data, ['S', 'L', 'S']);
    assert.deepEqual([...(weight!.data as Float32Array)], [1, 1, 10]);
    assert.deepEqual(weight!.dims, [3, 1]);
  });

  it('replaces one column of a matrix per copy', () => {
    const { plan } = planFor(unnamedMatrixSpec());
    const [x] = occludedFeeds(plan, encodeRows(plan, [[1, 2, 3], [4, 5, 6]]));
    assert.deepEqual(x!.dims, [6, 3]);
    assert.deepEqual([...(x!.data as Float32Array)], [0, 2, 3, 1, 0, 3, 1, 2, 0, 0, 5, 6, 4, 0, 6, 4, 5, 0]);
  });
});

describe('readOutput', () => {
  it('answers a regression output of any numeric datatype as numbers: FP64 as is, FP32 as its shortest decimal', () => {
    const { plan } = planFor(mixedColumnsSpec());
    const reader = readOutput(plan, [{ datatype: 'FP64', dims: [2, 1], data: new Float64Array([0.1, 21313.25]) }], 2);
    assert.deepEqual([reader.answer(0), reader.answer(1)], [{ prediction: 0.1 }, { prediction: 21313.25 }]);
    const { plan: matrix } = planFor(unnamedMatrixSpec());
    assert.deepEqual(readOutput(matrix, [{ datatype: 'FP32', dims: [1], data: new Float32Array([0.1]) }], 1).answer(0), { prediction: 0.1 });
  });
  it('classifies a ZipMap-less FP32 [N, C] output by its labels', () => {
    const { plan } = planFor(zipmapClassifierSpec());
    const outputs = plan.serving.outputs.map((o) => o.name === 'output_probability'
      ? { datatype: 'FP32', dims: [1, 3], data: new Float32Array([0.2, 0.7, 0.1]) }
      : { datatype: 'BYTES', dims: [1], data: ['cat'] });
    const answer = readOutput(plan, outputs, 1).answer(0);
    assert.equal((answer as { prediction: string }).prediction, 'cat');
  });
});

describe('planOf', () => {
  it('refuses a tensor model with 422 UNSUPPORTED_MODEL naming /v2/models/{name}/infer', () => {
    assert.throws(() => planFor(torchMlpSpec()), (err: { code?: string; message: string }) =>
      err.code === 'UNSUPPORTED_MODEL' && /\/v2\/models\/m\/infer/.test(err.message));
  });
});
