import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import { graphOps } from '../../src/inference/runtime/graph-ops.js';
import { encode } from '../fixtures/external-data-models.js';
import { MODELS_DIR } from '../helpers/server.js';

const { onnx } = onnxProto;
const AT = onnx.AttributeProto.AttributeType;
type Graph = onnxProto.onnx.IGraphProto;

const node = (opType: string, domain?: string, attribute: onnxProto.onnx.IAttributeProto[] = []) =>
  ({ opType, domain, input: ['x'], output: ['y'], attribute });

/** The same answer by a full decode with onnx-proto. */
function decodedOps(bytes: Uint8Array): Set<string> {
  const ops = new Set<string>();
  const walk = (graph: onnxProto.onnx.IGraphProto | null | undefined) => {
    for (const n of graph?.node ?? []) {
      const domain = n.domain ?? '';
      ops.add(domain === '' || domain === 'ai.onnx' ? n.opType ?? '' : `${domain}:${n.opType}`);
      for (const a of n.attribute ?? []) [a.g, ...(a.graphs ?? [])].forEach(walk);
    }
  };
  walk(onnx.ModelProto.decode(bytes).graph);
  return ops;
}

describe('graphOps', () => {
  it('lists the operators of a plain graph, with their domain when it is not ai.onnx', () => {
    const bytes = encode({ name: 'g', node: [node('Add'), node('Relu', 'ai.onnx'), node('FusedMatMul', 'com.microsoft'), node('Add')] });
    assert.deepEqual(graphOps(bytes), new Set(['Add', 'Relu', 'com.microsoft:FusedMatMul']));
  });

  it("lists the operators of subgraphs: a Loop's body, an If inside it, a graphs list", () => {
    const thenBranch: Graph = { name: 'then', node: [node('Identity')] };
    const body: Graph = { name: 'body', node: [node('If', '', [{ name: 'then_branch', type: AT.GRAPH, g: thenBranch }]), node('Mul')] };
    const bytes = encode({
      name: 'g',
      node: [
        node('Loop', '', [{ name: 'body', type: AT.GRAPH, g: body }]),
        node('Custom', 'x', [{ name: 'branches', type: AT.GRAPHS, graphs: [{ name: 'a', node: [node('Sub')] }] }]),
      ],
    });
    assert.deepEqual(graphOps(bytes), new Set(['Loop', 'If', 'Identity', 'Mul', 'x:Custom', 'Sub']));
  });

  it('agrees with a full decode on every shipped model', () => {
    for (const name of readdirSync(MODELS_DIR)) {
      for (const version of readdirSync(join(MODELS_DIR, name))) {
        const path = join(MODELS_DIR, name, version, 'model.onnx');
        let bytes: Uint8Array;
        try {
          bytes = readFileSync(path);
        } catch {
          continue;
        }
        assert.deepEqual(graphOps(bytes), decodedOps(bytes), `${name}/${version}`);
      }
    }
  });

  describe('is undefined for bytes that are not a readable ModelProto', () => {
    const nested = (depth: number) => {
      let g: Graph = { name: 'leaf', node: [node('Leaf')] };
      for (let i = 0; i < depth; i++) g = { name: 'g', node: [node('Loop', '', [{ name: 'body', type: AT.GRAPH, g }])] };
      return encode(g);
    };
    const plain = encode({ name: 'g', node: [node('Add')] });
    const cases: Record<string, Uint8Array> = {
      text: Buffer.from('this is not an onnx model'),
      truncated: plain.subarray(0, plain.length - 3),
      'a length past the end': Buffer.from([0x3a, 0x7f, 0x0a]),
      'a truncated varint': Buffer.from([0x3a, 0x80]),
      'subgraphs nested deeper than 32': nested(40),
    };
    for (const [what, bytes] of Object.entries(cases)) {
      it(what, () => assert.equal(graphOps(bytes), undefined));
    }
    it('but not for subgraphs nested 32 deep', () => assert.deepEqual(graphOps(nested(32)), new Set(['Loop', 'Leaf'])));
  });
});
