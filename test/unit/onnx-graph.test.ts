import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ElemType as T, encodeGraph, floatInitializer, valueInfo } from '../../scripts/lib/onnx-writer.js';
import { decodeModel, readGraph } from '../../src/inference/serving/derive/onnx-graph.js';

describe('readGraph', () => {
  const bytes = encodeGraph({
    nodes: [{ opType: 'Add', inputs: ['x', 'bias'], outputs: ['y'] }],
    initializers: [floatInitializer({ name: 'bias', dims: [2], values: [1, 2] })],
    // An initializer listed among the inputs (IR < 4 exporters): ONNX Runtime does not count it as one.
    inputs: [valueInfo('x', { tensor: T.FLOAT, shape: ['batch', 2] }), valueInfo('bias', { tensor: T.FLOAT, shape: [2] })],
    outputs: [
      valueInfo('y', { tensor: T.FLOAT, shape: [null, 2] }),
      valueInfo('u8', { tensor: T.UINT8, shape: [3] }),
      valueInfo('text', { tensor: T.STRING }),
      valueInfo('half', { tensor: T.FLOAT16, shape: [0] }),
      valueInfo('flags', { tensor: T.BOOL, shape: [1] }),
      valueInfo('wide', { tensor: T.UINT64, shape: [1] }),
    ],
  });
  const graph = readGraph(decodeModel(bytes));

  it('leaves out inputs that are initializers', () => {
    assert.deepEqual(graph.inputs.map((i) => i.name), ['x']);
  });

  it('gives KServe datatypes, -1 for symbolic or unset dimensions, and says when the rank is unknown', () => {
    assert.deepEqual(graph.inputs.concat(graph.outputs).map(({ name, datatype, shape, unknownRank }) => [name, datatype, shape, unknownRank]), [
      ['x', 'FP32', [-1, 2], undefined],
      ['y', 'FP32', [-1, 2], undefined],
      ['u8', 'UINT8', [3], undefined],
      ['text', 'BYTES', [], true],
      ['half', 'FP16', [0], undefined],
      ['flags', 'BOOL', [1], undefined],
      ['wide', 'UINT64', [1], undefined],
    ]);
  });

  it('describes a value that is not a tensor in words', () => {
    const seq = readGraph(decodeModel(encodeGraph({
      nodes: [],
      inputs: [valueInfo('m', { map: { key: T.INT64, value: { tensor: T.FLOAT } } })],
      outputs: [valueInfo('s', { sequence: { map: { key: T.STRING, value: { tensor: T.FLOAT } } } })],
    })));
    assert.deepEqual([seq.inputs[0]!.description, seq.outputs[0]!.description], ['a map', 'a sequence of maps']);
    assert.deepEqual([seq.outputs[0]!.kind, seq.outputs[0]!.datatype], ['sequence', 'NON_TENSOR']);
  });
});
