import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import { externalTensors, MalformedOnnx } from '../../src/inference/serving/external-tensors.js';
import { encode, externalTensor, fileReadingModel } from '../fixtures/external-data-models.js';
import { MODELS_DIR } from '../helpers/server.js';

const { onnx } = onnxProto;
const AT = onnx.AttributeProto.AttributeType;
type Graph = onnxProto.onnx.IGraphProto;

const ext = (name: string, location = `${name}.bin`) => externalTensor(name, location, 4);
const inline = (name: string): onnxProto.onnx.ITensorProto => ({ name, dataType: 1, dims: [1], floatData: [1] });
const names = (bytes: Uint8Array) => externalTensors(bytes).map((t) => t.name).sort();
const nodeWith = (attribute: onnxProto.onnx.IAttributeProto[]) => ({ opType: 'X', input: [], output: ['y'], attribute });

/** Protobuf wire bytes: a length-delimited field, for fields newer than onnx-proto's schema. */
function lenField(field: number, payload: Uint8Array): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
    out.push(n);
    return out;
  };
  return Buffer.concat([Buffer.from(varint(field * 8 + 2)), Buffer.from(varint(payload.length)), payload]);
}

describe('externalTensors', () => {
  it('finds none in the shipped models', () => {
    for (const name of readdirSync(MODELS_DIR)) {
      for (const version of readdirSync(join(MODELS_DIR, name)).filter((v) => /^\d+$/.test(v))) {
        assert.deepEqual(externalTensors(readFileSync(join(MODELS_DIR, name, version, 'model.onnx'))), [], `${name}/${version}`);
      }
    }
  });

  it('finds graph initializers and both halves of sparse initializers, with their locations', () => {
    const bytes = encode({
      name: 'g',
      initializer: [inline('inline'), ext('A', 'a/b.bin')],
      sparseInitializer: [{ values: ext('values'), indices: ext('indices'), dims: [4] }, { values: inline('v2'), indices: inline('i2') }],
    });
    assert.deepEqual(names(bytes), ['A', 'indices', 'values']);
    assert.deepEqual(externalTensors(bytes).find((t) => t.name === 'A')?.locations, ['a/b.bin']);
  });

  it('finds node attributes: t, tensors, sparse_tensor and sparse_tensors', () => {
    const bytes = encode({
      name: 'g',
      node: [
        nodeWith([{ name: 'value', type: AT.TENSOR, t: ext('t') }]),
        nodeWith([{ name: 'many', type: AT.TENSORS, tensors: [inline('ok'), ext('tensors')] }]),
        nodeWith([{ name: 'sparse_value', type: AT.SPARSE_TENSOR, sparseTensor: { values: ext('sparse_tensor'), indices: inline('i') } }]),
        nodeWith([{ name: 's', type: AT.SPARSE_TENSORS, sparseTensors: [{ values: inline('v'), indices: ext('sparse_tensors') }] }]),
      ],
    });
    assert.deepEqual(names(bytes), ['sparse_tensor', 'sparse_tensors', 't', 'tensors']);
  });

  it('finds tensors in subgraphs at any depth (If inside a Loop body, and graphs lists)', () => {
    const thenBranch: Graph = { name: 'then', node: [nodeWith([{ name: 'value', type: AT.TENSOR, t: ext('deep') }])] };
    const body: Graph = {
      name: 'body',
      initializer: [ext('body_init')],
      node: [{ opType: 'If', input: ['c'], output: ['o'], attribute: [{ name: 'then_branch', type: AT.GRAPH, g: thenBranch }] }],
    };
    const bytes = encode({
      name: 'g',
      node: [
        { opType: 'Loop', input: [], output: ['o'], attribute: [{ name: 'body', type: AT.GRAPH, g: body }] },
        nodeWith([{ name: 'branches', type: AT.GRAPHS, graphs: [{ name: 'a' }, { name: 'b', initializer: [ext('in_graphs')] }] }]),
      ],
    });
    assert.deepEqual(names(bytes), ['body_init', 'deep', 'in_graphs']);
  });

  it("finds tensors in model-local functions' nodes and in training graphs", () => {
    const bytes = encode({ name: 'g' }, {
      functions: [{ name: 'f', domain: 'local', node: [nodeWith([{ name: 'value', type: AT.TENSOR, t: ext('in_function') }])] }],
      trainingInfo: [{ initialization: { name: 'i', initializer: [ext('training_init')] }, algorithm: { name: 'a', initializer: [ext('algorithm')] } }],
    });
    assert.deepEqual(names(bytes), ['algorithm', 'in_function', 'training_init']);
  });

  it("finds a function's attribute defaults (FunctionProto.attribute_proto, newer than onnx-proto's schema)", () => {
    const attribute = onnx.AttributeProto.encode({ name: 'value', type: AT.TENSOR, t: ext('default') }).finish();
    const fn = Buffer.concat([onnx.FunctionProto.encode({ name: 'f', domain: 'local' }).finish(), lenField(11, attribute)]);
    const bytes = Buffer.concat([encode({ name: 'g' }), lenField(25, fn)]);
    assert.deepEqual(names(bytes), ['default']);
  });

  it('finds every placement of the issue 16 fixture', () => {
    for (const placement of ['initializer', 'constant', 'if-branch', 'loop-body'] as const) {
      const found = externalTensors(fileReadingModel('package.json', placement));
      assert.ok(found.length > 0 && found.every((t) => t.name === 'B' && t.locations[0] === 'package.json'), placement);
    }
  });

  it('counts a tensor with external_data entries as external even without data_location (fails closed)', () => {
    const t = { name: 'half', dataType: 2, dims: [1], externalData: [{ key: 'offset', value: '0' }, { key: 'location', value: 'x' }] };
    assert.deepEqual(externalTensors(encode({ name: 'g', initializer: [t] })), [{ name: 'half', locations: ['x'] }]);
  });

  it('skips weights by their length: a 64 MB float_data initializer is walked in milliseconds', () => {
    const floats = Buffer.concat([lenField(8, Buffer.from('W')), lenField(4, Buffer.alloc(64 * 1024 * 1024))]);
    const bytes = Buffer.concat([encode({ name: 'g' }), lenField(7, lenField(5, floats))]);
    const start = performance.now();
    assert.deepEqual(externalTensors(bytes), []);
    assert.ok(performance.now() - start < 200, `took ${performance.now() - start} ms`);
  });

  describe('with bytes that are not an ONNX model', () => {
    const cases: Record<string, Uint8Array> = {
      text: Buffer.from('this is not an onnx model'),
      truncated: fileReadingModel('package.json').subarray(0, 40),
      'an ORT-format (FlatBuffers) file': Buffer.from([0x10, 0, 0, 0, 0x4f, 0x52, 0x54, 0x4d, 0, 0, 0, 0]),
      'nesting deeper than protobuf allows': (() => {
        let g: Graph = { name: 'leaf' };
        for (let i = 0; i < 40; i++) g = { name: 'g', node: [nodeWith([{ name: 'body', type: AT.GRAPH, g }])] };
        return encode(g);
      })(),
    };
    for (const [what, bytes] of Object.entries(cases)) {
      it(`throws MalformedOnnx for ${what}`, () => {
        assert.throws(() => externalTensors(bytes), MalformedOnnx);
      });
    }
  });
});
