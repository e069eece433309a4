import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../src/ort-env.js';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { rewriteForServing } from '../../src/inference/serving/derive/graph-rewrite.js';
import { decodeModel, readGraph } from '../../src/inference/serving/derive/onnx-graph.js';
import { sequenceOutput, sklearnPipeline, torchConvNet, treeEnsemble } from '../helpers/ml-graphs.js';

const strings = (...v: string[]) => new Tensor('string', v, [v.length, 1]);
const floats = (dims: number[], ...v: number[]) => new Tensor('float32', Float32Array.from(v), dims);

/** Runs bytes in ONNX Runtime and fetches the named outputs. */
async function run(bytes: Uint8Array, feeds: Record<string, Tensor>, fetches: string[]) {
  const session = await InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    return await session.run(feeds, fetches);
  } finally {
    await session.release();
  }
}

describe('rewriteForServing', () => {
  describe('with an skl2onnx pipeline ending in a ZipMap with string labels', () => {
    const bytes = sklearnPipeline();
    const result = rewriteForServing(bytes);

    it('removes the ZipMap and lists it with its labels', () => {
      assert.deepEqual(result.rewrites, [{ kind: 'zipmap-removed', node: 'zipmap_8', output: 'output_probability', labels: ['no', 'yes'] }]);
      assert.deepEqual(result.problems, []);
    });

    it('serves the ZipMap output as an FP32 [N, C] tensor under the same name', () => {
      const outputs = readGraph(result.model).outputs.map(({ name, datatype, shape, kind }) => ({ name, datatype, shape, kind }));
      assert.deepEqual(outputs, [
        { name: 'output_label', datatype: 'BYTES', shape: [-1], kind: 'tensor' },
        { name: 'output_probability', datatype: 'FP32', shape: [-1, 2], kind: 'tensor' },
      ]);
    });

    it('changes neither the bytes nor the ModelProto it was given', () => {
      const model = decodeModel(bytes);
      const copy = Buffer.from(bytes);
      rewriteForServing(bytes, model);
      assert.ok(copy.equals(bytes));
      assert.equal(model.graph!.node!.at(-1)!.opType, 'ZipMap');
      assert.equal(readGraph(model).outputs[1]!.kind, 'sequence');
    });

    it('gives bytes ONNX Runtime runs, with the probabilities the ZipMap was given', async () => {
      const feeds = { city: strings('rome', 'oslo', 'paris'), color: strings('green', 'red', 'red'), income: floats([3, 1], 31000, 52000, 90500) };
      const served = await run(result.bytes, feeds, ['output_label', 'output_probability']);
      const reference = await run(sklearnPipeline({ probabilityTensorOutput: true }), feeds, ['output_label', 'probability_tensor']);
      assert.deepEqual(served.output_probability!.dims, [3, 2]);
      assert.deepEqual(served.output_probability!.data, reference.probability_tensor!.data);
      assert.deepEqual(served.output_label!.data, reference.output_label!.data);
    });
  });

  describe('with an onnxmltools tree ensemble whose ZipMap has int64 labels', () => {
    const result = rewriteForServing(treeEnsemble());

    it('lists the labels as decimal strings', () => {
      assert.deepEqual(result.rewrites[0]!.labels, ['3', '5', '7']);
      assert.deepEqual(result.problems, []);
    });

    it('gives bytes ONNX Runtime runs, with the probabilities the ZipMap was given', async () => {
      const feeds = { input: floats([2, 4], 1, 2, 3, 4, 4, 3, 2, 1) };
      const served = await run(result.bytes, feeds, ['probabilities']);
      const reference = await run(treeEnsemble({ probabilityTensorOutput: true }), feeds, ['probability_tensor']);
      assert.deepEqual(served.probabilities!.dims, [2, 3]);
      assert.deepEqual(served.probabilities!.data, reference.probability_tensor!.data);
    });
  });

  describe('with a graph that has nothing to rewrite', () => {
    it('answers the very bytes it was given, and no problems', () => {
      const bytes = torchConvNet();
      const result = rewriteForServing(bytes);
      assert.equal(result.bytes, bytes);
      assert.deepEqual([result.rewrites, result.problems], [[], []]);
    });
  });

  describe('with an output that is a sequence but not a ZipMap’s', () => {
    it('reports it as a problem naming it', () => {
      const result = rewriteForServing(sequenceOutput());
      assert.deepEqual(result.problems, ["output 'parts' is a sequence of tensors, not a tensor"]);
      assert.deepEqual(result.rewrites, []);
    });
  });
});
